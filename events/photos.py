"""Photo uploads: decode to validate, strip EXIF (keeping orientation), thumbnail, store."""
import hashlib
import io
import warnings

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select

from core.errors import InvalidInput, TooLarge
from core.extensions import db
from events.models import Attachment
from events.storage import get_storage

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
           "WEBP": ("image/webp", "webp")}
#: 40 megapixels: well above any phone camera, far below a decompression bomb
MAX_PIXELS = 40_000_000
THUMB_SIZE = (320, 320)
EXIF_ORIENTATION = 0x0112


def _decode(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in FORMATS:
                raise InvalidInput(_("只接受 JPEG、PNG 或 WebP 照片"),
                                   fields={"file": [f"unsupported format {probe.format}"]})
            if probe.width * probe.height > MAX_PIXELS:
                raise InvalidInput(_("照片像素过大"), fields={"file": ["image too large"]})
            probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(_("文件不是有效的图片"), fields={"file": ["not a valid image"]}) from None
    return image


def _reencode(image: Image.Image) -> bytes:
    """Save the pixels again with no metadata but the orientation tag."""
    exif = Image.Exif()
    orientation = image.getexif().get(EXIF_ORIENTATION)
    if orientation:
        exif[EXIF_ORIENTATION] = orientation
    out = io.BytesIO()
    fmt = image.format
    if fmt == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=90, exif=exif.tobytes())
    elif fmt == "PNG":
        image.save(out, "PNG", exif=exif.tobytes(), optimize=True)
    else:
        image.save(out, "WEBP", quality=90, exif=exif.tobytes())
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    from PIL import ImageOps
    thumb = ImageOps.exif_transpose(image.copy())
    thumb.thumbnail(THUMB_SIZE)
    out = io.BytesIO()
    thumb.convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


def store_photo(data: bytes, filename: str, uploader_id: int | None) -> Attachment:
    """Validate and store one photo; flushes the Attachment row (not yet on a case)."""
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    if len(data) > limit:
        raise TooLarge(_("照片不能超过 %(mb)s MB", mb=limit // (1024 * 1024)))
    if not data:
        raise InvalidInput(_("请选择照片"), fields={"file": ["empty file"]})
    image = _decode(data)
    content_type, suffix = FORMATS[image.format]
    clean = _reencode(image)
    digest = hashlib.sha256(clean).hexdigest()
    storage = get_storage(current_app)
    storage.save(f"{digest}.{suffix}", clean)
    storage.save(f"{digest}.thumb.jpg", _thumbnail(image))
    attachment = Attachment(
        uploader_id=uploader_id, storage_key=f"{digest}.{suffix}",
        thumb_key=f"{digest}.thumb.jpg", sha256=digest, content_type=content_type,
        size=len(clean), width=image.width, height=image.height,
        original_name=(filename or "")[:200])
    db.session.add(attachment)
    db.session.flush()
    return attachment


def claim_photos(actor, photo_ids, event, log) -> list[Attachment]:
    """Attach the actor's own unattached uploads to the case and the log row."""
    ids = list(dict.fromkeys(photo_ids))
    if len(ids) > 9:
        raise InvalidInput(_("最多 9 张照片"), fields={"photo_ids": ["at most 9 photos"]})
    photos = db.session.scalars(select(Attachment).where(
        Attachment.id.in_(ids), Attachment.uploader_id == actor.id,
        Attachment.event_id.is_(None))).all()
    if len(photos) != len(ids):
        missing = sorted(set(ids) - {p.id for p in photos})
        raise InvalidInput(_("照片不存在或已被使用"),
                           fields={"photo_ids": [f"unknown or already used: {missing}"]})
    for photo in photos:
        photo.event = event
        photo.log = log
    return photos

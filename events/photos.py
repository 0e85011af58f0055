"""Photo uploads: decode within fixed bounds, strip EXIF (keeping orientation), shrink,
thumbnail, store — all before and outside any database transaction.

Decoding is bounded, not timed: a photo is refused before its pixels are decoded when it has
more than MAX_PIXELS pixels or, for JPEG, more than MAX_JPEG_SCANS scans (a progressive JPEG
whose scans repeat thousands of times costs seconds per scan-pass over every block; standard
progressive encoders write about 10). JPEGs are decoded at the smallest DCT scale that still
gives MAX_SIDE pixels (libjpeg's draft mode), so a 24-megapixel phone photo is decoded at
half size. Measured figures: bench/README.md.
"""
import hashlib
import io
import math
import secrets
import warnings
from dataclasses import dataclass

from flask import current_app, has_request_context
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select

from core.database import end_read, is_writing
from core.errors import InvalidInput, TooLarge
from core.extensions import db
from events.models import Attachment
from events.storage import get_storage

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
           "WEBP": ("image/webp", "webp")}
#: 25 megapixels: above a 24-MP phone photo (50-MP sensors save 12.5 MP by default)
MAX_PIXELS = 25_000_000
#: progressive JPEGs from cameras and encoders use 10 or fewer; the hostile ones thousands
MAX_JPEG_SCANS = 32
#: stored photos are shrunk to this longest side: enough to judge a fix on a desk screen
MAX_SIDE = 2560
THUMB_SIZE = (320, 320)
EXIF_ORIENTATION = 0x0112
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own guard, for any other caller


@dataclass(frozen=True)
class PreparedPhoto:
    """A cleaned photo already on storage, waiting for its database row."""

    storage_key: str
    thumb_key: str
    sha256: str
    content_type: str
    size: int
    width: int
    height: int
    original_name: str


def _invalid(message: str, detail: str):
    return InvalidInput(message, fields={"file": [detail]})


def jpeg_scan_count(data: bytes, limit: int) -> int:
    """Start-of-scan markers in a JPEG, counted by walking its segments; stops past `limit`."""
    size, i, scans = len(data), 2, 0
    while i + 4 <= size:
        if data[i] != 0xFF:
            raise _invalid(_("文件不是有效的图片"), "corrupt JPEG segment")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xD9:  # end of image
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            i += 2
            continue
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
        if marker != 0xDA:
            continue
        scans += 1
        if scans > limit:
            return scans
        # Entropy-coded data runs to the next marker: 0xFF not followed by 0x00 or RSTn.
        while True:
            j = data.find(b"\xff", i)
            if j < 0 or j + 1 >= size:
                return scans
            following = data[j + 1]
            if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                i = j + 1
                continue
            i = j
            break
    return scans


def _decode(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Our own pixel check below is the stricter one.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # reads the header only
            if image.format not in FORMATS:
                raise _invalid(_("只接受 JPEG、PNG 或 WebP 照片"),
                               f"unsupported format {image.format}")
            if image.width * image.height > MAX_PIXELS:
                raise Image.DecompressionBombError
            if image.format == "JPEG":
                if jpeg_scan_count(data, MAX_JPEG_SCANS) > MAX_JPEG_SCANS:
                    raise _invalid(_("文件不是有效的图片"), "too many JPEG scans")
                ratio = min(1.0, MAX_SIDE / max(image.size))
                image.draft("RGB", (math.ceil(image.width * ratio),
                                    math.ceil(image.height * ratio)))
            fmt = image.format
            image.load()
            if getattr(image, "is_animated", False):
                image.seek(0)
    except InvalidInput:
        raise
    except Image.DecompressionBombError:
        raise _invalid(_("照片像素过大（不超过 2500 万像素）"),
                       f"at most {MAX_PIXELS} pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _invalid(_("文件不是有效的图片"), "not a valid image") from None
    image.format = fmt  # draft and load keep it; the resize below would not
    return image


def _shrink(image: Image.Image) -> Image.Image:
    if max(image.size) <= MAX_SIDE:
        return image
    fmt = image.format
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    image.format = fmt
    return image


def _reencode(image: Image.Image, orientation) -> bytes:
    """Save the pixels again with no metadata but the orientation tag."""
    exif = Image.Exif()
    if orientation:
        exif[EXIF_ORIENTATION] = orientation
    out = io.BytesIO()
    fmt = image.format
    if fmt == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=88, exif=exif.tobytes())
    elif fmt == "PNG":
        image.save(out, "PNG", exif=exif.tobytes(), compress_level=6)
    else:
        image.save(out, "WEBP", quality=88, exif=exif.tobytes())
    return out.getvalue()


def _thumbnail(image: Image.Image, orientation) -> bytes:
    thumb = image.copy()
    thumb.thumbnail(THUMB_SIZE)
    if orientation:
        exif = thumb.getexif()
        exif[EXIF_ORIENTATION] = orientation
        thumb = ImageOps.exif_transpose(thumb)
    out = io.BytesIO()
    thumb.convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


def prepare_photo(data: bytes, filename: str | None) -> PreparedPhoto:
    """Validate, clean and store one photo's files. Runs outside any transaction: call it
    before write_transaction(); the files are content-addressed, so an unused one is harmless."""
    if has_request_context() and is_writing():
        raise RuntimeError("prepare_photo() inside a write transaction")
    end_read()
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    if len(data) > limit:
        raise TooLarge(_("照片不能超过 %(mb)s MB", mb=limit // (1024 * 1024)))
    if not data:
        raise _invalid(_("请选择照片"), "empty file")
    image = _decode(data)
    orientation = image.getexif().get(EXIF_ORIENTATION)
    image = _shrink(image)
    content_type, suffix = FORMATS[image.format]
    clean = _reencode(image, orientation)
    digest = hashlib.sha256(clean).hexdigest()
    storage = get_storage(current_app)
    storage.save(f"{digest}.{suffix}", clean)
    storage.save(f"{digest}.thumb.jpg", _thumbnail(image, orientation))
    return PreparedPhoto(storage_key=f"{digest}.{suffix}", thumb_key=f"{digest}.thumb.jpg",
                         sha256=digest, content_type=content_type, size=len(clean),
                         width=image.width, height=image.height,
                         original_name=(filename or "")[:200])


def prepare_uploads(files) -> list[PreparedPhoto]:
    """The photos of a multipart form (werkzeug FileStorage objects), prepared."""
    return [prepare_photo(file.read(), file.filename) for file in files if file and file.filename]


def add_photo(photo: PreparedPhoto, uploader_id: int | None) -> Attachment:
    """The database row of a prepared photo (not yet on a case); flushed."""
    attachment = Attachment(
        uploader_id=uploader_id, storage_key=photo.storage_key, thumb_key=photo.thumb_key,
        sha256=photo.sha256, content_type=photo.content_type, size=photo.size,
        width=photo.width, height=photo.height, original_name=photo.original_name,
        public_id=secrets.token_urlsafe(16))
    db.session.add(attachment)
    db.session.flush()
    return attachment


def photo_response(attachment: Attachment, size: str, *,
                   cache: str = "private, max-age=86400, immutable"):
    """A stored photo as an answer: `size` "thumb" (JPEG) or "full" (as uploaded). The
    caller has decided the viewer may see it; `cache` for photos a shared desk must not keep
    ("private, no-store")."""
    from flask import Response
    key = attachment.thumb_key if size == "thumb" else attachment.storage_key
    response = Response(get_storage(current_app).read(key),
                        mimetype="image/jpeg" if size == "thumb" else attachment.content_type)
    response.headers["Cache-Control"] = cache
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def claim_for(actor, photo_ids, holder: str, *, at_most: int) -> list[Attachment]:
    """The actor's own uploads, not yet anyone's, taken by a record other than a case —
    `holder` ("snow", "care", "report") is kept on each (Attachment.claimed_by), so no case
    can take them after. Refused (422) beyond `at_most` or when one is unknown or used."""
    ids = list(dict.fromkeys(photo_ids))
    if len(ids) > at_most:
        message = _("最多 %(n)s 张照片", n=at_most)
        raise InvalidInput(message, fields={"photo_ids": [message]})
    photos = db.session.scalars(select(Attachment).where(
        Attachment.id.in_(ids), Attachment.uploader_id == actor.id,
        Attachment.event_id.is_(None), Attachment.claimed_by.is_(None))).all() if ids else []
    if len(photos) != len(ids):
        raise InvalidInput(_("照片不存在或已被使用"), fields={"photo_ids": [_("照片不存在或已被使用")]})
    for photo in photos:
        photo.claimed_by = holder
    return photos


def claim_photos(actor, photo_ids, event, log) -> list[Attachment]:
    """Attach the actor's own unattached uploads to the case and the log row."""
    ids = list(dict.fromkeys(photo_ids))
    if len(ids) > 9:
        raise InvalidInput(_("最多 9 张照片"), fields={"photo_ids": ["at most 9 photos"]})
    photos = db.session.scalars(select(Attachment).where(
        Attachment.id.in_(ids), Attachment.uploader_id == actor.id,
        Attachment.event_id.is_(None), Attachment.claimed_by.is_(None))).all()
    if len(photos) != len(ids):
        missing = sorted(set(ids) - {p.id for p in photos})
        raise InvalidInput(_("照片不存在或已被使用"),
                           fields={"photo_ids": [f"unknown or already used: {missing}"]})
    for photo in photos:
        photo.event = event
        photo.log = log
    return photos

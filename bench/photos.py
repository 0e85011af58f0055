"""Photo decoding bounds, measured: time and peak memory of one upload's image work.

    .venv/bin/python bench/photos.py

Each case runs in a fresh child process (so its peak RSS is its own) through the same
prepare_photo() the views call, with a scratch upload directory. Prints one line per case.
"""
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = {
    "phone photo 4000x3000 JPEG": ("jpeg", 4000, 3000, False, 0),
    "phone photo 6000x4000 progressive JPEG": ("jpeg", 6000, 4000, True, 0),
    "24.9 MP RGBA PNG, 9 MB (largest accepted)": ("png", 4990, 4990, False, 0),
    "40 MP PNG (refused)": ("png", 7300, 5480, False, -1),
    "4000x4000 progressive JPEG, last scan x3000 (refused)": ("jpeg", 4000, 4000, True, 3000),
}


def make(kind, width, height, progressive, repeats) -> bytes:
    from PIL import Image
    if kind == "png":  # a gradient with a little noise: under the 10 MB upload limit
        noise = Image.effect_noise((width, height), 4).point(
            lambda v: 0 if repeats < 0 else v // 32)
        image = Image.merge("RGBA", [Image.linear_gradient("L").resize((width, height)), noise,
                                     noise, Image.new("L", (width, height), 255)])
        out = io.BytesIO()
        image.save(out, "PNG")
        return out.getvalue()
    image = (Image.linear_gradient("L").resize((width, height)) if repeats
             else Image.effect_noise((width, height), 50)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", progressive=progressive, quality=50 if repeats else 70)
    data = out.getvalue()
    if repeats:
        last = data[data.rfind(b"\xff\xda"):-2]
        data = data[:-2] + last * repeats + b"\xff\xd9"
    return data


def child(name: str, path: str) -> None:
    sys.path.insert(0, str(ROOT))
    data = Path(path).read_bytes()
    from core import create_app
    from core.errors import AppError
    from events.photos import prepare_photo
    app = create_app({"UPLOAD_DIR": tempfile.mkdtemp(), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with app.test_request_context("/"):
        started = time.perf_counter()
        try:
            photo = prepare_photo(data, "x")
            outcome = f"stored {photo.width}x{photo.height}"
        except AppError as error:
            outcome = f"refused: {error.message}"
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"case": name, "bytes": len(data), "seconds": round(seconds, 2),
                      "peak_rss_growth_mib": round(max(0, peak - before) / 1024, 1),
                      "outcome": outcome}, ensure_ascii=False))


if __name__ == "__main__":
    if len(sys.argv) > 2:
        child(sys.argv[1], sys.argv[2])
    else:
        scratch = Path(tempfile.mkdtemp())
        for name in CASES:
            path = scratch / "photo"
            path.write_bytes(make(*CASES[name]))
            line = subprocess.run([sys.executable, __file__, name, str(path)],
                                  capture_output=True, text=True, timeout=300, cwd=ROOT)
            row = json.loads(line.stdout.strip().splitlines()[-1]) if line.returncode == 0 \
                else {"case": name, "error": line.stderr[-300:]}
            print(f"{row['case']:<60} {row.get('bytes', 0) / 1e6:6.1f} MB  "
                  f"{row.get('seconds', '-'):>5} s  +{row.get('peak_rss_growth_mib', '-')} MiB  "
                  f"{row.get('outcome', row.get('error'))}")

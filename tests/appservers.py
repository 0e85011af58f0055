"""App servers started as production starts them: gunicorn on a loopback port, with the
deploy/ settings file, each process's environment its own (issue 13's tests)."""
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.pgserver import _free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


class AppServer:
    def __init__(self, env: dict, *, workers: int = 1, log_path: Path | None = None,
                 options: tuple = ()):
        self.options = options  # gunicorn's own, after the settings file (e.g. --preload)
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "GUNICORN_WORKERS": str(workers),
                    "GUNICORN_BIND": f"127.0.0.1:{self.port}", **env}
        self.process = None

    def start(self) -> "AppServer":
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
                 *self.options, "wsgi:app"], cwd=ROOT, env=self.env, stdout=out, stderr=out)
        finally:
            if self.log_path:
                out.close()  # the server has its own copy
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                if requests.get(f"{self.base}/healthz/web", timeout=2).status_code == 200:
                    return self
            except (requests.ConnectionError, requests.Timeout):
                # not listening yet, or listening while its workers still start (a busy
                # machine: the suite's other process): ask again
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *_exc):
        self.stop()

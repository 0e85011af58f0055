"""gunicorn settings for production (issue 13): `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be changed from the environment (deploy/gridgov.env.example), so the one
file serves every server. The scheduler is NOT started here: it is one process of its own
for the whole county (deploy/gridgov-scheduler.service), however many app servers run.
"""
import multiprocessing
import os
import shutil

#: nginx in front talks to this address; only loopback unless told otherwise
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
#: sync workers: a request holds one while it reads or writes the database. Two per core
#: and one more (gunicorn's advice); each costs ~80 MiB.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
#: a request still running after this is killed and its worker replaced (a PDF of a
#: year's bulletin is the slowest page, well under it)
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
#: SIGHUP or SIGTERM: requests in flight get this long to finish
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
#: behind nginx, which keeps its own connections to the phones
keepalive = 5
#: each worker is replaced after this many requests (± jitter), so a slow leak cannot grow
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
#: the app writes one JSON line per request itself (LOG_FORMAT=json): no access log twice
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
#: the workers' heartbeat files in memory, not on a disk that may stall
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
#: X-Forwarded-Proto is believed only from nginx on this machine; the app's ProxyFix
#: (PROXY_FIX_HOPS) does the same for the client's address
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "gridgov-web"


def on_starting(server):
    """Prometheus's multi-process files of an earlier run are stale: start empty."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)


def child_exit(server, worker):
    """A worker that died no longer counts towards the live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)

import gc
import os
import sys

from sqlalchemy.orm import configure_mappers

from core import create_app
from ops.warmup import before_first_fork

app = create_app()
configure_mappers()
# What start-up built (modules, mappers, the app) lives as long as the process: out of the
# collector's sight. Under a server that preloads the app before forking (gunicorn
# --preload, as the bench harness runs it) a worker's collections then no longer write to —
# and so copy — every page it shares with the master (issue 8, memory; Python's gc.freeze
# docs); where each worker imports the app itself (deploy/gunicorn.conf.py) it spares the
# collector from walking them again and again.
gc.collect()
gc.freeze()
# A server that forks its workers from this process runs the hot paths here once first, so
# what running them builds is shared, not built again in every worker (ops.warmup). Only
# under gunicorn: the CLI and the scheduler never serve from forks.
if "gunicorn" in sys.modules:
    os.register_at_fork(before=lambda: before_first_fork(app))

import gc

from sqlalchemy.orm import configure_mappers

from core import create_app

app = create_app()
configure_mappers()
# What was built at start-up (modules, mappers, the app) lives as long as the process: out of
# the collector's sight, so a forked worker's collections do not write to — and so copy —
# every page it shares with the server's master (issue 8, memory; Python's gc.freeze docs)
gc.collect()
gc.freeze()

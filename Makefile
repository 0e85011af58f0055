# gridgov — `make run` serves the demo on SQLite; `make test` runs the whole suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test install install-dev translations extract system-deps clean vendor

$(BIN)/activate:
	$(PY) -m venv $(VENV)

install: $(BIN)/activate
	$(BIN)/pip install -q -r requirements.txt
	$(MAKE) translations

install-dev: $(BIN)/activate
	$(BIN)/pip install -q -r requirements-dev.txt
	$(MAKE) translations

translations:
	$(BIN)/pybabel compile -q -d translations -f 2>/dev/null || $(BIN)/pybabel compile -d translations -f

# After changing user-visible text: re-extract, merge into the catalogues, translate, compile.
extract:
	$(BIN)/pybabel extract -F babel.cfg -k _l -k _lc:1c,2 -k N_ -o translations/messages.pot \
		--ignore-dirs=".venv tests migrations bench" .
	$(BIN)/pybabel update -i translations/messages.pot -d translations

# Debian packages the tests use: PostgreSQL 15, Redis and nginx (all started by the tests
# themselves, never as services), Chromium, a CJK font and an emoji font (the category tiles).
system-deps:
	@if ! command -v chromium >/dev/null || ! test -x /usr/lib/postgresql/15/bin/initdb || ! test -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc || ! test -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf || ! command -v redis-server >/dev/null || ! test -x /usr/sbin/nginx; then \
		apt-get update -qq && apt-get install -y -qq chromium postgresql-15 fonts-wqy-zenhei fonts-noto-color-emoji redis-server nginx; fi

# The web server and the one scheduler process together; Ctrl-C stops both.
run: install
	$(FLASK) db upgrade
	$(FLASK) calendar seed
	$(FLASK) seed-demo --if-empty
	@bash -c 'trap "kill 0" EXIT; $(FLASK) scheduler & $(FLASK) run --host 127.0.0.1 --port 5000'

# Two processes (pytest-xdist), each with its own PostgreSQL and Chromium on free ports.
TEST_WORKERS ?= 2
test: install-dev system-deps
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

clean:
	rm -rf $(VENV) instance .pytest_cache

# Front-end packages (static/vendor/packages.txt) fetched from npm, checked, committed.
vendor:
	bash scripts/vendor.sh

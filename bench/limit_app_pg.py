"""The shared harness's ceiling app (../shared/bench/limit_app.py) on PostgreSQL: the
thinnest Flask + psycopg app doing the same hot paths, so gridgov's figures on PostgreSQL
have a ceiling of their own (bench/pg_ceiling.py serves it).

  POST /reports            JSON {category, description, lat, lon} -> 201 {"id": N}
  GET  /reports?limit=20   newest N reports (limit capped at 100)

Same checks and answers as the SQLite app, one connection per worker process (sync
workers), each statement in autocommit: a create is one durable transaction (the
cluster's synchronous_commit decides) in one round trip, the thinnest PostgreSQL allows.
LIMIT_PG is its connection string.
"""
import os

import psycopg
from flask import Flask, jsonify, request

DSN = os.environ["LIMIT_PG"]
CATEGORIES = {"outage", "flicker", "damaged_line", "meter", "vegetation", "other"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    id          BIGSERIAL PRIMARY KEY,
    category    TEXT    NOT NULL,
    description TEXT    NOT NULL,
    lat         DOUBLE PRECISION NOT NULL,
    lon         DOUBLE PRECISION NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'open',
    created_at  DOUBLE PRECISION NOT NULL DEFAULT extract(epoch FROM now())
);
CREATE INDEX IF NOT EXISTS reports_category ON reports(category);
"""

_connection = None


def db():
    """This worker's connection, opened on first use (after the fork)."""
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(DSN, autocommit=True)
    return _connection


def init_db():
    with psycopg.connect(DSN, autocommit=True) as connection:
        connection.execute(SCHEMA)


init_db()  # idempotent; runs in the gunicorn master when preloaded
app = Flask(__name__)


def _bad(msg):
    return jsonify(error=msg), 400


@app.post("/reports")
def create_report():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _bad("body must be a JSON object")
    cat, desc = data.get("category"), data.get("description")
    lat, lon = data.get("lat"), data.get("lon")
    if cat not in CATEGORIES:
        return _bad("unknown category")
    if not isinstance(desc, str) or not (1 <= len(desc) <= 2000):
        return _bad("description must be 1..2000 chars")
    if not isinstance(lat, (int, float)) or not -90 <= lat <= 90:
        return _bad("lat out of range")
    if not isinstance(lon, (int, float)) or not -180 <= lon <= 180:
        return _bad("lon out of range")
    # one statement in autocommit: its own durable transaction, one round trip
    ident = db().execute(
        "INSERT INTO reports (category, description, lat, lon) VALUES (%s, %s, %s, %s)"
        " RETURNING id", (cat, desc, float(lat), float(lon))).fetchone()[0]
    return jsonify(id=ident), 201


@app.get("/reports")
def list_reports():
    try:
        limit = max(1, min(100, int(request.args.get("limit", 20))))
    except ValueError:
        return _bad("limit must be an integer")
    rows = db().execute(
        "SELECT id, category, description, lat, lon, status, created_at"
        " FROM reports ORDER BY id DESC LIMIT %s", (limit,)).fetchall()
    keys = ("id", "category", "description", "lat", "lon", "status", "created_at")
    return jsonify(reports=[dict(zip(keys, r)) for r in rows])


@app.get("/healthz")
def healthz():
    return "ok\n"

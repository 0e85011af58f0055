"""The workbench's search by bigrams (issue 8): a case's number, address and description
indexed by every two neighbouring letters or digits and by each character
(core.textsearch), so a search looks up the cases holding its words instead of reading
every case of the caller's scope (1.2–2.2 s for a town's dispatcher or the county at a
million cases).

SQLite: a contentless FTS5 table `event_search` (rowid = event.id). New cases are indexed by
the scheduler's cycle (`event_search_mark`: the last id indexed; searches read the cases
after it as before); a case whose words change or that is deleted is mended by triggers
through the SQL function gridgov_terms the app registers on every connection
(core.textsearch).
PostgreSQL: the same terms computed in SQL (gridgov_terms, gridgov_query) and a GIN
expression index over them.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-05 00:00:00

"""
from alembic import op


revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None

_OLD_TERMS = "gridgov_terms(old.number, old.address, old.description)"
_NEW_TERMS = "gridgov_terms(new.number, new.address, new.description)"
_INDEXED = "(SELECT indexed_to FROM event_search_mark)"
SQLITE = [
    "CREATE VIRTUAL TABLE event_search USING fts5(terms, content='', columnsize=0, "
    "tokenize='unicode61 remove_diacritics 0')",
    # every case up to this id is in the index; those after it, the newest, are not yet —
    # the scheduler's cycle adds them (events.search.catch_up), a create pays nothing
    "CREATE TABLE event_search_mark (id INTEGER PRIMARY KEY CHECK (id = 1), "
    "indexed_to INTEGER NOT NULL)",
    "INSERT INTO event_search_mark (id, indexed_to) SELECT 1, coalesce(max(id), 0) FROM event",
    # an indexed case whose words change is indexed again at once (by its old terms out)
    f"CREATE TRIGGER event_search_update AFTER UPDATE OF number, address, description "
    f"ON event WHEN old.id <= {_INDEXED} BEGIN "
    f"INSERT INTO event_search (event_search, rowid, terms) VALUES ('delete', old.id, "
    f"{_OLD_TERMS}); "
    f"INSERT INTO event_search (rowid, terms) VALUES (new.id, {_NEW_TERMS}); END",
    # a deleted one leaves it; and the mark never passes the newest case (whatever was
    # deleted, indexed or not), so an id SQLite hands out again is never taken for indexed
    f"CREATE TRIGGER event_search_delete AFTER DELETE ON event BEGIN "
    f"INSERT INTO event_search (event_search, rowid, terms) SELECT 'delete', old.id, "
    f"{_OLD_TERMS} WHERE old.id <= {_INDEXED}; "
    f"UPDATE event_search_mark SET indexed_to = "
    f"min(indexed_to, (SELECT coalesce(max(id), 0) FROM event)); END",
    "INSERT INTO event_search (rowid, terms) "
    "SELECT id, gridgov_terms(number, address, description) FROM event",
]
POSTGRESQL = [
    # letters and digits as the database's locale sees them, lower-cased: each run's
    # neighbouring pairs and characters, once each (the LIKE decides; order is not needed)
    """CREATE FUNCTION gridgov_terms(text, text, text) RETURNS tsvector
       LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
         SELECT coalesce(array_to_tsvector(array_agg(DISTINCT t)), ''::tsvector)
         FROM regexp_split_to_table(lower(concat_ws(' ', $1, $2, $3)), '[^[:alnum:]]+') AS w,
              generate_series(1, length(w)) AS i,
              LATERAL (VALUES (substr(w, i, 1)),
                              (CASE WHEN i < length(w) THEN substr(w, i, 2) END)) AS v (t)
         WHERE t IS NOT NULL
       $$""",
    # a search's bigrams, all required (its characters when it has no bigram); NULL when it
    # has neither
    """CREATE FUNCTION gridgov_query(text) RETURNS text
       LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
         SELECT string_agg(quote_literal(l), ' & ')
         FROM (SELECT l, max(length(l)) OVER () AS longest
               FROM unnest(tsvector_to_array(gridgov_terms($1, '', ''))) AS l) AS found
         WHERE length(l) = longest
       $$""",
    "CREATE INDEX ix_event_search ON event USING gin "
    "(gridgov_terms(number, address, description))",
]


def upgrade():
    for statement in (POSTGRESQL if op.get_bind().dialect.name == 'postgresql' else SQLITE):
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX ix_event_search")
        op.execute("DROP FUNCTION gridgov_query(text)")
        op.execute("DROP FUNCTION gridgov_terms(text, text, text)")
    else:
        for name in ("delete", "update"):
            op.execute(f"DROP TRIGGER event_search_{name}")
        op.execute("DROP TABLE event_search_mark")
        op.execute("DROP TABLE event_search")

"""Bigrams for searching Chinese text by any part of it (issue 8: the workbench's search at a
million cases).

A search is `LIKE '%…%'`: any run of characters, and most Chinese searches are two
characters (垃圾, 路灯, 积雪). Word tokenizers need a dictionary and miss a word cut across
two; trigram indexes (SQLite FTS5's trigram tokenizer, PostgreSQL's pg_trgm) serve three
characters or more. So a text is indexed by its bigrams — every two neighbouring characters
within a run of letters and digits, lower-cased ("修路灯杆" → 修路 路灯 灯杆; "QH-2026" → qh
20 02 26) — and by its single characters, once each. A search's runs of two or more
characters give bigrams every matching text holds next to each other and in order, its
runs of one character a character it holds: a necessary condition the index answers, with
the `LIKE` still deciding. A search with no letter or digit ("-", "。") is answered by the
`LIKE` alone.

SQLite keeps the terms in an FTS5 table (migration 0037), filled through `terms()`,
registered on every connection as the SQL function `gridgov_terms` (the scheduler's round
and the triggers call it); the index and the searches must split text the same way, so a
change of `terms()` — or of Python's Unicode tables, on an upgrade of Python — needs the
index rebuilt (`flask --app wsgi search-rebuild`: a contentless table removes a row by the
terms it was given). PostgreSQL computes its own in SQL (the functions of the same names in
migration 0037) for an expression index.
"""
import re

_RUN = re.compile(r"[^\W_]+")  # letters and digits of any script

#: SQLite's search tables (migration 0037): FTS5's table and its shadow tables, the mark
SEARCH_TABLES = frozenset(("event_search", "event_search_data", "event_search_idx",
                           "event_search_config", "event_search_docsize",
                           "event_search_content", "event_search_mark"))


def _token(characters: str) -> str:
    """A term as FTS5 stores it: each character's code point in six hex digits. FTS5's
    tokenizer then sees ASCII letters and digits only and keeps each term whole; its own
    Unicode tables (SQLite's, older than Python's) split or drop some letters Python counts
    (New Tai Lue's vowel signs: a search of them alone found nothing)."""
    return "".join(f"{ord(character):06x}" for character in characters)


def _bigrams(run: str) -> list[str]:
    return [_token(run[i:i + 2]) for i in range(len(run) - 1)]


def terms(*texts: str | None) -> str:
    """The bigrams of `texts` in order (each run's apart), then their characters once each:
    space-separated, for the index."""
    pairs, characters = [], {}
    for text in texts:
        if text:
            for run in _RUN.findall(text.lower()):
                pairs += _bigrams(run)
                characters.update(dict.fromkeys(run))
    return " ".join(pairs + [_token(character) for character in characters])


def match_expression(query: str) -> str | None:
    """An FTS5 query every text holding `query` matches — each run of two or more
    characters a phrase of its bigrams, each run of one that character — or None when
    `query` has no letter or digit."""
    phrases = ['"' + " ".join(_bigrams(run) or [_token(run)]) + '"'
               for run in _RUN.findall(query.lower())]
    return " AND ".join(phrases) or None


def register(dbapi_connection) -> None:
    """`gridgov_terms(number, address, description)` on a SQLite connection, for the
    triggers that keep the search index."""
    dbapi_connection.create_function("gridgov_terms", 3, terms, deterministic=True)


def described_by_models(name, type_, _parent_names) -> bool:
    """alembic's include_name: False for what migration 0037 makes for the search and no model
    describes — SQLite's FTS5 table, its shadow tables and its mark; PostgreSQL's expression
    index."""
    return not ((type_ == "table" and name in SEARCH_TABLES)
                or (type_ == "index" and name == "ix_event_search"))

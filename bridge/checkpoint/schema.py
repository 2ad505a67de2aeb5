"""The checkpoint's SQL, and the checks that a file is a checkpoint this scbridge can read.

A file that is not one (garbage, another program's SQLite file, a damaged
page) or that a newer scbridge wrote is refused with a CheckpointError naming
it, and left untouched: losing the record of what was created is how
duplicates are made.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bridge.errors import CheckpointError

SCHEMA_VERSION = 3
APPLICATION_ID = 0x5CB71D6E  # marks the file as scbridge's, so a foreign SQLite file is refused
#: The tables each schema version must have.
TABLES_BY_VERSION = {1: frozenset({"items", "runs", "meta"}),
                     2: frozenset({"items", "runs", "meta", "issues"}),
                     3: frozenset({"items", "runs", "meta", "milestone_issues", "seen"})}
TABLES = TABLES_BY_VERSION[SCHEMA_VERSION]

# Version 2: each GitLab issue's milestone and state as last seen, so a mirror run reads only
# the issues updated since its bookmark and still knows every milestone's counts. `scan` is
# the full scan that last wrote the row: rows an interrupted full scan did not reach are kept.
# Version 3 renames it `milestone_issues`: it is the milestones' issue-count cache, not the
# ledger of issues scbridge wrote (those are `items` rows of kind 'issue').
ISSUES_TABLE = ("CREATE TABLE issues (id INTEGER PRIMARY KEY, milestone_id INTEGER, "
                "state TEXT NOT NULL, updated_at TEXT, scan INTEGER NOT NULL DEFAULT 0);")

# Version 3: the write ledger is keyed by (kind, GitLab id), so labels, milestones, issues and
# comments share it; `natural_key` (was `slug`) is what finds the object on the target.
# WITHOUT ROWID: the key is the table, one b-tree as with the old INTEGER PRIMARY KEY, so a
# record still touches one page and costs the same with 10 items or 600,000.
ITEMS_TABLE = ("CREATE TABLE {name} (kind TEXT NOT NULL, source_id INTEGER NOT NULL, "
               "target_id TEXT, natural_key TEXT NOT NULL, state TEXT NOT NULL, "
               "written_hash TEXT, target_updated_at TEXT, error TEXT, updated_at TEXT NOT NULL, "
               "target_slug TEXT, PRIMARY KEY (kind, source_id)) WITHOUT ROWID;")

# Version 3 also has `seen`: per kind, the stamp of a GitLab object whose children are all
# moved (an issue's `updated_at` and note count once its comments are all on SourceCraft),
# so a later run skips reading what has not changed since.
SEEN_TABLE = ("CREATE TABLE seen (kind TEXT NOT NULL, source_id INTEGER NOT NULL, "
              "stamp TEXT NOT NULL, PRIMARY KEY (kind, source_id)) WITHOUT ROWID;")

#: Each step takes a file from the version it is keyed by to the next, in one transaction.
MIGRATIONS = {
    1: f"BEGIN IMMEDIATE; {ISSUES_TABLE} PRAGMA user_version = 2; COMMIT;",
    # Every existing record is a milestone's: scbridge before version 3 moved nothing else.
    2: ("BEGIN IMMEDIATE; " + ITEMS_TABLE.format(name="items_v3") +
        " INSERT INTO items_v3 SELECT"
        " 'milestone', source_id, target_id, slug, state, "
        "written_hash, target_updated_at, error, updated_at, slug FROM items; DROP TABLE items; "
        "ALTER TABLE items_v3 RENAME TO items; ALTER TABLE issues RENAME TO milestone_issues; "
        + SEEN_TABLE + " PRAGMA user_version = 3; COMMIT;"),
}

SCHEMA = f"""
BEGIN IMMEDIATE;
{ITEMS_TABLE.format(name="items")}
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, command TEXT NOT NULL,
  dry_run INTEGER NOT NULL, pid INTEGER NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,
  summary TEXT, exit_code INTEGER);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
{ISSUES_TABLE.replace("TABLE issues", "TABLE milestone_issues")}
{SEEN_TABLE}
PRAGMA application_id = {APPLICATION_ID};
PRAGMA user_version = {SCHEMA_VERSION};
COMMIT;
"""

SELECT_ITEMS = ("SELECT kind, source_id, target_id, natural_key, state, written_hash, "
                "target_updated_at, error, updated_at, target_slug FROM items WHERE kind = ?")
SELECT_ITEM = SELECT_ITEMS + " AND source_id = ?"
SELECT_SOME_ITEMS = SELECT_ITEMS + " AND source_id IN ({marks}) ORDER BY source_id"
# Keyset pages in primary-key order (no sort: the table is that b-tree); `{after}` is empty
# for the first page, else `AND source_id > ?`.
SELECT_ITEMS_ORDERED = SELECT_ITEMS + " {after} ORDER BY source_id LIMIT ?"
SELECT_ITEM_IDS = "SELECT source_id FROM items WHERE kind = ? {after} ORDER BY source_id LIMIT ?"
SELECT_ITEM_KEYS = ("SELECT source_id, natural_key FROM items WHERE kind = ? {after} "
                    "ORDER BY source_id LIMIT ?")
# The three columns an issue-number map reads, in primary-key order, for the few rows with a slug.
SELECT_SLUGS = ("SELECT natural_key, target_slug, state FROM items WHERE kind = ? "
                "AND target_slug IS NOT NULL ORDER BY source_id")
COUNT_KIND = "SELECT count(*) FROM items WHERE kind = ?"
# Whether any record of a kind is in one of some states (`{marks}`: one ? each).
ANY_IN_STATE = "SELECT 1 FROM items WHERE kind = ? AND state IN ({marks}) LIMIT 1"
COUNT_ITEMS = "SELECT kind, state, count(*) FROM items GROUP BY kind, state"
# One statement, one row, one commit: recording costs the same with 10 items or 10,000.
UPSERT_ITEM = (
    "INSERT INTO items (kind, source_id, target_id, natural_key, state, written_hash, "
    "target_updated_at, error, updated_at, target_slug) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT(kind, source_id) DO UPDATE SET target_id = excluded.target_id, "
    "natural_key = excluded.natural_key, state = excluded.state, "
    "written_hash = excluded.written_hash, "
    "target_updated_at = excluded.target_updated_at, error = excluded.error, "
    "updated_at = excluded.updated_at, target_slug = excluded.target_slug")
INSERT_RUN = "INSERT INTO runs (command, dry_run, pid, started_at) VALUES (?, ?, ?, ?)"
FINISH_RUN = "UPDATE runs SET finished_at = ?, summary = ?, exit_code = ? WHERE id = ?"
LAST_RUN = ("SELECT id, command, started_at, finished_at, summary, exit_code, dry_run "
            "FROM runs ORDER BY id DESC LIMIT 1")
SELECT_META = "SELECT key, value FROM meta"
SELECT_SEEN = "SELECT source_id, stamp FROM seen WHERE kind = ?"
UPSERT_SEEN = ("INSERT INTO seen (kind, source_id, stamp) VALUES (?, ?, ?) "
               "ON CONFLICT(kind, source_id) DO UPDATE SET stamp = excluded.stamp")
UPSERT_META = ("INSERT INTO meta (key, value) VALUES (?, ?) "
               "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
SELECT_ISSUES = ("SELECT id, milestone_id, state, updated_at FROM milestone_issues "
                 "WHERE id IN ({marks})")
UPSERT_ISSUE = ("INSERT INTO milestone_issues (id, milestone_id, state, updated_at, scan) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "milestone_id = excluded.milestone_id, state = excluded.state, "
                "updated_at = excluded.updated_at, scan = excluded.scan")
TALLY_ISSUES = ("SELECT milestone_id, state, count(*) FROM milestone_issues "
                "WHERE milestone_id IS NOT NULL GROUP BY milestone_id, state")
COUNT_ISSUES = "SELECT count(*) FROM milestone_issues"
UNLINK_ISSUES = "UPDATE milestone_issues SET milestone_id = NULL WHERE milestone_id = ?"
PRUNE_ISSUES = "DELETE FROM milestone_issues WHERE scan != ?"


def unusable(path: Path, why: object) -> CheckpointError:
    """The error for a file that is not a checkpoint we can read; it says the file was kept."""
    return CheckpointError(f"{path} is not a usable scbridge checkpoint ({why}); it was left as "
                           "it is: restore it, or start over with --fresh (which keeps a copy)")


def prepare(conn: sqlite3.Connection, path: Path, *, writable: bool,
            upgrade: bool | None = None) -> int:
    """Check the file is ours, of a version we read; create or upgrade the schema if `upgrade`.

    `upgrade` defaults to `writable`. A read-only view passes True for its private copy, so
    a dry run after upgrading scbridge reads an older file through today's schema while the
    file itself is migrated only by the next locked run.
    """
    upgrade = writable if upgrade is None else upgrade
    try:
        if writable:
            # Rollback mode while checking and creating: this also folds in a WAL left by a
            # killed run, or rolls back its hot journal. `wal.enter` then switches to WAL.
            conn.execute("PRAGMA journal_mode = DELETE")
            conn.execute("PRAGMA synchronous = FULL")  # fsync at each commit: durable on return
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise unusable(path, exc) from exc
    if check != "ok":
        raise unusable(path, f"integrity check: {check}")
    if app_id not in (0, APPLICATION_ID) or (version == 0 and tables):
        raise unusable(path, "an SQLite file that scbridge did not write")
    if version > SCHEMA_VERSION:
        raise CheckpointError(
            f"{path} was written by a newer scbridge (checkpoint version {version}; this one "
            f"reads up to {SCHEMA_VERSION}): upgrade scbridge, or use another --checkpoint")
    wanted = TABLES_BY_VERSION.get(version, TABLES)
    if version > 0 and not tables >= wanted:
        raise unusable(path, f"tables missing: {', '.join(sorted(wanted - tables))}")
    if upgrade and version < SCHEMA_VERSION and (writable or version > 0):
        try:
            if version == 0:
                conn.executescript(SCHEMA)
                version = SCHEMA_VERSION
            while version < SCHEMA_VERSION:
                conn.executescript(MIGRATIONS[version])
                version += 1
        except sqlite3.DatabaseError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise unusable(path, exc) from exc
    return version

"""Durable state: one SQLite database (WAL) in the data dir.

Everything the simulator has accepted lives here before the HTTP answer goes out: tasks,
batches, the infrastructure model, revoked tokens and the JWT signing key.  Records are stored
as JSON documents next to the few columns that queries filter or sort on.

`synchronous=NORMAL` with WAL makes every commit survive a killed process (SIGKILL), which is
the durability the simulator promises; only a power loss could drop the last commits.
All calls run on the event-loop thread; a commit here costs tens of microseconds.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import pathlib
import sqlite3
from typing import Any, Iterator

ACTIVE_STATUSES = ("Pending", "Running")
SQLITE_MAX_INT = 2**63 - 1  # any larger offset is past the last row anyway

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    record TEXT NOT NULL,
    plan TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_status ON tasks (status, seq);
CREATE TABLE IF NOT EXISTS batches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS batches_status ON batches (status, seq);
CREATE TABLE IF NOT EXISTS infras (name TEXT PRIMARY KEY, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS revoked (kind TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, value));
"""


class Store:
    def __init__(self, data_dir: str | pathlib.Path) -> None:
        self.path = pathlib.Path(data_dir) / "provsim.sqlite3"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One simulator per data dir: two would run the same tasks twice.  The kernel drops
        # the lock when the process dies, even by SIGKILL, so a restart never finds it stale.
        self._lock = open(self.path.parent / "provsim.lock", "w")  # noqa: SIM115 - held for the process lifetime
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise OSError(f"data dir {self.path.parent} is in use by another provsim") from None
        # isolation_level=None: we issue BEGIN/COMMIT ourselves so that one logical change
        # (a task and the model it altered) is a single atomic commit.
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._depth = 0

    def close(self) -> None:
        self._db.close()
        self._lock.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one commit; nested uses join the outer transaction."""
        if self._depth == 0:
            self._db.execute("BEGIN IMMEDIATE")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self._db.execute("ROLLBACK")
            raise
        self._depth -= 1
        if self._depth == 0:
            self._db.execute("COMMIT")

    def _write(self, sql: str, params: tuple = ()) -> None:
        with self.transaction():
            self._db.execute(sql, params)

    # ---- meta ------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._write("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # ---- tasks -----------------------------------------------------------------------

    def put_task(self, record: dict[str, Any], plan: dict[str, Any]) -> None:
        self._write(
            "INSERT INTO tasks (id, status, record, plan) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET status = excluded.status, record = excluded.record, plan = excluded.plan",
            (record["id"], record["status"], json.dumps(record), json.dumps(plan)),
        )

    def get_record(self, task_id: str) -> dict[str, Any] | None:
        """Only the public record: the hot path of GET /tasks/{id} needs no plan."""
        row = self._db.execute("SELECT record FROM tasks WHERE id = ?", (task_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def get_task(self, task_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        row = self._db.execute("SELECT record, plan FROM tasks WHERE id = ?", (task_id,)).fetchone()
        return (json.loads(row[0]), json.loads(row[1])) if row else None

    def list_tasks(self, status: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
        offset = min(offset, SQLITE_MAX_INT)
        if status is None:
            rows = self._db.execute("SELECT record FROM tasks ORDER BY seq DESC LIMIT ? OFFSET ?", (limit, offset))
        else:
            rows = self._db.execute(
                "SELECT record FROM tasks WHERE status = ? ORDER BY seq DESC LIMIT ? OFFSET ?", (status, limit, offset))
        return [json.loads(r[0]) for r in rows]

    def count_tasks(self, status: str | None = None) -> int:
        if status is None:
            return self._db.execute("SELECT COUNT(*) FROM tasks").fetchone()[0]
        return self._db.execute("SELECT COUNT(*) FROM tasks WHERE status = ?", (status,)).fetchone()[0]

    def active_tasks(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        rows = self._db.execute(
            "SELECT record, plan FROM tasks WHERE status IN (?, ?) ORDER BY seq", ACTIVE_STATUSES)
        return [(json.loads(r[0]), json.loads(r[1])) for r in rows]

    # ---- batches ---------------------------------------------------------------------

    def put_batch(self, record: dict[str, Any]) -> None:
        self._write(
            "INSERT INTO batches (id, status, record) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET status = excluded.status, record = excluded.record",
            (record["id"], record["status"], json.dumps(record)),
        )

    def get_batch(self, batch_id: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT record FROM batches WHERE id = ?", (batch_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def list_batches(self, status: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
        offset = min(offset, SQLITE_MAX_INT)
        if status is None:
            rows = self._db.execute("SELECT record FROM batches ORDER BY seq DESC LIMIT ? OFFSET ?", (limit, offset))
        else:
            rows = self._db.execute(
                "SELECT record FROM batches WHERE status = ? ORDER BY seq DESC LIMIT ? OFFSET ?",
                (status, limit, offset))
        return [json.loads(r[0]) for r in rows]

    def active_batches(self) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT record FROM batches WHERE status IN (?, ?) ORDER BY seq", ACTIVE_STATUSES)
        return [json.loads(r[0]) for r in rows]

    # ---- infrastructure model ----------------------------------------------------------

    def load_infras(self) -> dict[str, dict[str, Any]]:
        return {name: json.loads(state) for name, state in self._db.execute("SELECT name, state FROM infras")}

    def put_infra(self, name: str, state: dict[str, Any]) -> None:
        self._write("INSERT OR REPLACE INTO infras (name, state) VALUES (?, ?)", (name, json.dumps(state)))

    # ---- token revocation ------------------------------------------------------------

    def revoke(self, kind: str, value: str) -> None:
        self._write("INSERT OR IGNORE INTO revoked (kind, value) VALUES (?, ?)", (kind, value))

    def revoked(self) -> set[tuple[str, str]]:
        return set(self._db.execute("SELECT kind, value FROM revoked"))

    # ---- test support ----------------------------------------------------------------

    def clear_workload(self) -> None:
        """Drop tasks, batches and the model (POST /_sim/reset).  Keys and revocations stay."""
        with self.transaction():
            for table in ("tasks", "batches", "infras"):
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names

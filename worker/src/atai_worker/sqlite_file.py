"""One SQLite file shared by the worker's processes: WAL, a connection per thread and process, and write
transactions that take the lock up front. The run store and the fleet state are each one such file."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path


class SqliteFile:
    """A SQLite file with its schema; subclasses name the schema and bring older files up to it."""

    schema: tuple[str, ...] = ()

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._write() as db:
            for statement in self.schema:
                db.execute(statement)
            self._migrate(db)

    def _migrate(self, db: sqlite3.Connection) -> None:
        """Bring a file an earlier version wrote up to the schema (inside the creating transaction)."""

    def _connection(self) -> sqlite3.Connection:
        # A connection must not cross a fork (gunicorn) or be shared by threads.
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("pragma journal_mode=wal")
            # NORMAL: with WAL a write survives a crash of the process, not always of the machine. That is
            # enough here: WordPress holds the truth, and a draft lost with the machine is made again.
            conn.execute("pragma synchronous=normal")
            conn.execute("pragma busy_timeout=30000")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    class _Transaction:
        def __init__(self, conn: sqlite3.Connection):
            self.conn = conn

        def __enter__(self) -> sqlite3.Connection:
            # IMMEDIATE takes the write lock up front, so read-then-write cannot deadlock.
            self.conn.execute("begin immediate")
            return self.conn

        def __exit__(self, exc_type, exc, tb):
            self.conn.execute("rollback" if exc_type else "commit")

    def _write(self) -> "_Transaction":
        return self._Transaction(self._connection())

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

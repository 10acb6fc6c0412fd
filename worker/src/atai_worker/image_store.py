"""The image store: checked image bytes by their sha256, for the plugin to copy (GET /v1/images/{sha256}).

Images are kept apart from runs: one image serves every draft, run and feed that names it, and a run
is deleted once acknowledged while a post may still wait for its picture. An image lasts IMAGE_TTL
after a draft last named it. The store also remembers which URL gave which image, so an image named by
many entries is downloaded once. Two backends, like the run store: SQLite in ATAI_DATA_DIR (shared by
the API and the consumer) or Redis.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .settings import Settings
from .sqlite_file import SqliteFile

IMAGE_TTL = 7 * 24 * 3600
# How long a URL is taken to name the same image before it is downloaded again.
URL_TTL = 24 * 3600
# An image named again has its life extended at most this often (a write per use would cost more than it says).
TOUCH_EVERY = 3600


@dataclass(frozen=True)
class StoredImage:
    """Checked image bytes (None when only what the check found was read) and what the check found."""

    sha256: str
    mime_type: str
    width: int
    height: int
    size: int
    body: bytes | None = None


class ImageStore(Protocol):
    """What the runner and the API ask of an image store."""

    def put(self, url: str, image: StoredImage) -> None:
        """Keep the image (with its body) and remember that url gave it."""

    def get(self, sha256: str) -> StoredImage | None:
        """The image with its body, or None when unknown or expired."""

    def for_url(self, url: str) -> StoredImage | None:
        """What the image url gave lately is (without its body), if it is still kept; its life is extended."""

    def close(self) -> None:
        """Release this process's (or thread's) connection."""


class SqliteImageStore(SqliteFile):
    """Images in their own SQLite file (WAL) beside the run store's: writes of megabytes of image
    bytes do not hold up the run store's writers."""

    schema = (
        "create table if not exists images (sha256 text primary key, mime_type text not null, width integer"
        " not null, height integer not null, body blob not null, stored_at real not null)",
        "create index if not exists images_stored_at on images (stored_at)",
        "create table if not exists image_urls (url text primary key, sha256 text not null, seen_at real not null)",
    )

    def put(self, url: str, image: StoredImage) -> None:
        now = time.time()
        with self._write() as db:
            db.execute("insert into images (sha256, mime_type, width, height, body, stored_at) values (?, ?, ?, ?, ?, ?)"
                       " on conflict (sha256) do update set stored_at = excluded.stored_at",
                       (image.sha256, image.mime_type, image.width, image.height, image.body, now))
            db.execute("insert or replace into image_urls (url, sha256, seen_at) values (?, ?, ?)",
                       (url, image.sha256, now))
            # Expired images go as new ones come: no separate sweeper to run.
            db.execute("delete from images where stored_at < ?", (now - IMAGE_TTL,))
            db.execute("delete from image_urls where seen_at < ?", (now - URL_TTL,))

    def get(self, sha256: str) -> StoredImage | None:
        row = self._connection().execute(
            "select sha256, mime_type, width, height, length(body), body from images where sha256 = ? and stored_at >= ?",
            (sha256, time.time() - IMAGE_TTL)).fetchone()
        return StoredImage(row[0], row[1], row[2], row[3], row[4], bytes(row[5])) if row else None

    def for_url(self, url: str) -> StoredImage | None:
        now = time.time()
        db = self._connection()
        row = db.execute(
            "select i.sha256, i.mime_type, i.width, i.height, length(i.body), i.stored_at from image_urls u"
            " join images i using (sha256) where u.url = ? and u.seen_at >= ? and i.stored_at >= ?",
            (url, now - URL_TTL, now - IMAGE_TTL)).fetchone()
        if row is None:
            return None
        if row[5] < now - TOUCH_EVERY:
            # Named again: it must outlive the drafts that name it now.
            db.execute("update images set stored_at = ? where sha256 = ?", (now, row[0]))
        return StoredImage(row[0], row[1], row[2], row[3], row[4])


class RedisImageStore:
    """Images in Redis, each a hash that expires by itself."""

    def __init__(self, url: str, prefix: str = "atai"):
        import redis

        self.redis = redis.Redis.from_url(url)
        self.prefix = prefix

    def put(self, url: str, image: StoredImage) -> None:
        key = f"{self.prefix}:image:{image.sha256}"
        pipe = self.redis.pipeline()
        pipe.hset(key, mapping={"mime_type": image.mime_type, "width": image.width, "height": image.height,
                                "body": image.body})
        pipe.expire(key, IMAGE_TTL)
        pipe.set(f"{self.prefix}:image-url:{url}", image.sha256, ex=URL_TTL)
        pipe.execute()

    def get(self, sha256: str) -> StoredImage | None:
        data = self.redis.hgetall(f"{self.prefix}:image:{sha256}")
        if not data:
            return None
        return StoredImage(sha256, data[b"mime_type"].decode(), int(data[b"width"]), int(data[b"height"]),
                           len(data[b"body"]), data[b"body"])

    def for_url(self, url: str) -> StoredImage | None:
        sha256 = self.redis.get(f"{self.prefix}:image-url:{url}")
        if not sha256:
            return None
        key = f"{self.prefix}:image:{sha256.decode()}"
        mime_type, width, height = self.redis.hmget(key, "mime_type", "width", "height")
        if mime_type is None:
            return None
        self.redis.expire(key, IMAGE_TTL)
        return StoredImage(sha256.decode(), mime_type.decode(), int(width), int(height), self.redis.hstrlen(key, "body"))

    def close(self) -> None:
        self.redis.close()


def open_image_store(settings: Settings) -> ImageStore:
    """The image store beside the run store: Redis when ATAI_REDIS_URL is set, else SQLite in ATAI_DATA_DIR."""
    if settings.redis_url:
        return RedisImageStore(settings.redis_url)
    return SqliteImageStore(Path(settings.data_dir) / "images.db")

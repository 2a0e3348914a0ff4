"""SQLite backend, the embedded default: one file under the data dir, WAL mode, versioned schema.

Rows mirror FaynoSync's documents: ids are 24-hex ObjectId strings, times are milliseconds since
the epoch (BSON datetime precision), nested documents are stored as their JSON text. The same
uniqueness rules as the MongoDB indexes are enforced by UNIQUE constraints.

``schema`` holds the tables, ``connection`` the two connections, ``codec`` the rows' shapes,
and one module per repository of the store protocol reads and writes them.
"""

from faynosync.store.sqlite.schema import MIGRATIONS
from faynosync.store.sqlite.store import SqliteStore

__all__ = ["MIGRATIONS", "SqliteStore"]

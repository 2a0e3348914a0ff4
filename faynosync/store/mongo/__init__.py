"""MongoDB backend: FaynoSync's collections, field names, BSON types and indexes, exactly.

Pointed at an existing FaynoSync database it reads and writes the same documents.

``schema`` holds the indexes and backfills, ``connection`` the client, ``codec`` the documents'
shapes, ``ordering`` the version ordering field, and one module per repository of the store
protocol reads and writes them.
"""

from faynosync.store.mongo.codec import version_document, version_from
from faynosync.store.mongo.ordering import ORDER_FIELD, order_document
from faynosync.store.mongo.schema import INDEXES, OBSOLETE_INDEXES
from faynosync.store.mongo.store import MongoStore

__all__ = [
    "INDEXES",
    "OBSOLETE_INDEXES",
    "ORDER_FIELD",
    "MongoStore",
    "order_document",
    "version_document",
    "version_from",
]

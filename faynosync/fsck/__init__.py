"""Consistency of documents and stored objects: ``faynosync fsck`` and the start-up report."""

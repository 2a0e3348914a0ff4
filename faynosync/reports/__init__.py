"""Crash and event reports (FaynoSync v2.1): report keys, ingest, groups, detail blobs."""

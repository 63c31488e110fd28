"""Errors of the knowledge stores, shared by every backend and by build and ingest."""

from __future__ import annotations

from sportsgpt.core.errors import SportsGPTError


class KnowledgeStoreError(SportsGPTError):
    """A knowledge store operation that cannot be carried out (the message says why)."""


class GraphIntegrityError(KnowledgeStoreError, ValueError):
    """Nodes or relations that break the graph's rules (bad name, missing endpoint...)."""


class StoreCorruptError(KnowledgeStoreError):
    """Store files that disagree with their manifest beyond what crash recovery repairs."""

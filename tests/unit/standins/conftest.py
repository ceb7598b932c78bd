"""Fixtures of the stand-in tests (defined in ``standin_kit``, shared with H3b's tests)."""

from __future__ import annotations

from standin_kit import cluster, kubectl, pki, standin_bin, tools

__all__ = ["cluster", "kubectl", "pki", "standin_bin", "tools"]

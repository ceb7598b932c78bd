"""Scoped key/value caches: pipeline ⊃ module ⊃ task ⊃ step.

The runtime creates a cache when a unit starts (``parent.child(Scope.TASK)``) and drops it when
the unit ends. Reads fall through to the enclosing scopes; writes and deletes stay in the scope
that made them, so sibling tasks or steps never see each other's values.
"""

from kubexm.cache.scoped import CacheTypeError, Scope, ScopedCache

__all__ = ["CacheTypeError", "Scope", "ScopedCache"]

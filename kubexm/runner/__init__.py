"""Stateless host operations on one connection.

Operations take a ``Host`` (a connection, the sudo choice and the dry-run gate). ``ensure_*``
functions are idempotent end states returning ``OpResult(changed, detail)``; ``get_*``
functions are plain reads. Import the submodules directly, e.g.
``from kubexm.runner.files import ensure_file``.
"""

from kubexm.runner.host import Host, OpResult, Record, Recorder

__all__ = ["Host", "OpResult", "Record", "Recorder"]

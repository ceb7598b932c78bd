"""The base of every step: typed inputs, a name, ``check`` then ``run``.

A concrete step is a frozen dataclass whose fields are its typed inputs::

    @register_step
    @dataclass(frozen=True)
    class WriteEtcdConfig(Step):
        name = "etcd/write-etcd-config"
        title = "Write etcd config"
        path: str
        content: str

``check`` returns True when the host is already in the end state (the node is then
``unchanged``); ``run`` brings it there. Rollback is optional: implement
``async def rollback(self, ctx)`` and the step satisfies ``kubexm.plan.Rollbackable``.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import re
from abc import ABC, abstractmethod
from pathlib import Path, PurePath
from typing import ClassVar, TypeVar

from kubexm.errors import PlanError
from kubexm.plan import NO_RETRY, Registry, RetryPolicy, StepContext

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9.-]*)+$")


class Step(ABC):
    """One idempotent action on one host.

    Class attributes: ``name`` (path-style, ``area/verb-object``), ``title`` (short
    imperative), ``bulk`` (counts against the bulk-upload cap), ``serial_group`` (one at a time
    across the cluster), ``timeout`` in seconds for check plus run, ``retry``, ``resumable``.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    bulk: ClassVar[bool] = False
    serial_group: ClassVar[str | None] = None
    timeout: ClassVar[float] = 600.0
    retry: ClassVar[RetryPolicy] = NO_RETRY
    # False for steps that judge the present state (preflight): a later run never skips them
    # because an earlier run with the same inputs succeeded.
    resumable: ClassVar[bool] = True

    def describe(self) -> str:
        """One line for plan output; defaults to the title."""
        return self.title

    def inputs(self) -> dict[str, object]:
        """The typed inputs: the dataclass fields, else the public instance attributes."""
        if dataclasses.is_dataclass(self):
            return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def fingerprint(self) -> str:
        """A stable sha256 of the step name and its inputs; resume re-runs on a change.

        Raises ``PlanError`` when an input has a type with no stable form.
        """
        doc = {"step": self.name, "inputs": _canonical(self.inputs())}
        text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @abstractmethod
    async def check(self, ctx: StepContext) -> bool:
        """True when the host already is in the end state (nothing to do)."""

    @abstractmethod
    async def run(self, ctx: StepContext) -> None:
        """Bring the host to the end state; raise a ``KubexmError`` on failure."""


def _canonical(value: object) -> object:
    """A JSON-ready form that is equal for equal inputs, whatever the dict order."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        return {"sha256": hashlib.sha256(value).hexdigest()}
    if isinstance(value, Path) and value.is_file():
        # A local file is an input by its content: a new release file under the same name
        # (a re-staged bundle) must re-run the step on resume. Size and mtime stand for the
        # content so a plan does not hash every 100 MB archive.
        stat = value.stat()
        return {"path": str(value), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, enum.Enum):
        return _canonical(value.value)
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((_canonical(v) for v in value), key=json.dumps)
    return _canonical_object(value)


def _canonical_object(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _canonical({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return _canonical(dump(mode="json"))
    raise PlanError(
        f"step input of type {type(value).__name__} has no stable fingerprint",
        "use plain values, paths, bytes, enums, dataclasses or pydantic models as step inputs",
    )


STEPS: Registry[type[Step]] = Registry("step")

S = TypeVar("S", bound=type[Step])


def register_step(cls: S) -> S:
    """Class decorator: check the name is path-style and register the step under it.

    Raises ``PlanError`` for a missing or malformed name or title, or a name taken twice.
    """
    name = getattr(cls, "name", "")
    if not _NAME.match(name):
        raise PlanError(
            f"step {cls.__name__} has an invalid name {name!r}",
            "use a path-style name such as 'etcd/write-etcd-config'",
        )
    if not getattr(cls, "title", ""):
        raise PlanError(f"step {name} has no title", "add a short imperative title")
    STEPS.add(name, cls)
    return cls

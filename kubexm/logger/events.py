"""The structured event every log line, console line and JSON record is made from."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

KIND_LOG = "log"
KIND_BANNER = "banner"


def level_name(level: int) -> str:
    """Lowercase name of a stdlib level number (``20`` → ``info``, ``25`` → ``level 25``)."""
    return logging.getLevelName(level).lower()


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique run id such as ``20261203T170512Z-4f1a2b``."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Event:
    """One thing that happened during a run.

    ``level`` is a stdlib logging level number; ``host`` and ``step`` say where it happened
    (None when run-wide); ``fields`` carries structured details such as a path or an exit
    status; ``kind`` is ``"banner"`` for step headings and ``"log"`` otherwise. Messages and
    fields are already masked when an Event exists.
    """

    time: datetime
    level: int
    run_id: str
    host: str | None
    step: str | None
    message: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    kind: str = KIND_LOG

    def __post_init__(self) -> None:
        # Frozen means frozen: a sink must not be able to change what the next sink sees.
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))

    @property
    def level_name(self) -> str:
        """Lowercase level name (``info``, ``warning``...)."""
        return level_name(self.level)

    def to_record(self) -> dict[str, Any]:
        """The JSON-ready dict written to the run's ``.jsonl`` file."""
        return {
            "time": self.time.isoformat(timespec="milliseconds"),
            "level": self.level_name,
            "run_id": self.run_id,
            "kind": self.kind,
            "host": self.host,
            "step": self.step,
            "message": self.message,
            "fields": dict(self.fields),
        }

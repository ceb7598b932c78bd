"""A minimal executable for plan tests."""

from __future__ import annotations

from dataclasses import dataclass

from kubexm.plan import NO_RETRY, RetryPolicy, StepContext


@dataclass(frozen=True)
class Fake:
    name: str
    title: str = "Do a thing"
    bulk: bool = False
    serial_group: str | None = None
    timeout: float = 1.0
    retry: RetryPolicy = NO_RETRY

    def describe(self) -> str:
        return f"{self.title} ({self.name})"

    def fingerprint(self) -> str:
        return self.name

    async def check(self, ctx: StepContext) -> bool:
        return True

    async def run(self, ctx: StepContext) -> None:
        return None

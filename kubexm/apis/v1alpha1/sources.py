"""AddonSource: where an add-on, CNI or storage provider is installed from (chart or YAML)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import KxModel


class ChartSource(KxModel):
    """A Helm chart: ``name`` + ``repo``, or a local ``path``."""

    name: str | None = None
    repo: str | None = None
    path: str | None = None
    version: str | None = None
    values_file: str | None = None
    values: list[str] = Field(default_factory=list)
    wait: bool = True


class YamlSource(KxModel):
    """Manifests applied with kubectl: URLs or local files."""

    version: str | None = None
    path: Annotated[list[str], Field(min_length=1)]


class AddonSource(KxModel):
    """Exactly one of ``chart`` or ``yaml`` (checked by kubexm.config)."""

    namespace: str | None = None
    chart: ChartSource | None = None
    yaml: YamlSource | None = None

"""Helm chart archives fetched from their chart repository into ``<artifacts>/charts/``.

For each ``ChartArtifact`` the repository's ``index.yaml`` is read (once per repository), the
entry of the chart's version gives the archive URL (``urls[0]``, relative to the repository
when not absolute) and its sha256 ``digest``; the archive is then fetched with the verified,
resumable ``Downloader`` to ``<charts>/<name>-<version>.tgz``. A mismatch deletes the file. An
archive already there whose ``.sha256`` record still matches is used without the network.
Charts in OCI registries (``oci://``) are not fetched: the error says which ``helm pull`` to run.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

from kubexm.errors import ArtifactError
from kubexm.util.hashing import sha256_file
from kubexm.util.yamlio import YAMLSyntaxError, load_yaml_plain

from .bundle_manifest import chart_member
from .download import (
    OFFLINE_HINT,
    Downloader,
    DownloadOptions,
    FileOutcome,
    Status,
    network_error,
    parse_sha256_file,
)
from .model import ChartArtifact, FileArtifact

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_SHOWN_VERSIONS = 20
_INDEX_HINT = "check the chart repository URL and that it serves a helm index.yaml"


@dataclass(frozen=True)
class ChartOutcome:
    """One chart archive in place: ``bytes`` transferred in this run (0 when cached)."""

    chart: ChartArtifact
    path: Path
    status: Status
    bytes: int
    sha256: str


def chart_path(charts_dir: Path, chart: ChartArtifact) -> Path:
    """``<charts_dir>/<name>-<version>.tgz``, the name the bundle and the deploy use."""
    return charts_dir / Path(chart_member(chart)).name


def index_url(repo: str) -> str:
    """``https://helm.cilium.io`` -> ``https://helm.cilium.io/index.yaml``."""
    return f"{repo.rstrip('/')}/index.yaml"


def archive_url(repo: str, url: str) -> str:
    """An index entry's ``urls[0]`` made absolute against the repository URL."""
    return urljoin(f"{repo.rstrip('/')}/", url)


def _same_version(a: str, b: str) -> bool:
    return a == b or a.removeprefix("v") == b.removeprefix("v")


def chart_entry(index: Mapping[str, Any], chart: ChartArtifact) -> tuple[str, str]:
    """``(absolute archive URL, sha256)`` of ``chart`` in a parsed ``index.yaml``.

    Raises ``ArtifactError`` when the index has no such chart, no such version (listing the
    versions it has), or an entry without a URL or a sha256 digest.
    """
    entries = index.get("entries") if isinstance(index, Mapping) else None
    versions = entries.get(chart.name) if isinstance(entries, Mapping) else None
    if not isinstance(versions, list) or not versions:
        raise ArtifactError(
            f"chart {chart.name}: the repository {chart.repo} has no chart of that name",
            "check the chart name and repository in the config (or data/charts.yaml)",
        )
    entry = next(
        (e for e in versions if _same_version(str(e.get("version", "")), chart.version)), None
    )
    if entry is None:
        raise _no_version(chart, [str(e.get("version", "?")) for e in versions])
    urls = entry.get("urls") or []
    digest = str(entry.get("digest") or "").lower().removeprefix("sha256:")
    if not urls or not _HEX64.match(digest):
        raise ArtifactError(
            f"chart {chart.name} {chart.version}: the index entry has no archive URL or no "
            "sha256 digest, so the archive cannot be verified",
            f"put a verified {chart.name}-{chart.version}.tgz into the charts folder yourself",
        )
    return archive_url(chart.repo, str(urls[0])), digest


def _no_version(chart: ChartArtifact, versions: Sequence[str]) -> ArtifactError:
    shown = ", ".join(versions[:_SHOWN_VERSIONS])
    more = len(versions) - _SHOWN_VERSIONS
    tail = f" and {more} more" if more > 0 else ""
    return ArtifactError(
        f"chart {chart.name}: version {chart.version} is not in {index_url(chart.repo)}; "
        f"it has {shown}{tail}",
        "choose one of these versions in the config",
    )


class _ChartDownloader(Downloader):
    """The resumable, verified downloader with a flat ``<charts>/<file>`` layout."""

    def path_of(self, artifact: FileArtifact) -> Path:
        return self.cache_dir / artifact.filename


def _recorded(path: Path) -> str | None:
    """The digest of an archive whose ``.sha256`` record still matches it, else None."""
    record = path.with_name(f"{path.name}.sha256")
    if not (path.is_file() and record.is_file()):
        return None
    digest = parse_sha256_file(record.read_text(encoding="utf-8"), str(record))
    return digest if sha256_file(path) == digest else None


def _write_record(path: Path, digest: str) -> None:
    path.with_name(f"{path.name}.sha256").write_text(f"{digest}  {path.name}\n", encoding="utf-8")


async def fetch_index(client: httpx.AsyncClient, repo: str, zone: str = "") -> Mapping[str, Any]:
    """The parsed ``index.yaml`` of a chart repository.

    Raises ``ArtifactError`` for a network or HTTP failure and for an unreadable index.
    """
    url = index_url(repo)
    try:
        response = await client.get(url)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise network_error(url, exc, zone) from exc
    try:
        data = load_yaml_plain(response.text, source=url)
    except YAMLSyntaxError as exc:
        raise ArtifactError(f"{url} is not a readable helm index: {exc}", _INDEX_HINT) from exc
    if not isinstance(data, Mapping):
        raise ArtifactError(f"{url} is not a helm index (no entries)", _INDEX_HINT)
    return data


class ChartFetcher:
    """Fetches charts into one folder; indexes are read once per repository."""

    def __init__(
        self,
        charts_dir: Path,
        options: DownloadOptions | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.charts_dir = charts_dir
        self.options = options or DownloadOptions()
        self._client = client
        self._indexes: dict[str, Mapping[str, Any]] = {}
        self._index_locks: dict[str, asyncio.Lock] = {}

    async def fetch_all(self, charts: Iterable[ChartArtifact]) -> tuple[ChartOutcome, ...]:
        """Make every chart present and verified, at most ``concurrency`` at a time.

        Raises ``ArtifactError`` naming the chart for the first failure (the others are
        cancelled): a missing chart or version, a digest mismatch (the file is deleted),
        a network failure, an OCI chart not placed by hand, or, offline, any chart that is
        not already in the folder with a verified digest.
        """
        wanted = list(dict.fromkeys(charts))
        if self._client is not None:
            return await self._gather(wanted, self._client)
        timeout = httpx.Timeout(self.options.timeout)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=True) as client:
            return await self._gather(wanted, client)

    async def _gather(
        self, charts: list[ChartArtifact], client: httpx.AsyncClient
    ) -> tuple[ChartOutcome, ...]:
        limit = asyncio.Semaphore(max(1, self.options.concurrency))

        async def one(chart: ChartArtifact) -> ChartOutcome:
            async with limit:
                return await self.fetch(chart, client)

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(one(chart)) for chart in charts]
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None
        return tuple(task.result() for task in tasks)

    async def fetch(self, chart: ChartArtifact, client: httpx.AsyncClient) -> ChartOutcome:
        """One chart; failures as ``fetch_all``."""
        path = chart_path(self.charts_dir, chart)
        cached = await asyncio.to_thread(_recorded, path)
        if cached is not None:
            return ChartOutcome(chart, path, "cached", 0, cached)
        self._refuse(chart, path)
        index = await self._index(chart.repo, client)
        url, digest = chart_entry(index, chart)
        artifact = FileArtifact(f"chart-{chart.name}", chart.version, "", path.name, url, digest)
        self.charts_dir.mkdir(parents=True, exist_ok=True)
        downloader = _ChartDownloader(self.charts_dir, self.options, client)
        try:
            done: FileOutcome = await downloader.fetch(artifact, client)
        except ArtifactError as exc:
            message = f"chart {chart.name} {chart.version}: {exc.message}"
            raise ArtifactError(message, exc.hint) from exc
        if done.status == "cached":  # placed by hand and right: record it for offline runs
            _write_record(done.path, done.sha256)
        return ChartOutcome(chart, done.path, done.status, done.bytes, done.sha256)

    def _refuse(self, chart: ChartArtifact, path: Path) -> None:
        """Raise for what may not or cannot be fetched: offline mode, OCI registries."""
        if self.options.offline:
            raise ArtifactError(
                f"offline mode: chart {chart.name} {chart.version} is not in {self.charts_dir} "
                f"and may not be downloaded from {chart.repo}",
                OFFLINE_HINT,
            )
        if chart.repo.startswith("oci://"):
            ref = f"{chart.repo.rstrip('/')}/{chart.name}"
            raise ArtifactError(
                f"chart {chart.name} {chart.version} comes from an OCI registry, which kubexm "
                "does not pull charts from",
                f"run `helm pull {ref} --version {chart.version} -d {path.parent}`, then again",
            )

    async def _index(self, repo: str, client: httpx.AsyncClient) -> Mapping[str, Any]:
        # Charts of one repository share its index: the first reads it, the others wait.
        async with self._index_locks.setdefault(repo, asyncio.Lock()):
            if repo not in self._indexes:
                self._indexes[repo] = await fetch_index(client, repo, self.options.zone)
        return self._indexes[repo]


async def download_charts(
    charts: Iterable[ChartArtifact],
    charts_dir: str | Path,
    *,
    options: DownloadOptions | None = None,
    client: httpx.AsyncClient | None = None,
) -> tuple[ChartOutcome, ...]:
    """Fetch and verify ``charts`` into ``charts_dir``; failures as ``ChartFetcher.fetch_all``."""
    return await ChartFetcher(Path(charts_dir), options, client).fetch_all(charts)

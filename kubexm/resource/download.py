"""Verified, resumable, concurrent downloads of release files into the artifact cache.

Each file lands at ``<cache>/<component>/<version>/<arch>/<file>``. It is streamed to
``<file>.part`` (resumed with an HTTP Range request when a ``.part`` is left from an
interrupted run), checked against the pinned sha256 or, without a pin, the upstream
``<url>.sha256`` file, and only then renamed into place. A ``<file>.sha256`` record beside
it lets a later run recognise an unpinned file as already verified without the network.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx

from kubexm.errors import ArtifactError
from kubexm.util.hashing import sha256_file
from kubexm.util.retry import retry_async

from .model import FileArtifact

log = logging.getLogger(__name__)

Status = Literal["downloaded", "cached", "resumed"]
NETWORK_HINT = (
    "check the proxy settings (HTTPS_PROXY/NO_PROXY), set KXZONE=cn to use mirrors, "
    "or install from an offline bundle (create cluster --bundle)"
)
_NETWORK_HINT_CN = (
    "check the proxy settings (HTTPS_PROXY/NO_PROXY) and that the cn mirrors are reachable, "
    "or install from an offline bundle (create cluster --bundle)"
)
# Resolver failures as the OS words them (glibc/musl getaddrinfo, macOS) inside httpx errors.
_DNS_WORDS = (
    "name or service not known",
    "temporary failure in name resolution",
    "nodename nor servname",
    "no address associated with hostname",
    "name does not resolve",
    "getaddrinfo failed",
)
OFFLINE_HINT = "build a bundle with `kubexm download` on a machine with internet access"
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file: ``bytes`` transferred in this run (0 when cached)."""

    artifact: FileArtifact
    path: Path
    status: Status
    bytes: int
    seconds: float
    sha256: str


@dataclass(frozen=True)
class DownloadReport:
    """Per-file outcomes, in the order the files were given."""

    files: tuple[FileOutcome, ...]

    def count(self, status: Status) -> int:
        """How many files ended with ``status``."""
        return sum(1 for item in self.files if item.status == status)

    @property
    def total_bytes(self) -> int:
        """Bytes transferred over the network for the files themselves."""
        return sum(item.bytes for item in self.files)


@dataclass(frozen=True)
class DownloadOptions:
    """Limits of one download run.

    ``timeout`` is per connect/read in seconds; ``attempts`` counts tries per file for
    interrupted transfers (HTTP errors and digest mismatches are never retried).
    """

    concurrency: int = 4
    timeout: float = 60.0
    attempts: int = 3
    retry_delay: float = 1.0
    offline: bool = False
    # The zone the URLs were resolved for: the hint suggests KXZONE=cn only outside cn.
    zone: str = ""
    # Called once per file as it finishes (downloaded, resumed or found in the cache).
    on_done: Callable[[FileOutcome], None] | None = None


class _Interrupted(ArtifactError):
    """A transfer that broke off mid-way: worth another try from the ``.part`` file."""


def parse_sha256_file(text: str, url: str = "") -> str:
    """The digest of a ``.sha256`` file: ``"<hex>"`` or ``"<hex>  <filename>"``, lowercase.

    Raises ArtifactError naming ``url`` when the first word is not 64 hex characters.
    """
    words = text.split()
    if not words or not _HEX64.match(words[0]):
        raise ArtifactError(
            f"{url or 'checksum file'} holds no sha256 digest", "the mirror may serve an error page"
        )
    return words[0].lower()


def network_hint(zone: str = "") -> str:
    """What to try after a network failure; KXZONE=cn is only suggested outside ``cn``."""
    return _NETWORK_HINT_CN if zone == "cn" else NETWORK_HINT


def network_error(url: str, exc: httpx.HTTPError, zone: str = "") -> ArtifactError:
    """Translate an httpx failure into an ArtifactError with the URL and a hint.

    HTTP status errors are final; timeouts and connection failures are ``_Interrupted``
    (retried), except DNS failures and a proxy refusing the tunnel, which another try
    would not fix.
    """
    hint = network_hint(zone)
    if isinstance(exc, httpx.HTTPStatusError):
        code = exc.response.status_code
        return ArtifactError(f"download of {url} failed: HTTP {code}", hint)
    if isinstance(exc, httpx.TimeoutException):
        return _Interrupted(f"download of {url} timed out", hint)
    reason = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ProxyError):
        # httpcore words a refused CONNECT as "<status> <reason>", e.g. "404 Not Found".
        status = reason.split()[0] if reason[:1].isdigit() else ""
        detail = f"HTTP {status} from proxy" if status else reason
        return ArtifactError(f"download of {url} failed: proxy refused the tunnel ({detail})", hint)
    if isinstance(exc, httpx.ConnectError) and any(w in reason.lower() for w in _DNS_WORDS):
        host = httpx.URL(url).host
        return ArtifactError(f"download of {url} failed: could not resolve {host}", hint)
    return _Interrupted(f"download of {url} failed: {reason}", hint)


class Downloader:
    """Fetches ``FileArtifact``s into one cache directory, at most ``concurrency`` at a time.

    Pass ``client`` to reuse an httpx client (its timeouts and proxies then apply); otherwise
    one is created per ``download`` call and closed after it.
    """

    def __init__(
        self,
        cache_dir: str | Path,
        options: DownloadOptions | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.options = options or DownloadOptions()
        self._client = client

    async def download(self, files: Iterable[FileArtifact]) -> DownloadReport:
        """Fetch and verify every file; the first failure cancels the rest and is raised.

        Raises ArtifactError for a digest mismatch (the bad file is deleted), an HTTP error,
        a timeout or a broken connection after all attempts, and, in offline mode, for any
        file that is not already in the cache with a verified digest.
        """
        wanted = list(dict.fromkeys(files))
        limit = asyncio.Semaphore(max(1, self.options.concurrency))
        if self._client is not None:
            return await self._run(wanted, limit, self._client)
        timeout = httpx.Timeout(self.options.timeout)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=True) as client:
            return await self._run(wanted, limit, client)

    async def _run(
        self, files: list[FileArtifact], limit: asyncio.Semaphore, client: httpx.AsyncClient
    ) -> DownloadReport:
        async def one(artifact: FileArtifact) -> FileOutcome:
            async with limit:
                outcome = await self.fetch(artifact, client)
            if self.options.on_done is not None:
                self.options.on_done(outcome)
            return outcome

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(one(artifact)) for artifact in files]
        except ExceptionGroup as failed:
            # Report the first failure as itself; the task group cancelled the others.
            raise _first_leaf(failed) from None
        return DownloadReport(tuple(task.result() for task in tasks))

    @property
    def _hint(self) -> str:
        return network_hint(self.options.zone)

    def path_of(self, artifact: FileArtifact) -> Path:
        """Where ``artifact`` lives in the cache."""
        return self.cache_dir / artifact.cache_path

    async def fetch(self, artifact: FileArtifact, client: httpx.AsyncClient) -> FileOutcome:
        """Make one file present and verified; see ``download`` for the failures."""
        started = time.monotonic()
        path = self.path_of(artifact)
        cached = await self._cached_digest(artifact, path)
        if cached is not None:
            return FileOutcome(artifact, path, "cached", 0, time.monotonic() - started, cached)
        if self.options.offline:
            raise ArtifactError(
                f"offline mode: {artifact.cache_path} is not in the cache and may not be "
                f"downloaded from {artifact.url}",
                OFFLINE_HINT,
            )
        expected = artifact.sha256 or await self._upstream_digest(artifact.url, client)
        path.parent.mkdir(parents=True, exist_ok=True)
        status, sent = await retry_async(
            lambda: self._transfer(artifact.url, path, client),
            attempts=max(1, self.options.attempts),
            base_delay=self.options.retry_delay,
            retry_on=(_Interrupted,),
        )
        await self._verify_and_commit(path, expected)
        log.info("downloaded %s (%d bytes)", artifact.cache_path, sent)
        return FileOutcome(artifact, path, status, sent, time.monotonic() - started, expected)

    async def _cached_digest(self, artifact: FileArtifact, path: Path) -> str | None:
        """The digest of an already verified cached file, None when it must be fetched.

        A cached file whose digest no longer matches its pin or record is deleted.
        """
        record = _record_path(path)
        expected = artifact.sha256
        if expected is None and record.is_file():
            expected = parse_sha256_file(record.read_text(encoding="utf-8"), str(record))
        if expected is None or not path.is_file():
            return None
        if await _hash(path) == expected.lower():
            return expected.lower()
        log.warning("cached %s does not match its digest; fetching it again", path)
        path.unlink()
        record.unlink(missing_ok=True)
        return None

    async def _upstream_digest(self, url: str, client: httpx.AsyncClient) -> str:
        """The digest published at ``<url>.sha256``; ArtifactError when it cannot be had."""
        sums = f"{url}.sha256"
        try:
            response = await client.get(sums)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            error = network_error(sums, exc, self.options.zone)
            raise ArtifactError(
                f"no pinned sha256 and no checksum file: {error.message}", error.hint
            ) from exc
        return parse_sha256_file(response.text, sums)

    async def _transfer(
        self, url: str, path: Path, client: httpx.AsyncClient
    ) -> tuple[Status, int]:
        """Stream ``url`` into ``<path>.part``, resuming it when it has content."""
        part = _part_path(path)
        offset = part.stat().st_size if part.is_file() else 0
        # Identity encoding keeps the bytes on disk equal to the bytes a Range counts.
        headers = {"Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        try:
            async with client.stream("GET", url, headers=headers) as response:
                if response.status_code == httpx.codes.REQUESTED_RANGE_NOT_SATISFIABLE:
                    # The .part is as long as (or longer than) the file: start over.
                    part.unlink()
                    raise _Interrupted(f"download of {url} must restart", self._hint)
                response.raise_for_status()
                resumed = offset > 0 and response.status_code == httpx.codes.PARTIAL_CONTENT
                if resumed and _range_start(response) != offset:
                    part.unlink()
                    raise _Interrupted(f"{url} answered a different range; restarting", self._hint)
                sent = await _write_body(response, part, append=resumed)
        except httpx.HTTPError as exc:
            raise network_error(url, exc, self.options.zone) from exc
        return ("resumed" if resumed else "downloaded"), sent

    async def _verify_and_commit(self, path: Path, expected: str) -> None:
        """Move a verified ``.part`` into place, or delete it and raise on a mismatch."""
        part = _part_path(path)
        actual = await _hash(part)
        if actual != expected.lower():
            part.unlink()
            raise ArtifactError(
                f"sha256 mismatch for {path.name}: expected {expected.lower()}, got {actual}",
                "the file was deleted; retry, and if it persists the mirror or proxy serves "
                "a different file",
            )
        part.replace(path)
        _record_path(path).write_text(f"{actual}  {path.name}\n", encoding="utf-8")


async def _write_body(response: httpx.Response, part: Path, *, append: bool) -> int:
    """Write the body to ``part`` (appending for a 206), returning the bytes written."""
    written = 0
    with part.open("ab" if append else "wb") as out:
        # Chunks are written as they arrive so an interruption keeps everything received.
        async for chunk in response.aiter_raw():
            out.write(chunk)
            written += len(chunk)
    return written


async def _hash(path: Path) -> str:
    """sha256 of a file off the event loop: release archives run to hundreds of MiB."""
    return await asyncio.to_thread(sha256_file, path)


def _range_start(response: httpx.Response) -> int | None:
    """The first byte of a 206 answer (``Content-Range: bytes 100-199/200``)."""
    match = re.match(r"^bytes (\d+)-", response.headers.get("content-range", ""))
    return int(match.group(1)) if match else None


def _first_leaf(group: BaseExceptionGroup[Exception]) -> Exception:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


def _part_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.part")


def _record_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.sha256")


async def download_files(
    files: Iterable[FileArtifact],
    cache_dir: str | Path,
    *,
    options: DownloadOptions | None = None,
    client: httpx.AsyncClient | None = None,
) -> DownloadReport:
    """Fetch and verify ``files`` into ``cache_dir``; failures as ``Downloader.download``."""
    return await Downloader(cache_dir, options, client).download(files)

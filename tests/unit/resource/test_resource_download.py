"""Downloads against a local HTTP server on 127.0.0.1 (Range support, cut-short switch)."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from kubexm.errors import ArtifactError
from kubexm.resource.download import (
    Downloader,
    DownloadOptions,
    DownloadReport,
    FileOutcome,
    download_files,
    network_hint,
    parse_sha256_file,
)
from kubexm.resource.model import FileArtifact

PAYLOAD = bytes(range(256)) * 400  # 102400 bytes
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()
FAST = DownloadOptions(concurrency=4, timeout=5.0, attempts=1, retry_delay=0.0)


@dataclass
class ServerState:
    """What the fake release server serves and what it saw."""

    files: dict[str, bytes] = field(default_factory=dict)
    cut_once: dict[str, int] = field(default_factory=dict)  # path -> bytes before cutting
    ignore_range: bool = False
    delay: float = 0.0
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enter(self, path: str, range_header: str | None) -> None:
        with self.lock:
            self.requests.append((path, range_header))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


class ReleaseServer(ThreadingHTTPServer):
    """A threaded HTTP server carrying the state its handlers read and record."""

    daemon_threads = True

    def __init__(self, state: ServerState) -> None:
        super().__init__(("127.0.0.1", 0), ReleaseHandler)
        self.state = state


class ReleaseHandler(BaseHTTPRequestHandler):
    """Serves ``state.files`` with Range support; can cut one response short per path."""

    protocol_version = "HTTP/1.1"
    server: ReleaseServer

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""

    def do_GET(self) -> None:
        state = self.server.state
        state.enter(self.path, self.headers.get("Range"))
        try:
            time.sleep(state.delay)
            self._answer(state)
        finally:
            state.leave()

    def do_CONNECT(self) -> None:
        """Act as a proxy that refuses every tunnel."""
        self._empty(404)

    def _empty(self, code: int) -> None:
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _answer(self, state: ServerState) -> None:
        body = state.files.get(self.path)
        if body is None:
            self._empty(404)
            return
        start = self._range_start(state)
        if start is not None and start >= len(body):
            self._empty(416)
            return
        if start is None:
            self.send_response(200)
            start = 0
        else:
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        self._send(state, body[start:])

    def _range_start(self, state: ServerState) -> int | None:
        header = self.headers.get("Range")
        if state.ignore_range or not header:
            return None
        return int(header.removeprefix("bytes=").split("-")[0])

    def _send(self, state: ServerState, data: bytes) -> None:
        cut = state.cut_once.pop(self.path, None)
        if cut is None:
            self.wfile.write(data)
            return
        self.wfile.write(data[:cut])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


@dataclass
class Server:
    state: ServerState
    base: str

    def artifact(self, name: str, sha256: str | None = DIGEST) -> FileArtifact:
        return FileArtifact("demo", "1.0.0", "amd64", name, f"{self.base}/{name}", sha256)


@pytest.fixture
def server() -> Iterator[Server]:
    state = ServerState()
    httpd = ReleaseServer(state)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Server(state, f"http://127.0.0.1:{httpd.server_address[1]}")
    finally:
        httpd.shutdown()
        httpd.server_close()


async def _get(cache: Path, *files: FileArtifact, **opts: Any) -> DownloadReport:
    return await download_files(files, cache, options=replace(FAST, **opts))


async def test_download_writes_verified_file_into_cache_layout(
    server: Server, tmp_path: Path
) -> None:
    server.state.files["/demo.bin"] = PAYLOAD

    report = await _get(tmp_path, server.artifact("demo.bin"))

    target = tmp_path / "demo/1.0.0/amd64/demo.bin"
    assert target.read_bytes() == PAYLOAD
    assert not target.with_name("demo.bin.part").exists()
    outcome = report.files[0]
    assert (outcome.status, outcome.bytes, outcome.sha256) == ("downloaded", len(PAYLOAD), DIGEST)
    assert outcome.seconds >= 0
    assert report.total_bytes == len(PAYLOAD)
    assert report.count("downloaded") == 1


async def test_download_rejects_and_removes_corrupted_file(server: Server, tmp_path: Path) -> None:
    corrupted = PAYLOAD[:-1] + b"X"
    server.state.files["/demo.bin"] = corrupted

    with pytest.raises(ArtifactError) as caught:
        await _get(tmp_path, server.artifact("demo.bin"))

    message = caught.value.message
    assert "demo.bin" in message
    assert DIGEST in message
    assert hashlib.sha256(corrupted).hexdigest() in message
    folder = tmp_path / "demo/1.0.0/amd64"
    assert sorted(p.name for p in folder.iterdir()) == []


async def test_interrupted_download_keeps_part_then_resumes_with_range(
    server: Server, tmp_path: Path
) -> None:
    server.state.files["/demo.bin"] = PAYLOAD
    server.state.cut_once["/demo.bin"] = 40000

    with pytest.raises(ArtifactError, match=r"demo\.bin"):
        await _get(tmp_path, server.artifact("demo.bin"))
    part = tmp_path / "demo/1.0.0/amd64/demo.bin.part"
    assert part.stat().st_size == 40000

    report = await _get(tmp_path, server.artifact("demo.bin"))

    assert server.state.requests[-1] == ("/demo.bin", "bytes=40000-")
    assert (report.files[0].status, report.files[0].bytes) == ("resumed", len(PAYLOAD) - 40000)
    assert (tmp_path / "demo/1.0.0/amd64/demo.bin").read_bytes() == PAYLOAD


async def test_interruption_is_retried_within_one_call(server: Server, tmp_path: Path) -> None:
    server.state.files["/demo.bin"] = PAYLOAD
    server.state.cut_once["/demo.bin"] = 1000

    report = await _get(tmp_path, server.artifact("demo.bin"), attempts=2)

    assert report.files[0].status == "resumed"
    assert [r for _, r in server.state.requests] == [None, "bytes=1000-"]


async def test_server_ignoring_range_gets_a_full_download(server: Server, tmp_path: Path) -> None:
    server.state.files["/demo.bin"] = PAYLOAD
    server.state.ignore_range = True
    part = tmp_path / "demo/1.0.0/amd64/demo.bin.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(PAYLOAD[:5000])

    report = await _get(tmp_path, server.artifact("demo.bin"))

    assert server.state.requests[-1] == ("/demo.bin", "bytes=5000-")
    assert (report.files[0].status, report.files[0].bytes) == ("downloaded", len(PAYLOAD))
    assert (tmp_path / "demo/1.0.0/amd64/demo.bin").read_bytes() == PAYLOAD


async def test_part_longer_than_file_restarts_from_zero(server: Server, tmp_path: Path) -> None:
    server.state.files["/demo.bin"] = PAYLOAD
    part = tmp_path / "demo/1.0.0/amd64/demo.bin.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(PAYLOAD + b"extra")

    report = await _get(tmp_path, server.artifact("demo.bin"), attempts=2)

    assert [r for _, r in server.state.requests] == [f"bytes={len(PAYLOAD) + 5}-", None]
    assert report.files[0].status == "downloaded"


@pytest.mark.parametrize(
    "sums",
    [f"{DIGEST}\n", f"{DIGEST}  demo.bin\n", f"{DIGEST.upper()} *demo.bin"],
    ids=["bare-hex", "hex-and-filename", "uppercase-binary-marker"],
)
async def test_missing_pin_uses_upstream_sha256_file(
    server: Server, tmp_path: Path, sums: str
) -> None:
    server.state.files["/demo.bin"] = PAYLOAD
    server.state.files["/demo.bin.sha256"] = sums.encode()

    report = await _get(tmp_path, server.artifact("demo.bin", sha256=None))

    assert server.state.paths() == ["/demo.bin.sha256", "/demo.bin"]
    assert report.files[0].sha256 == DIGEST


async def test_wrong_upstream_sha256_fails_and_removes_file(server: Server, tmp_path: Path) -> None:
    server.state.files["/demo.bin"] = PAYLOAD
    server.state.files["/demo.bin.sha256"] = f"{'0' * 64}  demo.bin".encode()

    with pytest.raises(ArtifactError, match=r"sha256 mismatch for demo\.bin"):
        await _get(tmp_path, server.artifact("demo.bin", sha256=None))
    assert not (tmp_path / "demo/1.0.0/amd64/demo.bin").exists()
    assert not (tmp_path / "demo/1.0.0/amd64/demo.bin.part").exists()


async def test_missing_pin_and_missing_sha256_file_fails_before_download(
    server: Server, tmp_path: Path
) -> None:
    server.state.files["/demo.bin"] = PAYLOAD

    with pytest.raises(ArtifactError, match=r"no pinned sha256.*HTTP 404") as caught:
        await _get(tmp_path, server.artifact("demo.bin", sha256=None))
    assert "demo.bin.sha256" in caught.value.message
    assert server.state.paths() == ["/demo.bin.sha256"]


@pytest.mark.parametrize("pinned", [True, False], ids=["pinned", "verified-record"])
async def test_cached_file_is_not_fetched_again(
    server: Server, tmp_path: Path, pinned: bool
) -> None:
    server.state.files["/demo.bin"] = PAYLOAD
    server.state.files["/demo.bin.sha256"] = DIGEST.encode()
    artifact = server.artifact("demo.bin", sha256=DIGEST if pinned else None)
    await _get(tmp_path, artifact)
    seen = len(server.state.requests)

    report = await _get(tmp_path, artifact)

    assert len(server.state.requests) == seen
    assert (report.files[0].status, report.files[0].bytes) == ("cached", 0)


async def test_cached_file_with_wrong_digest_is_fetched_again(
    server: Server, tmp_path: Path
) -> None:
    server.state.files["/demo.bin"] = PAYLOAD
    target = tmp_path / "demo/1.0.0/amd64/demo.bin"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"stale")

    report = await _get(tmp_path, server.artifact("demo.bin"))

    assert report.files[0].status == "downloaded"
    assert target.read_bytes() == PAYLOAD


async def test_concurrency_cap_is_respected(server: Server, tmp_path: Path) -> None:
    server.state.delay = 0.15
    names = [f"f{index}.bin" for index in range(6)]
    for name in names:
        server.state.files[f"/{name}"] = PAYLOAD

    report = await _get(tmp_path, *(server.artifact(name) for name in names), concurrency=2)

    assert server.state.max_in_flight == 2
    assert report.count("downloaded") == 6


async def test_offline_mode_refuses_network(server: Server, tmp_path: Path) -> None:
    server.state.files["/demo.bin"] = PAYLOAD

    with pytest.raises(
        ArtifactError, match=r"offline mode: demo/1\.0\.0/amd64/demo\.bin"
    ) as caught:
        await _get(tmp_path, server.artifact("demo.bin"), offline=True)
    assert "kubexm download" in caught.value.hint
    assert server.state.requests == []


async def test_offline_mode_serves_cached_files(server: Server, tmp_path: Path) -> None:
    server.state.files["/demo.bin"] = PAYLOAD
    await _get(tmp_path, server.artifact("demo.bin"))
    seen = len(server.state.requests)

    report = await _get(tmp_path, server.artifact("demo.bin"), offline=True)

    assert report.files[0].status == "cached"
    assert len(server.state.requests) == seen


async def test_http_error_names_url_and_hints_at_mirrors(server: Server, tmp_path: Path) -> None:
    artifact = server.artifact("absent.bin")

    with pytest.raises(ArtifactError) as caught:
        await _get(tmp_path, artifact)

    assert caught.value.message == f"download of {artifact.url} failed: HTTP 404"
    assert "KXZONE=cn" in caught.value.hint
    assert "bundle" in caught.value.hint


async def test_timeout_becomes_artifact_error(server: Server, tmp_path: Path) -> None:
    server.state.files["/demo.bin"] = PAYLOAD
    server.state.delay = 1.0

    with pytest.raises(ArtifactError, match="timed out"):
        await _get(tmp_path, server.artifact("demo.bin"), timeout=0.2)


async def test_refused_connection_becomes_artifact_error(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    artifact = FileArtifact("demo", "1", "amd64", "x", f"http://127.0.0.1:{port}/x", DIGEST)

    with pytest.raises(ArtifactError, match=f"download of http://127.0.0.1:{port}/x failed"):
        await _get(tmp_path, artifact)


@pytest.mark.parametrize(
    "words",
    [
        pytest.param("[Errno -2] Name or service not known", id="glibc"),
        pytest.param("[Errno -3] Temporary failure in name resolution", id="no-dns-server"),
    ],
)
async def test_dns_failure_names_the_host(tmp_path: Path, words: str) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(words, request=request)

    artifact = FileArtifact("demo", "1", "amd64", "x", "https://github.com/a/x", DIGEST)
    async with httpx.AsyncClient(transport=httpx.MockTransport(fail)) as client:
        with pytest.raises(ArtifactError) as caught:
            await Downloader(tmp_path, FAST, client).download([artifact])

    assert caught.value.message.endswith("failed: could not resolve github.com")


async def test_proxy_refusing_the_tunnel_is_named(server: Server, tmp_path: Path) -> None:
    artifact = FileArtifact("demo", "1", "amd64", "x", "https://github.com/a/x", DIGEST)
    async with httpx.AsyncClient(proxy=server.base) as client:
        with pytest.raises(ArtifactError) as caught:
            await Downloader(tmp_path, FAST, client).download([artifact])

    assert caught.value.message.endswith("proxy refused the tunnel (HTTP 404 from proxy)")
    assert server.state.requests == [], "the proxy was only asked for a tunnel"


@pytest.mark.parametrize(
    ("zone", "suggests_cn"),
    [pytest.param("", True, id="default-zone"), pytest.param("cn", False, id="already-cn")],
)
async def test_hint_suggests_cn_mirrors_only_outside_cn(
    server: Server, tmp_path: Path, zone: str, suggests_cn: bool
) -> None:
    with pytest.raises(ArtifactError) as caught:
        await _get(tmp_path, server.artifact("absent.bin"), zone=zone)

    assert ("KXZONE=cn" in caught.value.hint) is suggests_cn
    assert caught.value.hint == network_hint(zone)


async def test_on_done_is_called_once_per_finished_file(server: Server, tmp_path: Path) -> None:
    server.state.files["/a.bin"] = PAYLOAD
    server.state.files["/b.bin"] = PAYLOAD
    seen: list[FileOutcome] = []
    files = (server.artifact("a.bin"), server.artifact("b.bin"))
    await _get(tmp_path, *files, on_done=seen.append)
    await _get(tmp_path, files[0], on_done=seen.append)

    assert sorted((o.artifact.filename, o.status) for o in seen) == [
        ("a.bin", "cached"),
        ("a.bin", "downloaded"),
        ("b.bin", "downloaded"),
    ]


async def test_downloader_reuses_given_client(server: Server, tmp_path: Path) -> None:
    server.state.files["/demo.bin"] = PAYLOAD

    async with httpx.AsyncClient() as client:
        report = await Downloader(tmp_path, FAST, client).download([server.artifact("demo.bin")])
        assert not client.is_closed

    assert report.files[0].path == tmp_path / "demo/1.0.0/amd64/demo.bin"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (DIGEST, DIGEST),
        (f"{DIGEST}  kubelet\n", DIGEST),
        (f"  {DIGEST.upper()}\n", DIGEST),
    ],
    ids=["bare", "with-filename", "uppercase-padded"],
)
def test_parse_sha256_file_reads_both_formats(text: str, expected: str) -> None:
    assert parse_sha256_file(text) == expected


@pytest.mark.parametrize(
    "text", ["", "<html>not found</html>", "abc123  file"], ids=["empty", "html", "short"]
)
def test_parse_sha256_file_rejects_non_digests(text: str) -> None:
    with pytest.raises(ArtifactError, match="holds no sha256 digest"):
        parse_sha256_file(text, "https://x/y.sha256")

"""Helm charts fetched from a chart repository served on 127.0.0.1."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from kubexm.errors import ArtifactError
from kubexm.resource.charts import (
    archive_url,
    chart_entry,
    chart_path,
    download_charts,
    index_url,
)
from kubexm.resource.download import DownloadOptions
from kubexm.resource.model import ChartArtifact

FAST = DownloadOptions(timeout=5.0, attempts=1, retry_delay=0.0)
ARCHIVE = b"\x1f\x8b fake chart archive " * 500


class _Quiet(SimpleHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        super().do_GET()


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A chart repository folder and its URL (``http://127.0.0.1:<port>/charts``)."""
    root = tmp_path / "www"
    (root / "charts" / "files").mkdir(parents=True)
    handler = functools.partial(_Quiet, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    _Quiet.requests = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/charts", root / "charts"
    finally:
        server.shutdown()
        server.server_close()


def _publish(folder: Path, name: str, versions: dict[str, bytes], digest: str = "") -> None:
    """Write the archives (relative URLs) and an index whose digests match unless ``digest``
    (JSON, which is YAML too)."""
    entries: list[dict[str, Any]] = []
    for version, body in versions.items():
        (folder / "files" / f"{name}-{version}.tgz").write_bytes(body)
        entries.append(
            {
                "name": name,
                "version": version,
                "urls": [f"files/{name}-{version}.tgz"],
                "digest": digest or hashlib.sha256(body).hexdigest(),
            }
        )
    index = {"apiVersion": "v1", "entries": {name: entries}}
    (folder / "index.yaml").write_text(json.dumps(index, indent=1), encoding="utf-8")


def _fetch(charts: list[ChartArtifact], dest: Path, **options: Any) -> Any:
    opts = DownloadOptions(**{**vars(FAST), **options})
    return asyncio.run(download_charts(charts, dest, options=opts))


def test_good_chart_lands_verified_in_the_charts_folder(
    repo: tuple[str, Path], tmp_path: Path
) -> None:
    url, folder = repo
    _publish(folder, "demo", {"1.2.3": ARCHIVE, "1.2.2": b"older"})
    chart = ChartArtifact("demo", "1.2.3", url, "addon:demo")
    (outcome,) = _fetch([chart], tmp_path / "charts")
    assert outcome.path == tmp_path / "charts" / "demo-1.2.3.tgz"
    assert outcome.path.read_bytes() == ARCHIVE
    assert (outcome.status, outcome.bytes) == ("downloaded", len(ARCHIVE))
    assert outcome.sha256 == hashlib.sha256(ARCHIVE).hexdigest()
    assert not list((tmp_path / "charts").glob("*.part"))


def test_second_run_uses_the_recorded_archive_without_the_network(
    repo: tuple[str, Path], tmp_path: Path
) -> None:
    url, folder = repo
    _publish(folder, "demo", {"1.2.3": ARCHIVE})
    chart = ChartArtifact("demo", "1.2.3", url, "addon:demo")
    _fetch([chart], tmp_path / "charts")
    _Quiet.requests = []
    (outcome,) = _fetch([chart], tmp_path / "charts", offline=True)
    assert outcome.status == "cached"
    assert _Quiet.requests == []


def test_digest_mismatch_removes_the_file_and_names_the_chart(
    repo: tuple[str, Path], tmp_path: Path
) -> None:
    url, folder = repo
    _publish(folder, "demo", {"1.2.3": ARCHIVE}, digest="ab" * 32)
    chart = ChartArtifact("demo", "1.2.3", url, "addon:demo")
    with pytest.raises(ArtifactError, match=r"chart demo 1\.2\.3: sha256 mismatch"):
        _fetch([chart], tmp_path / "charts")
    assert list((tmp_path / "charts").iterdir()) == []


def test_missing_version_lists_the_versions_the_index_has(
    repo: tuple[str, Path], tmp_path: Path
) -> None:
    url, folder = repo
    _publish(folder, "demo", {"1.2.3": ARCHIVE, "1.2.2": b"older"})
    chart = ChartArtifact("demo", "9.9.9", url, "addon:demo")
    with pytest.raises(ArtifactError) as caught:
        _fetch([chart], tmp_path / "charts")
    assert "chart demo: version 9.9.9 is not in" in caught.value.message
    assert caught.value.message.endswith("it has 1.2.3, 1.2.2")


def test_unknown_chart_name_and_missing_index_fail(repo: tuple[str, Path], tmp_path: Path) -> None:
    url, folder = repo
    _publish(folder, "demo", {"1.2.3": ARCHIVE})
    with pytest.raises(ArtifactError, match="has no chart of that name"):
        _fetch([ChartArtifact("other", "1.0.0", url, "x")], tmp_path / "c")
    with pytest.raises(ArtifactError, match="HTTP 404"):
        _fetch([ChartArtifact("demo", "1.2.3", f"{url}/nowhere", "x")], tmp_path / "c")


def test_placed_archive_is_checked_against_the_index_and_recorded(
    repo: tuple[str, Path], tmp_path: Path
) -> None:
    url, folder = repo
    _publish(folder, "demo", {"1.2.3": ARCHIVE})
    chart = ChartArtifact("demo", "1.2.3", url, "addon:demo")
    placed = chart_path(tmp_path / "charts", chart)
    placed.parent.mkdir()
    placed.write_bytes(ARCHIVE)
    (outcome,) = _fetch([chart], tmp_path / "charts")
    assert outcome.status == "cached"
    assert placed.with_name("demo-1.2.3.tgz.sha256").is_file()


def test_offline_and_oci_charts_are_refused_with_a_way_out(tmp_path: Path) -> None:
    chart = ChartArtifact("demo", "1.0.0", "https://charts.example", "x")
    with pytest.raises(ArtifactError, match=r"offline mode: chart demo 1\.0\.0"):
        _fetch([chart], tmp_path, offline=True)
    oci = ChartArtifact("demo", "1.0.0", "oci://registry.example/charts", "x")
    with pytest.raises(ArtifactError) as caught:
        _fetch([oci], tmp_path)
    assert "helm pull oci://registry.example/charts/demo --version 1.0.0" in str(caught.value.hint)


def test_chart_entry_accepts_a_v_prefix_and_absolute_urls() -> None:
    index = {
        "entries": {
            "demo": [
                {"version": "v2.0.0", "urls": ["https://cdn.example/demo.tgz"], "digest": "a" * 64}
            ]
        }
    }
    chart = ChartArtifact("demo", "2.0.0", "https://charts.example/sub/", "x")
    assert chart_entry(index, chart) == ("https://cdn.example/demo.tgz", "a" * 64)


def test_chart_entry_without_digest_cannot_be_verified() -> None:
    index = {"entries": {"demo": [{"version": "1.0.0", "urls": ["demo-1.0.0.tgz"]}]}}
    with pytest.raises(ArtifactError, match="no sha256 digest"):
        chart_entry(index, ChartArtifact("demo", "1.0.0", "https://c.example", "x"))


def test_urls_are_built_relative_to_the_repository() -> None:
    assert index_url("https://helm.cilium.io/") == "https://helm.cilium.io/index.yaml"
    assert archive_url("https://a.example/x", "c-1.tgz") == "https://a.example/x/c-1.tgz"
    assert archive_url("https://a.example/x/", "/c-1.tgz") == "https://a.example/c-1.tgz"

"""``kubexm download`` and ``kubexm bundle verify`` through ``kubexm.cmd.main.run``.

The commands are registered on a test-local Typer that carries main's global options, the way
the lead will register them in ``main``. Resolving uses the real resolver where no download is
needed (dry run); otherwise it returns the hand-made artifact set of the resource tests, and
the downloader and skopeo are replaced by copies from that local cache (no network).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import io
import json
import shutil
import sys
import tarfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import typer

from kubexm.cmd import bundle_cmd, main
from kubexm.cmd.bundle_cmd import bundle_app, download_command
from kubexm.config import load
from kubexm.resource.bundle import build_bundle
from kubexm.resource.charts import download_charts
from kubexm.resource.download import DownloadOptions, FileOutcome
from kubexm.resource.model import ArtifactSet, ChartArtifact, FileArtifact, ImageArtifact
from kubexm.resource.os_gather import GatherResult, Release, gather_os_packages
from kubexm.runtime.workdir import work_dir_for

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "examples" / "single-master.yaml"


def _fixtures() -> ModuleType:
    path = ROOT / "tests" / "unit" / "resource" / "resource_bundle_fixtures.py"
    spec = importlib.util.spec_from_file_location("cmd_bundle_fixtures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


fixtures = _fixtures()


@pytest.fixture(autouse=True)
def local_app(monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
    app.callback()(main.main)
    app.add_typer(bundle_app, name="bundle")
    app.command("download")(download_command)
    monkeypatch.setattr(main, "app", app)
    return app


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    made = fixtures.make_cache(tmp_path / "src")
    monkeypatch.setattr(bundle_cmd, "resolve", lambda cluster, arches, os_release: made.artifacts)
    # Hermetic: charts are taken as placed, and this machine serves no OS release (the chart
    # and OS tests below opt back in with a local chart repository and a fake apt).
    monkeypatch.setattr(bundle_cmd, "download_charts", _placed_charts)
    monkeypatch.setattr(bundle_cmd, "gather_os_packages", _gather_elsewhere)
    return made


async def _placed_charts(charts: Any, charts_dir: Path, **_: Any) -> tuple[()]:
    return ()


def _gather_elsewhere(sets: Any, os_dir: Path) -> list[GatherResult]:
    return gather_os_packages(sets, os_dir, release=Release("plan9", "4", "mips"))


def fake_download(source: Path) -> Any:
    def download(
        artifacts: ArtifactSet, cache_dir: Path, zone: str = "", progress: bool = True
    ) -> None:
        for artifact in artifacts.files:
            target = cache_dir / artifact.cache_path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / artifact.cache_path, target)

    return download


def fake_skopeo(images: Path, calls: list[list[str]]) -> Any:
    def run(argv: list[str], *, timeout: float = 0) -> str:
        calls.append(list(argv))
        archive = Path(argv[-1].split(":")[1])
        shutil.copy(next(images.glob("*.oci.tar")), archive)
        return ""

    return run


def test_download_dry_run_prints_the_real_artifact_list(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main.run(["download", "-f", str(CONFIG), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "registry.k8s.io/kube-apiserver:v1.36.4" in out
    assert "kubeadm" in out and "[amd64]" in out
    assert out.rstrip().endswith("artifacts")


def test_download_dry_run_as_json_honours_arch_and_skip(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["-o", "json", "download", "-f", str(CONFIG), "--dry-run", "--arch", "arm64"]
    assert main.run([*argv, "--skip", "images", "--skip", "os-packages"]) == 0
    rows = json.loads(capsys.readouterr().out)["artifacts"]
    assert {row["kind"] for row in rows} == {"file", "chart"}
    assert {row["arch"] for row in rows if row["kind"] == "file"} == {"arm64"}


def test_download_builds_a_bundle_from_the_work_dir_cache(
    tmp_path: Path,
    cache: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    work = tmp_path / "work"
    artifacts = work_dir_for(load(str(CONFIG)).cluster, work).artifacts
    shutil.copytree(cache.os_dir, artifacts / "os")
    shutil.copytree(cache.cache_dir / "charts", artifacts / "charts")
    calls: list[list[str]] = []
    monkeypatch.setattr(bundle_cmd, "download_files", fake_download(cache.cache_dir))
    monkeypatch.setattr(bundle_cmd, "run_skopeo", fake_skopeo(cache.images_dir, calls))
    out = tmp_path / "bundle.tar.gz"
    argv = ["download", "-f", str(CONFIG), "-o", str(out), "--work-dir", str(work)]
    assert main.run(argv) == 0
    assert "4 files, 1 images, 1 charts, 2 OS packages" in capsys.readouterr().out
    assert len(calls) == 1 and calls[0][:2] == ["skopeo", "copy"]
    assert main.run(argv) == 0, "a second run reuses the pulled image"
    assert len(calls) == 1
    assert main.run(["bundle", "verify", "-f", str(CONFIG), str(out)]) == 0


def test_download_with_pieces_missing_lists_them_and_exits_1(
    tmp_path: Path,
    cache: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(bundle_cmd, "download_files", fake_download(cache.cache_dir))
    monkeypatch.setattr(bundle_cmd, "run_skopeo", fake_skopeo(cache.images_dir, []))
    argv = ["download", "-f", str(CONFIG), "-o", str(tmp_path / "b.tar.gz")]
    assert main.run([*argv, "--work-dir", str(tmp_path / "w")]) == 1
    err = capsys.readouterr().err
    assert "missing chart localpv 4.4.0" in err and "missing OS packages" in err
    assert not (tmp_path / "b.tar.gz").exists()


@pytest.fixture
def bundle(tmp_path: Path, cache: Any) -> Path:
    out = tmp_path / "bundle.tar.gz"
    build_bundle(
        cache.artifacts,
        cache.cache_dir,
        out,
        images_dir=cache.images_dir,
        os_dir=cache.os_dir,
    )
    return out


def test_verify_complete_bundle_exits_0(bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main.run(["bundle", "verify", "-f", str(CONFIG), str(bundle)]) == 0
    assert "complete; 9 members" in capsys.readouterr().out
    assert main.run(["-o", "json", "bundle", "verify", "-f", str(CONFIG), str(bundle)]) == 0
    assert json.loads(capsys.readouterr().out)["members"] == 9


def test_verify_lists_every_missing_item_and_exits_1(
    bundle: Path, cache: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    needs = ArtifactSet(
        files=(
            FileArtifact("etcd", "3.5.21", "s390x", "etcd", "u"),
            FileArtifact("runc", "1.1.5", "amd64", "runc", "u"),
        ),
        images=(ImageArtifact("quay.io/calico/node:v3", "quay.io/calico/node:v3", "cni"),),
    )
    monkeypatch.setattr(bundle_cmd, "resolve", lambda cluster, arches, os_release: needs)
    assert main.run(["bundle", "verify", "-f", str(CONFIG), str(bundle)]) == 1
    captured = capsys.readouterr()
    assert "etcd/3.5.21/s390x/etcd" in captured.err
    assert "runc/1.1.5/amd64/runc" in captured.err
    assert "image quay.io/calico/node:v3" in captured.err
    assert "incomplete for this config: 3 problems" in captured.err


def test_verify_as_json_reports_problems(
    bundle: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    needs = ArtifactSet(files=(FileArtifact("etcd", "3.5.21", "s390x", "etcd", "u"),))
    monkeypatch.setattr(bundle_cmd, "resolve", lambda cluster, arches, os_release: needs)
    assert main.run(["-o", "json", "bundle", "verify", "-f", str(CONFIG), str(bundle)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False
    assert data["errors"] == [f"bundle {bundle} is incomplete for this config: 1 problem"]
    assert data["problems"] == [
        {
            "kind": "file",
            "name": "etcd",
            "version": "3.5.21",
            "arch": "s390x",
            "reason": "not in the bundle (needed for s390x)",
            "item": "etcd/3.5.21/s390x/etcd",
        }
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["-f", "/nonexistent.yaml", "b.tar.gz"], "config file not found", id="cfg"),
        pytest.param(["-f", str(CONFIG), "/nonexistent.tar.gz"], "bundle not found", id="bundle"),
    ],
)
def test_verify_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main.run(["bundle", "verify", *argv]) == 2
    assert message in capsys.readouterr().err


def test_verify_of_a_non_bundle_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_text("nope")
    assert main.run(["bundle", "verify", "-f", str(CONFIG), str(junk)]) == 1
    assert "cannot read the bundle" in capsys.readouterr().err


def test_resolve_uses_the_real_resolver_with_an_arch_override() -> None:
    artifacts = bundle_cmd.resolve(load(str(CONFIG)).cluster, ["arm64"], None)
    assert artifacts.arches == ("arm64",)
    assert {f.arch for f in artifacts.files} == {"arm64"}


def test_download_skip_is_recorded_and_verify_reports_it_as_info(
    tmp_path: Path,
    cache: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    work = tmp_path / "work"
    artifacts = work_dir_for(load(str(CONFIG)).cluster, work).artifacts
    shutil.copytree(cache.os_dir, artifacts / "os")  # no charts in the cache: skipped
    monkeypatch.setattr(bundle_cmd, "download_files", fake_download(cache.cache_dir))
    monkeypatch.setattr(bundle_cmd, "run_skopeo", fake_skopeo(cache.images_dir, []))
    out = tmp_path / "bundle.tar.gz"
    argv = ["download", "-f", str(CONFIG), "-o", str(out), "--work-dir", str(work)]
    assert main.run([*argv, "--skip", "charts"]) == 0
    assert "left out on purpose: charts" in capsys.readouterr().out
    assert main.run(["bundle", "verify", "-f", str(CONFIG), str(out)]) == 0
    captured = capsys.readouterr()
    assert "left out when built: charts" in captured.out
    assert "complete;" in captured.out and captured.err == ""
    assert main.run(["-o", "json", "bundle", "verify", "-f", str(CONFIG), str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["left_out"] == ["charts"]


def test_verify_skip_leaves_a_kind_unchecked(
    tmp_path: Path, cache: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "no-images.tar.gz"
    lean = dataclasses.replace(cache.artifacts, images=())
    build_bundle(lean, cache.cache_dir, out, **cache.build_kwargs())
    argv = ["bundle", "verify", "-f", str(CONFIG), str(out)]
    assert main.run(argv) == 1
    assert "image registry.k8s.io/pause:3.10: not in the bundle" in capsys.readouterr().err
    assert main.run([*argv, "--skip", "images"]) == 0
    assert "not checked (--skip): images" in capsys.readouterr().out


def test_verify_of_a_malformed_manifest_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "odd.tar.gz"
    body = json.dumps({"schema_version": 1, "files": {"a": 1}}).encode()
    with tarfile.open(out, "w:gz") as archive:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(body)
        archive.addfile(info, io.BytesIO(body))
    assert main.run(["bundle", "verify", "-f", str(CONFIG), str(out)]) == 1
    err = capsys.readouterr().err
    assert "manifest.json is not a kubexm bundle manifest: files must be a list" in err


def os_rows(argv: list[str], capsys: pytest.CaptureFixture[str]) -> set[tuple[str, str]]:
    base = ["-o", "json", "download", "-f", str(CONFIG), "--dry-run"]
    assert main.run([*base, *argv]) == 0
    rows = json.loads(capsys.readouterr().out)["artifacts"]
    return {(row["from"], row["version"]) for row in rows if row["kind"] == "os-packages"}


def test_download_os_option_narrows_the_os_packages(capsys: pytest.CaptureFixture[str]) -> None:
    assert os_rows([], capsys) == {("debian", ""), ("rhel", "")}
    assert os_rows(["--os", "debian-12"], capsys) == {("debian", "12")}
    assert os_rows(["--os", "rhel"], capsys) == {("rhel", "")}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("debian-12", ("debian", "12"), id="id-version"),
        pytest.param("rocky-9.3", ("rocky", "9.3"), id="dotted-version"),
        pytest.param("rhel", ("rhel", ""), id="family"),
    ],
)
def test_parse_os(value: str, expected: tuple[str, str]) -> None:
    assert bundle_cmd.parse_os(value) == expected


def test_parse_os_rejects_an_unknown_os(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.run(["download", "-f", str(CONFIG), "--dry-run", "--os", "plan9-4"]) == 2
    assert "no package names known for 'plan9'" in capsys.readouterr().err


def fake_fetch(calls: list[DownloadOptions]) -> Any:
    async def fetch(files: Any, cache_dir: Path, *, options: DownloadOptions) -> None:
        calls.append(options)
        for artifact in files:
            outcome = FileOutcome(artifact, cache_dir, "downloaded", 2_500_000, 1.25, "x")
            if options.on_done is not None:
                options.on_done(outcome)

    return fetch


@pytest.mark.parametrize(
    ("progress", "expected"),
    [
        pytest.param(True, "downloaded etcd/3.5.21/amd64/etcd (2.5 MB, 1.2s)\n", id="on"),
        pytest.param(False, "", id="off"),
    ],
)
def test_download_files_prints_one_progress_line_per_file(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    progress: bool,
    expected: str,
) -> None:
    calls: list[DownloadOptions] = []
    monkeypatch.setattr(bundle_cmd, "fetch_files", fake_fetch(calls))
    etcd = FileArtifact("etcd", "3.5.21", "amd64", "etcd", "u")
    bundle_cmd.download_files(ArtifactSet(files=(etcd,)), tmp_path, "cn", progress=progress)
    captured = capsys.readouterr()
    assert (captured.err, captured.out) == (expected, "")
    assert calls[0].zone == "cn"


def test_unknown_arch_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["download", "--dry-run", "--arch", "sparc", "-f", str(CONFIG)]
    assert main.run(argv) == 2
    assert "unsupported architecture 'sparc'" in capsys.readouterr().err


def _serve(root: Path) -> Any:
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


def test_download_fetches_the_chart_from_its_repository(
    tmp_path: Path,
    cache: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    body = b"chart archive from the repository"
    www = tmp_path / "www"
    www.mkdir()
    (www / "localpv-4.4.0.tgz").write_bytes(body)
    digest = hashlib.sha256(body).hexdigest()
    entry = {"version": "4.4.0", "urls": ["localpv-4.4.0.tgz"], "digest": digest}
    (www / "index.yaml").write_text(json.dumps({"entries": {"localpv": [entry]}}))
    server = _serve(www)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        chart = ChartArtifact("localpv", "4.4.0", url, "storage")
        artifacts = dataclasses.replace(cache.artifacts, charts=(chart,))
        monkeypatch.setattr(bundle_cmd, "resolve", lambda c, a, o: artifacts)
        monkeypatch.setattr(bundle_cmd, "download_charts", download_charts)
        monkeypatch.setattr(bundle_cmd, "download_files", fake_download(cache.cache_dir))
        monkeypatch.setattr(bundle_cmd, "run_skopeo", fake_skopeo(cache.images_dir, []))
        work = tmp_path / "work"
        shutil.copytree(
            cache.os_dir, work_dir_for(load(str(CONFIG)).cluster, work).artifacts / "os"
        )
        out = tmp_path / "bundle.tar.gz"
        argv = ["download", "-f", str(CONFIG), "-o", str(out), "--work-dir", str(work)]
        assert main.run(argv) == 0
    finally:
        server.shutdown()
        server.server_close()
    captured = capsys.readouterr()
    assert "downloaded localpv-4.4.0.tgz" in captured.err
    assert "os-packages debian-12/amd64: complete in" in captured.err
    with tarfile.open(out) as tar:
        member = tar.extractfile("charts/localpv-4.4.0.tgz")
        assert member is not None and member.read() == body


def test_download_names_the_command_for_missing_os_packages(
    tmp_path: Path,
    cache: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(bundle_cmd, "download_files", fake_download(cache.cache_dir))
    monkeypatch.setattr(bundle_cmd, "run_skopeo", fake_skopeo(cache.images_dir, []))
    work = tmp_path / "work"
    shutil.copytree(
        cache.cache_dir / "charts",
        work_dir_for(load(str(CONFIG)).cluster, work).artifacts / "charts",
    )
    argv = [
        "download",
        "-f",
        str(CONFIG),
        "-o",
        str(tmp_path / "b.tar.gz"),
        "--work-dir",
        str(work),
    ]
    assert main.run(argv) == 1
    err = capsys.readouterr().err
    assert "os-packages debian-12/amd64: missing socat" in err
    assert "missing OS packages for debian-12/amd64: socat" in err
    assert "for the OS packages, run on a debian 12 amd64 machine: mkdir -p " in err


def test_download_gathers_os_packages_with_apt_on_a_matching_machine(
    tmp_path: Path,
    cache: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    scripts = {
        "apt-cache": "printf 'socat\\n  Depends: libwrap0\\nlibwrap0\\n'\n",
        "apt-get": 'shift; for p in "$@"; do echo "$p" > "${p}_1.0_amd64.deb"; done\n',
    }
    for name, body in scripts.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}")
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    bookworm = Release("debian", "12", "amd64")
    monkeypatch.setattr(
        bundle_cmd, "gather_os_packages", lambda s, d: gather_os_packages(s, d, release=bookworm)
    )
    monkeypatch.setattr(bundle_cmd, "download_files", fake_download(cache.cache_dir))
    monkeypatch.setattr(bundle_cmd, "run_skopeo", fake_skopeo(cache.images_dir, []))
    work = tmp_path / "work"
    artifacts = work_dir_for(load(str(CONFIG)).cluster, work).artifacts
    shutil.copytree(cache.cache_dir / "charts", artifacts / "charts")
    out = tmp_path / "bundle.tar.gz"
    argv = ["download", "-f", str(CONFIG), "-o", str(out), "--work-dir", str(work)]
    assert main.run(argv) == 0
    assert "os-packages debian-12/amd64: 2 fetched with apt-get" in capsys.readouterr().err
    with tarfile.open(out) as tar:
        names = set(tar.getnames())
    assert {
        "os/debian-12/amd64/socat_1.0_amd64.deb",
        "os/debian-12/amd64/libwrap0_1.0_amd64.deb",
    } <= names


def test_verify_refuses_a_stand_in_label_unless_allowed_and_warns_when_allowed(
    tmp_path: Path, cache: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """The user's report: kubelet swapped for a script and labelled stand-in passed verify."""
    good = tmp_path / "good.tar.gz"
    build_bundle(cache.artifacts, cache.cache_dir, good, **cache.build_kwargs())
    member = "files/kubelet/1.36.4/amd64/kubelet"
    tampered = fixtures.smuggle(good, tmp_path / "t.tar.gz", member, b"#!/bin/sh\nevil\n")
    argv = ["bundle", "verify", "-f", str(CONFIG), str(tampered)]

    assert main.run(argv) == 1
    refused = capsys.readouterr().err
    assert main.run([*argv, "--allow-standins"]) == 0
    allowed = capsys.readouterr()
    assert main.run(["-v", *argv, "--allow-standins"]) == 0
    verbose = capsys.readouterr().err
    assert main.run(["-o", "json", *argv, "--allow-standins"]) == 0
    data = json.loads(capsys.readouterr().out)

    assert "stand-in kubelet/1.36.4/amd64/kubelet: labelled stand-in" in refused
    assert "--allow-standins" in refused
    assert "complete; 9 members" in allowed.out
    assert f"warning: 1 file in the bundle {tampered} is labelled stand-in" in allowed.err
    assert "(-v lists them)" in allowed.err
    assert "  stand-in: kubelet/1.36.4/amd64/kubelet" in verbose
    assert data["ok"] is True and data["standins"] == ["kubelet/1.36.4/amd64/kubelet"]


def test_verify_json_names_refused_stand_ins_as_their_own_kind(
    tmp_path: Path, cache: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "standins.tar.gz"
    build_bundle(
        cache.artifacts, cache.cache_dir, out, **cache.build_kwargs(), labels={"etcd": "stand-in"}
    )

    assert main.run(["-o", "json", "bundle", "verify", "-f", str(CONFIG), str(out)]) == 1
    data = json.loads(capsys.readouterr().out)

    assert {p["kind"] for p in data["problems"]} == {"stand-in"}
    assert data["standins"] == ["etcd/3.5.21/amd64/etcd", "etcd/3.5.21/arm64/etcd"]
    assert "--allow-standins" in data["hint"]

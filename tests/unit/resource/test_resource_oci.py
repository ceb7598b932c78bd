"""OCI archives: writing, reading back, digest checks, skopeo argv and a real skopeo round trip."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

from kubexm.errors import ArtifactError, CommandError, CommandTimeout
from kubexm.resource import oci
from kubexm.resource.oci import (
    image_archive_name,
    inspect_argv,
    layer_from_files,
    pull_argv,
    push_argv,
    read_oci_archive,
    run_skopeo,
    run_skopeo_bytes,
    verify_oci_archive,
    write_oci_archive,
)

REF = "docker.io/library/kx-busybox:1"


def one_layer(text: str = "hello") -> bytes:
    return layer_from_files({"bin/hello": text.encode()}, symlinks={"bin/hi": "hello"})


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        pytest.param("registry.k8s.io/pause:3.10", "registry.k8s.io_pause_3.10.oci.tar", id="tag"),
        pytest.param(
            "quay.io/calico/node:v3.28.0", "quay.io_calico_node_v3.28.0.oci.tar", id="nested"
        ),
        pytest.param("r.io/a@sha256:ab", "r.io_a_sha256_ab.oci.tar", id="digest"),
    ],
)
def test_image_archive_name_is_a_flat_safe_file_name(ref: str, expected: str) -> None:
    assert image_archive_name(ref) == expected


def test_layer_from_files_holds_files_symlinks_and_parent_dirs() -> None:
    with tarfile.open(fileobj=io.BytesIO(one_layer()), mode="r:") as layer:
        members = {m.name: m for m in layer.getmembers()}
    assert members["bin"].isdir()
    assert members["bin/hello"].isfile() and members["bin/hello"].mode == 0o755
    assert members["bin/hi"].issym() and members["bin/hi"].linkname == "hello"


def test_layer_from_files_is_reproducible() -> None:
    assert one_layer() == one_layer()


def test_single_arch_archive_reads_back_ref_digest_and_arch(tmp_path: Path) -> None:
    out = tmp_path / "img.oci.tar"
    written = write_oci_archive(out, REF, {"amd64": one_layer()})
    read = read_oci_archive(out)
    assert read == written
    assert read.ref == REF and read.arches == ("amd64",)
    assert read.digest.startswith("sha256:")
    assert not out.with_name(out.name + ".part").exists()


def test_multi_arch_archive_has_an_index_with_every_platform(tmp_path: Path) -> None:
    out = tmp_path / "img.oci.tar"
    layers = {"arm64": one_layer("a"), "amd64": one_layer("b")}
    info = write_oci_archive(out, REF, layers)
    assert read_oci_archive(out).arches == ("amd64", "arm64") == info.arches
    with tarfile.open(out) as archive:
        index = json.load(archive.extractfile("index.json"))
    assert index["manifests"][0]["mediaType"] == oci.MEDIA_INDEX


def test_verify_oci_archive_counts_blobs_of_a_good_archive(tmp_path: Path) -> None:
    out = tmp_path / "img.oci.tar"
    write_oci_archive(out, REF, {"amd64": one_layer()})
    assert verify_oci_archive(out) == 3  # config, layer, manifest


def test_verify_oci_archive_names_a_corrupt_blob(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.tar", tmp_path / "bad.tar"
    write_oci_archive(good, REF, {"amd64": one_layer()})
    with tarfile.open(good) as src, tarfile.open(bad, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.startswith("blobs/") and b"layers" not in data:
                data = data[:-1] + bytes([data[-1] ^ 1])
            dst.addfile(member, io.BytesIO(data))
    with pytest.raises(ArtifactError, match="does not match its digest"):
        verify_oci_archive(bad)


@pytest.mark.parametrize(
    ("members", "reason"),
    [
        pytest.param({"index.json": b"{}"}, "oci-layout", id="no-layout"),
        pytest.param(
            {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}', "index.json": b'{"manifests":[]}'},
            "no manifests",
            id="empty-index",
        ),
        pytest.param(
            {
                "oci-layout": b'{"imageLayoutVersion":"1.0.0"}',
                "index.json": json.dumps(
                    {"manifests": [{"digest": "sha256:" + "0" * 64, "mediaType": "x"}]}
                ).encode(),
            },
            "blobs/sha256",
            id="missing-blob",
        ),
    ],
)
def test_read_oci_archive_rejects_broken_layouts(
    tmp_path: Path, members: dict[str, bytes], reason: str
) -> None:
    out = tmp_path / "broken.tar"
    with tarfile.open(out, "w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    with pytest.raises(ArtifactError, match=reason):
        read_oci_archive(out)


def test_read_oci_archive_rejects_a_file_that_is_not_a_tar(tmp_path: Path) -> None:
    out = tmp_path / "x.tar"
    out.write_bytes(b"not a tar at all" * 100)
    with pytest.raises(ArtifactError, match="not a readable OCI image archive"):
        read_oci_archive(out)


@pytest.mark.parametrize(
    ("arches", "expected_flags"),
    [
        pytest.param(("arm64",), ["--override-os", "linux", "--override-arch", "arm64"], id="one"),
        pytest.param(("amd64", "arm64"), ["--multi-arch", "all"], id="several"),
    ],
)
def test_pull_argv_chooses_arch_flags(arches: tuple[str, ...], expected_flags: list[str]) -> None:
    argv = pull_argv("quay.io/x/y:1", Path("/c/y.oci.tar"), arches)
    assert argv[:2] == ["skopeo", "copy"]
    assert all(flag in argv for flag in expected_flags)
    assert argv[-2:] == ["docker://quay.io/x/y:1", "oci-archive:/c/y.oci.tar:quay.io/x/y:1"]


def test_pull_and_push_argv_pass_credentials_as_a_file_only() -> None:
    auth = Path("/secure/auth.json")
    pull = pull_argv("a/b:1", Path("/x"), ("amd64",), authfile=auth)
    push = push_argv(Path("/x"), "reg:5000/b:1", authfile=auth, tls_verify=False)
    assert pull[pull.index("--src-authfile") + 1] == str(auth)
    assert push[push.index("--dest-authfile") + 1] == str(auth)
    assert "--dest-tls-verify=false" in push
    assert push[-2:] == ["oci-archive:/x", "docker://reg:5000/b:1"]


def test_push_argv_passes_a_cert_dir_when_given() -> None:
    push = push_argv(Path("/x"), "reg:5000/b:1", cert_dir=Path("/etc/kx/certs"))
    assert push[push.index("--dest-cert-dir") + 1] == "/etc/kx/certs"
    assert "--dest-tls-verify=true" in push and "--dest-authfile" not in push


@pytest.mark.parametrize(
    ("kwargs", "flags"),
    [
        pytest.param({}, ["--tls-verify=true"], id="plain"),
        pytest.param(
            {"authfile": Path("/a.json"), "tls_verify": False, "cert_dir": Path("/c")},
            ["--tls-verify=false", "--authfile", "/a.json", "--cert-dir", "/c"],
            id="all",
        ),
    ],
)
def test_inspect_argv_reads_the_raw_manifest(kwargs: dict[str, Any], flags: list[str]) -> None:
    argv = inspect_argv("reg:5000/b:1", **kwargs)
    assert argv == ["skopeo", "inspect", "--raw", *flags, "docker://reg:5000/b:1"]


def test_run_skopeo_bytes_returns_stdout_byte_for_byte(tmp_path: Path) -> None:
    tool = tmp_path / "fake-skopeo"
    tool.write_text("#!/bin/sh\nprintf '{\\r\\n\\377}'\n")
    tool.chmod(0o755)
    assert run_skopeo_bytes([str(tool)]) == b"{\r\n\xff}"
    assert run_skopeo([str(tool)]) == "{\r\n\ufffd}"


def test_run_skopeo_without_the_tool_says_how_to_install_it() -> None:
    with pytest.raises(ArtifactError, match="not installed") as caught:
        run_skopeo(["kubexm-no-such-tool-xyz", "copy"])
    assert "apt-get install skopeo" in caught.value.hint


def test_run_skopeo_failure_carries_exit_status_and_stderr(tmp_path: Path) -> None:
    tool = tmp_path / "fake-skopeo"
    tool.write_text("#!/bin/sh\necho 'manifest unknown' >&2\nexit 3\n")
    tool.chmod(0o755)
    with pytest.raises(CommandError) as caught:
        run_skopeo([str(tool), "copy"])
    assert caught.value.exit_status == 3 and "manifest unknown" in caught.value.stderr


def test_run_skopeo_kills_a_command_past_its_timeout(tmp_path: Path) -> None:
    tool = tmp_path / "slow-skopeo"
    tool.write_text("#!/bin/sh\nsleep 5\n")
    tool.chmod(0o755)
    with pytest.raises(CommandTimeout):
        run_skopeo([str(tool)], timeout=0.2)


@pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo is not installed")
def test_skopeo_copies_our_archive_into_an_oci_dir_and_back(tmp_path: Path) -> None:
    """No registry is reachable here: prove skopeo accepts our archives both ways."""
    archive = tmp_path / "img.oci.tar"
    write_oci_archive(archive, REF, {"amd64": one_layer()})
    layout = tmp_path / "layout"
    run_skopeo(["skopeo", "copy", f"oci-archive:{archive}", f"oci:{layout}:kx"], timeout=60)
    assert json.loads((layout / "index.json").read_text())["manifests"]
    back = tmp_path / "back.oci.tar"
    run_skopeo(["skopeo", "copy", f"oci:{layout}:kx", f"oci-archive:{back}:{REF}"], timeout=60)
    assert read_oci_archive(back).arches == ("amd64",)
    inspected = subprocess.run(
        ["skopeo", "inspect", "--raw", f"oci-archive:{archive}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(inspected.stdout)["mediaType"] == oci.MEDIA_MANIFEST

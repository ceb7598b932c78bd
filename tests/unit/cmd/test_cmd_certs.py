"""``kubexm certs generate | check`` on a temporary work directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubexm.cmd.main import run

EXAMPLE = str(Path(__file__).resolve().parents[3] / "examples" / "ha-kubexm-kh.yaml")


def _generate(work: Path, *extra: str) -> int:
    return run(
        ["certs", "generate", "-f", EXAMPLE, "--work-dir", str(work), "--key-type", "ecdsa", *extra]
    )


def test_check_without_pki_says_how_to_create_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["certs", "check", "-f", EXAMPLE, "--work-dir", str(tmp_path)]) == 1
    assert "kubexm certs generate" in capsys.readouterr().err


def test_generate_then_rerun_keeps_everything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _generate(tmp_path) == 0
    first = capsys.readouterr().out
    assert "created" in first and "0 kept" in first
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert (tmp_path / "ha-kh" / "pki" / "ca.crt").is_file()
    assert _generate(tmp_path) == 0
    assert "0 created, 0 reissued, 0 updated" in capsys.readouterr().out
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert before == after
    assert (tmp_path / "ha-kh" / "pki" / "ca.key").stat().st_mode & 0o777 == 0o600


def test_check_lists_every_certificate_as_table_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _generate(tmp_path) == 0
    capsys.readouterr()
    assert run(["certs", "check", "-f", EXAMPLE, "--work-dir", str(tmp_path)]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split()[:2] == ["NAME", "KIND"]
    assert "apiserver " in table and "admin.conf" in table
    assert run(["-o", "json", "certs", "check", "-f", EXAMPLE, "--work-dir", str(tmp_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    names = {c["name"] for c in data["certificates"]}
    assert {"ca", "apiserver", "etcd/ca", "front-proxy-ca", "admin.conf"} <= names
    assert all(c["status"] == "ok" for c in data["certificates"])


def test_check_warns_below_threshold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _generate(tmp_path) == 0
    capsys.readouterr()
    argv = ["certs", "check", "-f", EXAMPLE, "--work-dir", str(tmp_path), "--warn-days", "400"]
    assert run(argv) == 0
    out = capsys.readouterr()
    assert "WARNING" in out.out
    assert "expire within 400 days" in out.err


def test_generate_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run(
            [
                "-o",
                "json",
                "certs",
                "generate",
                "-f",
                EXAMPLE,
                "--work-dir",
                str(tmp_path),
                "--key-type",
                "ecdsa",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True
    assert {e["action"] for e in data["entries"]} == {"created"}


def test_unknown_key_type_is_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _generate(tmp_path, "--key-type", "dsa") == 2
    assert "unknown key type" in capsys.readouterr().err


def _files(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    "rerun",
    [pytest.param((), id="no-key-type"), pytest.param(("--key-type", "rsa"), id="rsa-no-force")],
)
def test_rerun_after_ecdsa_keeps_every_file_byte_identical(
    tmp_path: Path, rerun: tuple[str, ...]
) -> None:
    assert _generate(tmp_path) == 0
    before = _files(tmp_path)
    args = ["certs", "generate", "-f", EXAMPLE, "--work-dir", str(tmp_path), *rerun]
    assert run(args) == 0
    assert _files(tmp_path) == before


def test_key_type_with_force_replaces_keys_of_another_type(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _generate(tmp_path) == 0
    key = tmp_path / "ha-kh" / "pki" / "apiserver.key"
    before = key.read_bytes()
    capsys.readouterr()
    args = ["certs", "generate", "-f", EXAMPLE, "--work-dir", str(tmp_path)]
    assert run([*args, "--key-type", "rsa", "--force"]) == 0
    assert "key type changed to rsa" in capsys.readouterr().out
    assert key.read_bytes() != before


def test_external_etcd_gets_no_kubexm_etcd_certificates(tmp_path: Path) -> None:
    config = str(Path(EXAMPLE).with_name("external-etcd.yaml"))
    assert run(["certs", "generate", "-f", config, "--work-dir", str(tmp_path)]) == 0
    names = {p.name for p in tmp_path.rglob("*.crt")}
    assert "apiserver.crt" in names
    assert not [n for n in names if "etcd" in n]
    assert not list(tmp_path.rglob("etcd"))


def test_generate_refuses_while_another_run_holds_the_work_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kubexm.engine import WorkDirLock

    with WorkDirLock(tmp_path / "ha-kh", "certs generate"):
        assert _generate(tmp_path) == 1
    err = capsys.readouterr().err
    assert "lock" in err
    assert not (tmp_path / "ha-kh" / "pki" / "ca.crt").exists()


BINARY = Path(EXAMPLE).with_name("binary-mode.yaml")


def test_generate_retires_the_files_of_a_removed_worker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "work"
    argv = ["certs", "generate", "--work-dir", str(work), "--key-type", "ecdsa", "-f"]
    assert run([*argv, str(BINARY)]) == 0
    text = BINARY.read_text(encoding="utf-8")
    smaller = tmp_path / "smaller.yaml"
    smaller.write_text(
        text.replace("    - {name: node4, address: 10.0.1.14}\n", "").replace(
            "worker: [node4]", "worker: [node1]"
        ),
        encoding="utf-8",
    )
    capsys.readouterr()
    assert run([*argv, str(smaller)]) == 0
    out = capsys.readouterr().out
    retired = [line.split()[2] for line in out.splitlines() if line.startswith("retired")]
    assert retired == [
        "kubelet/node4-client",
        "kubelet/node4-serving",
        "kube-proxy-node4.conf",
        "kubelet-node4.conf",
    ]
    assert "0 created, 0 reissued, 0 updated, 4 retired" in out
    assert "moved to retired/" in out
    assert len(list((work / "binary" / "pki" / "retired").glob("*/kubelet/node4-*.key"))) == 2
    assert run([*argv, str(smaller)]) == 0
    assert "0 retired" in capsys.readouterr().out

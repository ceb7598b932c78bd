"""``kubexm certs generate | check`` on a temporary work directory."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kubexm.cmd.main import run
from kubexm.pki import certs

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


def _check(work: Path, *options: str) -> int:
    return run([*options, "certs", "check", "-f", EXAMPLE, "--work-dir", str(work)])


def _pki(work: Path) -> Path:
    return work / "ha-kh" / "pki"


def test_check_fails_when_the_ca_is_gone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _generate(tmp_path) == 0
    (_pki(tmp_path) / "ca.crt").unlink()
    (_pki(tmp_path) / "ca.key").unlink()
    capsys.readouterr()

    assert _check(tmp_path) == 1
    out = capsys.readouterr()
    rows = {line.split()[0]: line for line in out.out.splitlines()[1:]}
    assert rows["ca"].endswith("MISSING")
    assert rows["apiserver"].endswith("CA MISSING")
    assert rows["front-proxy-client"].endswith("OK")
    assert "ca: missing (ca.crt does not exist)" in out.err
    assert "--force" in out.err and "restore the CA" in out.err

    assert _check(tmp_path, "-o", "json") == 1
    data = json.loads(capsys.readouterr().out)  # one JSON document, the error included
    status = {c["name"]: c["status"] for c in data["certificates"]}
    assert data["ok"] is False
    assert (status["ca"], status["admin.conf"], status["etcd/ca"]) == (
        "missing",
        "ca-missing",
        "ok",
    )
    assert any("restore the CA" in fix for fix in data["fixes"])


def test_check_fails_on_a_leaf_from_another_ca_and_on_a_key_mismatch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _generate(tmp_path) == 0
    pki = _pki(tmp_path)
    key = certs.generate_key("ecdsa")
    now = datetime.now(UTC)
    other = certs.Issuer(certs.make_ca("kubernetes", key, now=now, validity=timedelta(days=9)), key)
    leaf = certs.load_cert((pki / "apiserver.crt").read_bytes(), "apiserver")
    leaf_key = certs.load_key((pki / "apiserver.key").read_bytes(), "apiserver")
    profile = certs.cert_profile(leaf)
    forged = certs.issue(profile, leaf_key, other, now=now, validity=timedelta(days=9))
    (pki / "apiserver.crt").write_bytes(certs.cert_to_pem(forged))
    shutil.copy(pki / "clients" / "scheduler.key", pki / "front-proxy-client.key")
    capsys.readouterr()

    assert _check(tmp_path) == 1
    out = capsys.readouterr()
    rows = {line.split()[0]: line for line in out.out.splitlines()[1:]}
    assert rows["apiserver"].endswith("WRONG CA, WARNING")
    assert rows["front-proxy-client"].endswith("KEY MISMATCH")
    assert "2 of " in out.err
    assert "apiserver: wrong ca (not signed by the CA in ca.crt)" in out.err
    assert "kubexm certs generate" in out.err

    assert _check(tmp_path, "-o", "json") == 1
    data = json.loads(capsys.readouterr().out)
    problems = {c["name"]: c["problems"] for c in data["certificates"] if c["problems"]}
    assert set(problems) == {"apiserver", "front-proxy-client"}
    assert problems["front-proxy-client"][0]["status"] == "key-mismatch"


def test_a_missing_leaf_is_reported_and_generate_brings_it_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _generate(tmp_path) == 0
    (_pki(tmp_path) / "apiserver.crt").unlink()
    (tmp_path / "ha-kh" / "kubeconfig" / "scheduler.conf").unlink()
    capsys.readouterr()

    assert _check(tmp_path) == 1
    err = capsys.readouterr().err
    assert "apiserver: missing (apiserver.crt does not exist)" in err
    assert "scheduler.conf: missing" in err
    assert f"create or renew them with: kubexm certs generate -f {EXAMPLE}" in err

    assert _generate(tmp_path) == 0
    assert _check(tmp_path) == 0


def test_generate_refusing_a_lost_ca_says_nothing_was_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _generate(tmp_path) == 0
    (_pki(tmp_path) / "ca.crt").unlink()
    (_pki(tmp_path) / "ca.key").unlink()
    capsys.readouterr()

    assert _generate(tmp_path) == 1
    err = capsys.readouterr().err
    assert "was just created" not in err
    assert "ca.crt/.key missing, so a new CA would have to be made" in err
    assert "nothing was written" in err
    assert not (_pki(tmp_path) / "ca.crt").exists()

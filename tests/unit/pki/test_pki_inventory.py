from __future__ import annotations

import base64
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pkitest_helpers import Generated, foreign_issuer, make_plan, resign

from kubexm.errors import PKIError
from kubexm.pki import certs
from kubexm.pki.generate import ensure_pki
from kubexm.pki.inventory import (
    CertInfo,
    Expected,
    Problem,
    expected_for,
    inventory,
    inventory_dicts,
    problem_details,
    render_table,
)
from kubexm.pki.kubeconfig import kubeconfig_specs
from kubexm.pki.table import leaf_requests
from kubexm.util.yamlio import dump_yaml, load_yaml_plain


def _info(days_left: int, name: str = "x") -> CertInfo:
    return CertInfo(
        name=name,
        path=Path(f"/pki/{name}.crt"),
        subject=f"CN={name}",
        issuer="CN=kubernetes",
        not_after=datetime(2030, 1, 1, tzinfo=UTC) + timedelta(days=days_left),
        days_left=days_left,
        sans=(),
        kind="leaf",
    )


def test_inventory_lists_cas_leaves_and_kubeconfigs(generated: Generated) -> None:
    infos = {info.name: info for info in inventory(generated.pki)}
    leaves = {req.name for req in leaf_requests(generated.plan)}
    confs = {spec.name for spec in kubeconfig_specs(generated.plan)}
    assert set(infos) == leaves | confs | {"ca", "etcd/ca", "front-proxy-ca"}
    assert {infos[n].kind for n in ("ca", "etcd/ca", "front-proxy-ca")} == {"ca"}
    assert {infos[n].kind for n in leaves} == {"leaf"}
    assert {infos[n].kind for n in confs} == {"kubeconfig"}


def test_inventory_reads_subject_issuer_sans_and_path(generated: Generated) -> None:
    infos = {info.name: info for info in inventory(generated.pki)}
    apiserver = infos["apiserver"]
    assert (apiserver.subject, apiserver.issuer) == ("CN=kube-apiserver", "CN=kubernetes")
    assert apiserver.path == generated.pki / "apiserver.crt"
    assert "kubernetes.default.svc.cluster.local" in apiserver.sans
    admin = infos["admin.conf"]
    assert admin.subject == "CN=kubernetes-admin,O=kubeadm:cluster-admins"
    assert admin.path == generated.kubeconfig / "admin.conf"
    assert infos["etcd/e1-peer"].issuer == "CN=etcd-ca"


def test_days_left_counts_from_now(generated: Generated) -> None:
    later = datetime.now(UTC) + timedelta(days=100)
    infos = {info.name: info for info in inventory(generated.pki, now=later)}
    assert infos["apiserver"].days_left in (264, 265)
    assert infos["ca"].days_left in (3549, 3550)


def test_missing_directories_give_an_empty_inventory(tmp_path: Path) -> None:
    assert inventory(tmp_path / "pki") == []


def test_explicit_kubeconfig_dir_is_read(tmp_path: Path) -> None:
    ensure_pki(make_plan(etcd=(), nodes=()), tmp_path / "pki", kubeconfig_dir=tmp_path / "confs")
    names = {info.name for info in inventory(tmp_path / "pki", tmp_path / "confs")}
    assert "admin.conf" in names
    assert "admin.conf" not in {info.name for info in inventory(tmp_path / "pki")}


def test_corrupt_certificate_raises_pki_error(tmp_path: Path) -> None:
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "apiserver.crt").write_text("broken")
    with pytest.raises(PKIError, match="not a readable PEM certificate"):
        inventory(tmp_path / "pki")


def test_kubeconfig_without_embedded_cert_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "kubeconfig").mkdir()
    (tmp_path / "kubeconfig" / "token.conf").write_text(
        "clusters: [{name: c, cluster: {server: 'https://x', certificate-authority-data: Q0E=}}]\n"
        "contexts: [{name: t, context: {cluster: c, user: u}}]\n"
        "current-context: t\n"
        "users: [{name: u, user: {token: abc}}]\n"
    )
    assert inventory(tmp_path / "pki") == []


@pytest.mark.parametrize(
    ("days", "warn_days", "status"),
    [
        (-1, 30, "expired"),
        (0, 30, "warning"),
        (29, 30, "warning"),
        (30, 30, "ok"),
        (50, 90, "warning"),
    ],
    ids=["expired", "today", "under-threshold", "at-threshold", "custom-threshold"],
)
def test_status_flags_expiry(days: int, warn_days: int, status: str) -> None:
    assert _info(days).status(warn_days) == status


def test_inventory_dicts_are_json_ready(generated: Generated) -> None:
    dicts = inventory_dicts(inventory(generated.pki))
    decoded = json.loads(json.dumps(dicts))
    apiserver = next(d for d in decoded if d["name"] == "apiserver")
    assert apiserver["kind"] == "leaf"
    assert apiserver["status"] == "ok"
    assert datetime.fromisoformat(apiserver["not_after"]).tzinfo is not None
    assert "127.0.0.1" in apiserver["sans"]


def test_inventory_dicts_use_the_warning_threshold() -> None:
    assert inventory_dicts([_info(40)], warn_days=60)[0]["status"] == "warning"
    assert inventory_dicts([_info(40)])[0]["status"] == "ok"


def test_render_table_puts_missing_first_and_lists_every_problem() -> None:
    missing = CertInfo("ca", Path("/pki/ca.crt"), "ca", problems=(Problem("missing", "gone"),))
    foreign = CertInfo(**{**vars(_info(-2, "apiserver")), "problems": (Problem("wrong-ca", "x"),)})
    lines = render_table([_info(10, "soon"), foreign, missing]).splitlines()
    assert lines[1].split() == ["ca", "ca", "-", "-", "-", "MISSING"]
    assert lines[2].startswith("apiserver") and lines[2].endswith("WRONG CA, EXPIRED")
    assert lines[3].endswith("WARNING")


def test_render_table_sorts_soonest_first_and_flags_status() -> None:
    table = render_table([_info(200, "late"), _info(-3, "gone"), _info(10, "soon")])
    lines = table.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "EXPIRES", "DAYS", "LEFT", "ISSUER", "STATUS"]
    assert [line.split()[0] for line in lines[1:]] == ["gone", "soon", "late"]
    assert lines[1].endswith("EXPIRED")
    assert lines[2].endswith("WARNING")
    assert lines[3].endswith("OK")


def test_render_table_of_a_real_pki_has_a_row_per_certificate(generated: Generated) -> None:
    infos = inventory(generated.pki)
    table = render_table(infos, warn_days=400)
    assert len(table.splitlines()) == len(infos) + 1
    assert table.count("WARNING") == len([i for i in infos if i.kind != "ca"])


# ---------------------------------------------------------------- checks against the plan


def _by_name(generated: Generated) -> dict[str, CertInfo]:
    infos = inventory(generated.pki, expected=expected_for(generated.plan))
    return {info.name: info for info in infos}


def _problems(infos: dict[str, CertInfo]) -> dict[str, list[str]]:
    return {n: [p.status for p in i.problems] for n, i in infos.items() if i.problems}


def test_a_generated_pki_passes_every_check(generated: Generated) -> None:
    infos = _by_name(generated)
    assert _problems(infos) == {}
    assert not [info for info in infos.values() if info.failed()]
    assert set(infos) == set(expected_for(generated.plan).leaves) | {
        "ca", "etcd/ca", "front-proxy-ca", *expected_for(generated.plan).kubeconfigs,
    }  # fmt: skip


def test_a_deleted_ca_is_missing_and_what_it_signed_cannot_be_verified(
    generated: Generated, tmp_path: Path
) -> None:
    work = generated.copy(tmp_path)
    (work.pki / "ca.crt").unlink()
    (work.pki / "ca.key").unlink()

    infos = _by_name(work)

    assert infos["ca"].problems == (Problem("missing", "ca.crt does not exist"),)
    assert (infos["ca"].kind, infos["ca"].not_after, infos["ca"].status()) == (
        "ca",
        None,
        "missing",
    )
    signed_by_ca = {req.name for req in leaf_requests(work.plan) if req.ca == "ca"}
    confs = {spec.name for spec in kubeconfig_specs(work.plan)}
    assert _problems(infos) == {
        "ca": ["missing"],
        **{name: ["ca-missing"] for name in signed_by_ca | confs},
    }
    assert infos["apiserver"].problems[0].detail == "cannot be verified: no ca.crt"


@pytest.mark.parametrize("cn", ["kubernetes", "another-ca"], ids=["same-name", "other-name"])
def test_a_leaf_signed_by_another_ca_is_wrong_ca(
    generated: Generated, tmp_path: Path, cn: str
) -> None:
    work = generated.copy(tmp_path)
    resign(work.pki / "apiserver.crt", foreign_issuer(cn))

    infos = _by_name(work)

    assert _problems(infos) == {"apiserver": ["wrong-ca"]}
    assert infos["apiserver"].problems[0].detail == "not signed by the CA in ca.crt"


def test_without_a_plan_the_ca_is_the_one_the_issuer_names(
    generated: Generated, tmp_path: Path
) -> None:
    work = generated.copy(tmp_path)
    resign(work.pki / "apiserver.crt", foreign_issuer("kubernetes"))
    resign(work.pki / "front-proxy-client.crt", foreign_issuer("nobody-ca"))

    infos = {info.name: info for info in inventory(work.pki)}

    assert _problems(infos) == {
        "apiserver": ["wrong-ca"],
        "front-proxy-client": ["wrong-ca"],
    }
    assert infos["front-proxy-client"].problems[0].detail == (
        "issued by CN=nobody-ca, none of the CAs here"
    )


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        pytest.param(
            lambda pki: shutil.copy(pki / "apiserver-kubelet-client.key", pki / "apiserver.key"),
            Problem("key-mismatch", "apiserver.key does not belong to the certificate"),
            id="other-key",
        ),
        pytest.param(
            lambda pki: (pki / "apiserver.key").write_text("garbage"),
            Problem("key-mismatch", "apiserver.key is not a readable private key"),
            id="garbage-key",
        ),
        pytest.param(
            lambda pki: (pki / "apiserver.key").unlink(),
            Problem("key-missing", "apiserver.key does not exist"),
            id="no-key",
        ),
    ],
)
def test_a_leaf_key_must_belong_to_its_certificate(
    generated: Generated, tmp_path: Path, damage: Any, problem: Problem
) -> None:
    work = generated.copy(tmp_path)
    damage(work.pki)

    assert _by_name(work)["apiserver"].problems == (problem,)


def test_a_ca_key_must_belong_to_its_certificate(generated: Generated, tmp_path: Path) -> None:
    work = generated.copy(tmp_path)
    shutil.copy(work.pki / "etcd" / "ca.key", work.pki / "front-proxy-ca.key")

    assert _problems(_by_name(work)) == {"front-proxy-ca": ["key-mismatch"]}


def test_a_leaf_in_place_of_a_ca_is_not_a_ca(generated: Generated, tmp_path: Path) -> None:
    work = generated.copy(tmp_path)
    for suffix in (".crt", ".key"):
        shutil.copy(work.pki / f"front-proxy-client{suffix}", work.pki / f"front-proxy-ca{suffix}")

    infos = _by_name(work)

    assert infos["front-proxy-ca"].kind == "ca"
    assert _problems(infos) == {"front-proxy-ca": ["not-ca"], "front-proxy-client": ["wrong-ca"]}


def test_missing_leaves_and_kubeconfigs_are_rows(generated: Generated, tmp_path: Path) -> None:
    work = generated.copy(tmp_path)
    (work.pki / "etcd" / "e2-peer.crt").unlink()
    (work.kubeconfig / "scheduler.conf").unlink()

    infos = _by_name(work)

    assert _problems(infos) == {"etcd/e2-peer": ["missing"], "scheduler.conf": ["missing"]}
    assert (infos["etcd/e2-peer"].kind, infos["scheduler.conf"].kind) == ("leaf", "kubeconfig")
    assert infos["scheduler.conf"].path == work.kubeconfig / "scheduler.conf"


def _edit_kubeconfig(path: Path, **user: bytes) -> None:
    doc = load_yaml_plain(path.read_text())
    for key, value in user.items():
        field = key.replace("_", "-")
        if field == "certificate-authority-data":
            doc["clusters"][0]["cluster"][field] = base64.b64encode(value).decode()
        else:
            doc["users"][0]["user"][field] = base64.b64encode(value).decode()
    path.write_text(dump_yaml(doc))


def test_a_kubeconfig_key_must_belong_to_its_client_certificate(
    generated: Generated, tmp_path: Path
) -> None:
    work = generated.copy(tmp_path)
    other_key = (work.pki / "clients" / "scheduler.key").read_bytes()
    _edit_kubeconfig(work.kubeconfig / "admin.conf", client_key_data=other_key)

    infos = _by_name(work)

    assert infos["admin.conf"].problems == (
        Problem("key-mismatch", "the embedded client key does not belong to the certificate"),
    )


def test_a_kubeconfig_client_certificate_from_another_ca_is_wrong_ca(
    generated: Generated, tmp_path: Path
) -> None:
    work = generated.copy(tmp_path)
    foreign = foreign_issuer()
    resign(work.pki / "clients" / "admin.crt", foreign)
    cert = (work.pki / "clients" / "admin.crt").read_bytes()
    _edit_kubeconfig(work.kubeconfig / "admin.conf", client_certificate_data=cert)
    _edit_kubeconfig(
        work.kubeconfig / "super-admin.conf",
        certificate_authority_data=certs.cert_to_pem(foreign.cert),
    )

    problems = _problems(_by_name(work))

    assert problems == {
        "clients/admin": ["wrong-ca"],
        "admin.conf": ["wrong-ca"],
        "super-admin.conf": ["wrong-ca"],
    }
    details = {p.detail for p in _by_name(work)["super-admin.conf"].problems}
    assert details == {"its certificate-authority-data is not ca.crt"}


def test_an_expected_kubeconfig_without_a_client_certificate_is_missing(
    generated: Generated, tmp_path: Path
) -> None:
    work = generated.copy(tmp_path)
    doc = load_yaml_plain((work.kubeconfig / "admin.conf").read_text())
    doc["users"][0]["user"] = {"token": "abc"}
    (work.kubeconfig / "admin.conf").write_text(dump_yaml(doc))

    assert _by_name(work)["admin.conf"].problems == (
        Problem("missing", "it has no embedded client certificate"),
    )


def test_inventory_dicts_carry_every_problem_and_null_dates(
    generated: Generated, tmp_path: Path
) -> None:
    work = generated.copy(tmp_path)
    (work.pki / "front-proxy-ca.crt").unlink()
    dicts = {d["name"]: d for d in inventory_dicts(list(_by_name(work).values()))}
    decoded = json.loads(json.dumps(dicts))
    assert decoded["front-proxy-ca"]["status"] == "missing"
    assert decoded["front-proxy-ca"]["not_after"] is None
    assert decoded["front-proxy-ca"]["days_left"] is None
    assert decoded["front-proxy-client"]["problems"] == [
        {"status": "ca-missing", "detail": "cannot be verified: no front-proxy-ca.crt"}
    ]
    assert decoded["apiserver"]["problems"] == []


def test_problem_details_name_each_problem() -> None:
    info = CertInfo(
        **{
            **vars(_info(-1, "apiserver")),
            "problems": (Problem("wrong-ca", "not signed"), Problem("key-missing", "no key")),
        }
    )
    assert problem_details(info) == (
        "apiserver: wrong ca (not signed); key missing (no key); expired"
    )


def test_expected_for_names_each_item_with_its_ca() -> None:
    expected = expected_for(make_plan())
    assert expected.cas == ("ca", "etcd/ca", "front-proxy-ca")
    assert expected.leaves["etcd/e1-peer"] == "etcd/ca"
    assert expected.kubeconfigs["kubelet-w1.conf"] == "ca"
    assert Expected().leaves == {}

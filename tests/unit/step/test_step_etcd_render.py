"""Rendering of the etcd member files: flags per minor, env file, unit, wrapper, backup."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kubexm.apis.v1alpha1.etcd import EtcdBackup, EtcdCluster, EtcdPerformance
from kubexm.errors import KubexmError
from kubexm.step.etcd.render import (
    Member,
    env_name,
    etcd_flags,
    etcd_minor,
    render,
    render_backup,
    render_env,
    render_unit,
    render_wrapper,
    settings_digest,
    versioned_flags,
)

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "etcd"
MEMBERS = [Member("e1", "10.0.0.1"), Member("e2", "10.0.0.2"), Member("e3", "10.0.0.3")]


def golden(name: str, text: str) -> None:
    """Compare with tests/golden/etcd/<name>; KUBEXM_UPDATE_GOLDEN=1 rewrites on purpose."""
    path = GOLDEN / name
    if os.environ.get("KUBEXM_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def env_for(version: str) -> str:
    flags = etcd_flags(MEMBERS[0], MEMBERS, EtcdCluster(), EtcdPerformance(), version)
    return render_env(MEMBERS[0], flags, version)


@pytest.mark.parametrize("version", ["3.4.23", "3.5.33", "3.6.14"], ids=["3.4", "3.5", "3.6"])
def test_env_file_matches_golden_per_minor(version: str) -> None:
    minor = version.rsplit(".", 1)[0]
    golden(f"etcd-{minor}.env", env_for(version))


def test_unit_matches_golden() -> None:
    golden("etcd.service", render_unit())


def test_wrapper_and_backup_files_match_golden() -> None:
    script, service, timer = render_backup(
        EtcdBackup.model_validate({"periodHours": 6, "keepNumber": 3})
    )
    golden("etcdctl.sh", render_wrapper(2379))
    golden("etcd-backup.sh", script)
    golden("etcd-backup.service", service)
    golden("etcd-backup.timer", timer)


@pytest.mark.parametrize(
    ("version", "present", "absent"),
    [
        ("3.4.23", {"logger", "experimental-initial-corrupt-check"}, {"feature-gates"}),
        ("3.5.33", {"experimental-initial-corrupt-check"}, {"logger", "feature-gates"}),
        ("3.6.14", {"feature-gates"}, {"logger", "experimental-initial-corrupt-check"}),
    ],
    ids=["3.4", "3.5", "3.6"],
)
def test_versioned_flags_only_go_to_minors_that_have_them(
    version: str, present: set[str], absent: set[str]
) -> None:
    flags = versioned_flags(version)
    assert present <= flags.keys()
    assert not absent & flags.keys()


def test_etcd_minor_rejects_another_major() -> None:
    assert etcd_minor("v3.5.1") == 5
    with pytest.raises(KubexmError, match="not supported"):
        etcd_minor("2.3.8")


def test_flags_carry_members_tls_and_performance_values() -> None:
    perf = EtcdPerformance.model_validate(
        {"heartbeatIntervalMillis": 100, "quotaBackendBytes": 8 * 1024**3}
    )
    cluster = EtcdCluster.model_validate({"clientPort": 12379, "extraArgs": {"log-level": "debug"}})
    flags = etcd_flags(MEMBERS[1], MEMBERS, cluster, perf, "3.5.33")
    assert flags["listen-client-urls"] == "https://10.0.0.2:12379,https://127.0.0.1:12379"
    assert flags["initial-cluster"] == (
        "e1=https://10.0.0.1:2380,e2=https://10.0.0.2:2380,e3=https://10.0.0.3:2380"
    )
    assert flags["heartbeat-interval"] == "100"
    assert flags["quota-backend-bytes"] == str(8 * 1024**3)
    assert flags["client-cert-auth"] == flags["peer-client-cert-auth"] == "true"
    assert flags["log-level"] == "debug", "extraArgs win over defaults"


def test_member_url_brackets_ipv6() -> None:
    assert Member("e1", "fd00::1").url(2379) == "https://[fd00::1]:2379"


@pytest.mark.parametrize(
    ("flag", "env"),
    [("max-request-bytes", "ETCD_MAX_REQUEST_BYTES"), ("--name", "ETCD_NAME")],
    ids=["dashes", "leading-dashes"],
)
def test_env_name_maps_flags_to_etcd_variables(flag: str, env: str) -> None:
    assert env_name(flag) == env


def test_settings_digest_ignores_initial_cluster_lines_only() -> None:
    env = env_for("3.5.33")
    grown = env.replace("ETCD_INITIAL_CLUSTER=", "ETCD_INITIAL_CLUSTER=e4=https://10.0.0.4:2380,")
    tuned = env.replace("ETCD_SNAPSHOT_COUNT=10000", "ETCD_SNAPSHOT_COUNT=5000")
    unit = render_unit()
    assert settings_digest(grown, unit) == settings_digest(env, unit)
    assert settings_digest(tuned, unit) != settings_digest(env, unit)
    assert settings_digest(env, unit + "#") != settings_digest(env, unit)


def test_render_names_a_missing_value() -> None:
    with pytest.raises(KubexmError, match=r"etcd\.service\.j2"):
        render("etcd.service.j2", env_file="/etc/etcd.env")

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fakeconn import FakeConnection
from ruamel.yaml import YAML

from kubexm.connector.base import Result
from kubexm.runner.facts import (
    VERSION_COMMANDS,
    Address,
    Facts,
    facts_script,
    gather_facts,
    os_family,
    parse_facts,
    split_sections,
)
from kubexm.runner.host import Host

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "facts").glob("*.yaml"))


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(path.read_text())
    return data


def _expected(raw: dict[str, Any]) -> Facts:
    values = dict(raw)
    values["addresses"] = tuple(Address(**a) for a in values["addresses"])
    values["firewalls"] = tuple(values["firewalls"])
    values["versions"] = {k: str(v) for k, v in values["versions"].items()}
    return Facts(**values)


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_parse_facts_matches_fixture(path: Path) -> None:
    case = _load(path)
    facts = parse_facts(case["stdout"], received_at=case["received_at"])
    assert facts == _expected(case["expected"])


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
async def test_gather_facts_uses_one_round_trip(path: Path, fake: FakeConnection) -> None:
    case = _load(path)
    fake.script("echo @@os-release", Result(0, case["stdout"], ""))
    facts = await gather_facts(Host(fake), clock=lambda: float(case["received_at"]))
    assert len(fake.ran) == 1
    assert facts == _expected(case["expected"])


def test_fixtures_cover_the_required_distros_and_cgroup_versions() -> None:
    expected = [_expected(_load(p)["expected"]) for p in FIXTURES]
    assert {f.os_id for f in expected} >= {"debian", "ubuntu", "rocky", "centos"}
    assert {f.cgroup_version for f in expected} == {1, 2}


def test_facts_script_is_valid_posix_shell() -> None:
    check = subprocess.run(["sh", "-n"], input=facts_script(), text=True, capture_output=True)
    assert check.returncode == 0, check.stderr


def test_facts_script_runs_locally_and_parses() -> None:
    # The control machine is Linux too: the script must survive missing tools. The resolver
    # lookup of hostname -f is left out to keep the test off the network.
    script = facts_script().replace("timeout 3 hostname -f", "true")
    assert script != facts_script()
    out = subprocess.run(["sh"], input=script, text=True, capture_output=True, timeout=60)
    facts = parse_facts(out.stdout)
    assert facts.kernel
    assert facts.cpus >= 1
    assert facts.memory_mib > 0
    assert facts.clock_offset_s == 0.0


def test_facts_script_asks_every_managed_component() -> None:
    script = facts_script()
    for name in VERSION_COMMANDS:
        assert f"@@version:{name}" in script


def test_split_sections_ignores_text_before_first_marker() -> None:
    assert split_sections("motd\n@@a\n1\n2\n@@b\n") == {"a": "1\n2", "b": ""}


@pytest.mark.parametrize(
    ("os_id", "id_like", "family"),
    [
        ("debian", "", "debian"),
        ("linuxmint", "ubuntu debian", "debian"),
        ("openEuler", "", "rhel"),
        ("kylin", "", "rhel"),
        ("somefork", "rhel fedora", "rhel"),
        ("sles", "suse", "suse"),
        ("gentoo", "", "unknown"),
    ],
    ids=["debian", "mint", "openeuler", "kylin", "id-like", "sles", "unknown"],
)
def test_os_family_from_id_then_id_like(os_id: str, id_like: str, family: str) -> None:
    assert os_family(os_id, id_like) == family


def test_empty_output_gives_neutral_facts() -> None:
    facts = parse_facts("")
    assert facts == Facts()
    assert facts.version("etcd") is None


def test_version_lookup() -> None:
    facts = dataclasses.replace(Facts(), versions={"etcd": "3.5.9"})
    assert facts.version("etcd") == "3.5.9"


def test_unknown_cgroup_and_init_are_neutral() -> None:
    facts = parse_facts("@@cgroup\nsysfs\n@@init\nbash\n@@pkg\n")
    assert (facts.cgroup_version, facts.init_system, facts.package_manager) == (
        0,
        "unknown",
        "none",
    )


def test_sysvinit_and_unknown_os_probe_package_managers_in_order() -> None:
    facts = parse_facts("@@init\ninit\n@@pkg\nyum\napt-get\n")
    assert facts.init_system == "sysvinit"
    assert facts.package_manager == "apt"


@pytest.mark.parametrize(
    ("clock", "offset"),
    [("105.250", 5.25), ("105.N", 5.0), ("garbage", 0.0), ("", 0.0)],
    ids=["nanoseconds", "busybox", "garbage", "missing"],
)
def test_clock_offset_is_host_minus_control_clock(clock: str, offset: float) -> None:
    assert parse_facts(f"@@clock\n{clock}\n", received_at=100.0).clock_offset_s == offset

"""Lab naming, paths and the state file."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from kubexm.errors import LabError
from kubexm.lab.layout import (
    LabHost,
    LabState,
    Paths,
    host_address,
    host_name,
    lab_lock,
    load_state,
    save_state,
    veth_name,
    veth_of,
    write_private,
)


def sample_state() -> LabState:
    hosts = [
        LabHost(host_name(i), host_address(i), 22, "/k/id", "kxadmin", "s3cret") for i in (1, 2)
    ]
    return LabState("bookworm", hosts, created_bridge=True)


@pytest.mark.parametrize(
    ("index", "name", "address", "veth"),
    [(1, "kxnode1", "10.77.0.11", "kxv1"), (12, "kxnode12", "10.77.0.22", "kxv12")],
    ids=["first", "twelfth"],
)
def test_host_index_maps_to_name_address_and_veth(
    index: int, name: str, address: str, veth: str
) -> None:
    assert (host_name(index), host_address(index), veth_name(index)) == (name, address, veth)


def test_veth_names_fit_the_kernel_limit() -> None:
    assert len(veth_name(50)) <= 15


def test_paths_live_under_the_root(tmp_path: Path) -> None:
    paths = Paths(tmp_path)

    assert paths.state_file == tmp_path / "state.json"
    assert paths.host_dir("kxnode1") == tmp_path / "hosts" / "kxnode1"
    assert paths.template_rootfs("trixie") == tmp_path / "templates" / "trixie" / "rootfs"
    assert paths.private_key.parent == paths.password_file.parent == tmp_path / "secrets"


def test_state_round_trips_through_json() -> None:
    state = sample_state()

    assert LabState.from_json(state.to_json()) == state


def test_host_repr_hides_the_password() -> None:
    assert "s3cret" not in repr(sample_state().hosts[0])


def test_state_finds_hosts_by_name() -> None:
    assert sample_state().host("kxnode2").address == "10.77.0.12"


def test_unknown_host_names_the_known_ones() -> None:
    with pytest.raises(LabError, match="kxnode1, kxnode2"):
        sample_state().host("kxnode9")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("{not json", "not JSON"),
        (json.dumps({"version": 99, "hosts": []}), "another kubexm version"),
        (json.dumps([1, 2]), "another kubexm version"),
        (json.dumps({"version": 1, "os_name": "bookworm"}), "unreadable"),
        (json.dumps({"version": 1, "os_name": "x", "hosts": [{"bad": 1}]}), "unreadable"),
    ],
    ids=["not-json", "other-version", "not-an-object", "no-hosts", "bad-host"],
)
def test_corrupt_state_is_a_lab_error_with_a_hint(text: str, match: str) -> None:
    with pytest.raises(LabError, match=match) as caught:
        LabState.from_json(text)
    assert "lab down" in caught.value.hint


def test_saved_state_is_private_and_loads_back(tmp_path: Path) -> None:
    paths = Paths(tmp_path)

    save_state(paths, sample_state())

    assert stat.S_IMODE(paths.state_file.stat().st_mode) == 0o600
    assert load_state(paths) == sample_state()


def test_load_state_is_none_without_a_lab(tmp_path: Path) -> None:
    assert load_state(Paths(tmp_path)) is None


def test_write_private_replaces_content_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "secret"

    write_private(target, "one")
    write_private(target, "two")

    assert target.read_text() == "two"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["secret"]


def test_lab_lock_serialises_holders(tmp_path: Path) -> None:
    paths = Paths(tmp_path)

    # a second holder (another open file description) cannot get it meanwhile
    with (
        lab_lock(paths),
        pytest.raises(LabError, match="held") as caught,
        lab_lock(paths, timeout=0.3),
    ):
        pytest.fail("got the lock twice")
    with lab_lock(paths, timeout=0.3):
        assert paths.lock_file.exists()
    assert "wait" in caught.value.hint


@pytest.mark.parametrize(
    ("name", "veth"),
    [("kxnode3", "kxv3"), ("kxnode12", "kxv12"), ("other", None), ("kxnode", None)],
)
def test_veth_of_maps_host_names_back_to_their_veth(name: str, veth: str | None) -> None:
    assert veth_of(name) == veth

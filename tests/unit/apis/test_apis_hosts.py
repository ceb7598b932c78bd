import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from kubexm.apis.v1alpha1.hosts import GlobalSpec, Host, RoleGroups


def test_host_defaults_and_internal_address() -> None:
    host = Host.model_validate({"name": "n1", "address": "10.0.0.1"})
    assert (host.arch, host.type, host.port) == ("amd64", "ssh", None)
    assert host.internal_addresses == ["10.0.0.1"]
    dual = Host.model_validate(
        {"name": "n1", "address": "n1.lan", "internalAddress": "10.0.0.1,fd00::1"}
    )
    assert dual.internal_addresses == ["10.0.0.1", "fd00::1"]
    assert dual.internal_ip == "10.0.0.1"


def test_host_arch_aliases_are_normalised() -> None:
    assert Host.model_validate({"name": "n", "address": "n.lan", "arch": "aarch64"}).arch == "arm64"


@given(st.ip_addresses(v=4))
def test_any_non_loopback_ipv4_is_a_valid_address(ip: ipaddress.IPv4Address) -> None:
    data = {"name": "n", "address": str(ip)}
    if ip.is_loopback:
        with pytest.raises(ValidationError):
            Host.model_validate(data)
    else:
        assert Host.model_validate(data).address == str(ip)


def test_global_parses_durations() -> None:
    assert GlobalSpec.model_validate({"connectionTimeout": "1m30s"}).connection_timeout == 90
    assert GlobalSpec.model_validate({}).connection_timeout == 10
    with pytest.raises(ValidationError):
        GlobalSpec.model_validate({"connectionTimeout": "-5s"})


def test_role_groups_expand_ranges_and_drop_repeats() -> None:
    groups = RoleGroups.model_validate({"worker": ["node[01:03]", "node02", "x"]})
    assert groups.worker == ["node01", "node02", "node03", "x"]
    assert groups.members("worker") == groups.worker


def test_role_groups_members_rejects_unknown_role() -> None:
    with pytest.raises(KeyError):
        RoleGroups().members("boss")


def test_secret_fields_hide_their_values() -> None:
    host = Host.model_validate({"name": "n", "address": "n.lan", "password": "pw-123456"})
    assert "pw-123456" not in repr(host)
    assert host.password is not None
    assert host.password.get_secret_value() == "pw-123456"

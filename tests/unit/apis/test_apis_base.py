import pytest
from pydantic import ValidationError

from kubexm.apis.v1alpha1 import base


class Sample(base.KxModel):
    some_key: int = 1
    other: str | None = None


def test_keys_are_camel_case_and_unknown_keys_fail() -> None:
    assert Sample.model_validate({"someKey": 3}).some_key == 3
    with pytest.raises(ValidationError) as err:
        Sample.model_validate({"some_key": 3})
    assert err.value.errors()[0]["type"] == "extra_forbidden"


def test_null_means_not_set() -> None:
    assert Sample.model_validate({"someKey": None, "other": None}).some_key == 1


def test_an_unknown_key_with_a_null_value_still_fails() -> None:
    with pytest.raises(ValidationError) as err:
        Sample.model_validate({"someKey": 3, "sumKey": None})
    assert err.value.errors()[0]["type"] == "extra_forbidden"


def test_normalise_maps_only_strings() -> None:
    assert base.normalise("crio", {"crio": "cri-o"}) == "cri-o"
    assert base.normalise(3, {"crio": "cri-o"}) == 3


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        pytest.param("lb.kubexm.local", True, id="fqdn"),
        pytest.param("node1", True, id="short"),
        pytest.param("bad_name.local", False, id="underscore"),
        pytest.param("10.0.0.1", False, id="ip"),
        pytest.param("", False, id="empty"),
        pytest.param("-x.local", False, id="leading-hyphen"),
    ],
)
def test_is_domain(text: str, ok: bool) -> None:
    assert base.is_domain(text) is ok


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        pytest.param(base.check_domain, "a.b", "a b", id="domain"),
        pytest.param(base.check_ip, "10.0.0.1", "10.0.0", id="ip"),
        pytest.param(base.check_address, "node1.example.com", "localhost", id="address"),
        pytest.param(base.check_ip_list, "10.0.0.1,fd00::1", "10.0.0.1,10.0.0.2", id="ip-list"),
        pytest.param(base.check_cidrs, "10.0.0.0/8", "10.0.0.1/8", id="cidrs"),
        pytest.param(base.check_host_port, "harbor.local:5000", "harbor.local:99999", id="hp"),
        pytest.param(base.check_url, "https://m.local", "m.local", id="url"),
        pytest.param(base.check_abs_path, "/var/lib", "var/lib", id="abs-path"),
    ],
)
def test_checks_accept_good_and_reject_bad_values(check: object, good: str, bad: str) -> None:
    assert callable(check)
    assert check(good)
    with pytest.raises(ValueError, match="; "):
        check(bad)


def test_check_ip_list_rejects_loopback_and_normalises_spaces() -> None:
    assert base.check_ip_list(" 10.0.0.1 , fd00::1 ") == "10.0.0.1,fd00::1"
    with pytest.raises(ValueError, match="loopback"):
        base.check_ip_list("127.0.0.1")
    with pytest.raises(ValueError):
        base.check_ip_list(" , ")

import pytest
from pydantic import ValidationError

from kubexm.apis.v1alpha1.extra import CertsSpec, ExtraSpec


def test_certs_default_to_ten_years_and_one_year() -> None:
    certs = CertsSpec.model_validate({})
    assert (certs.ca_duration, certs.cert_duration) == ("87600h", "8760h")
    assert CertsSpec.model_validate({"CADuration": "43800h"}).ca_duration == "43800h"


@pytest.mark.parametrize("bad", ["0s", "ten years"])
def test_certs_reject_bad_durations(bad: str) -> None:
    with pytest.raises(ValidationError):
        CertsSpec.model_validate({"certDuration": bad})


def test_extra_hosts_need_an_ip_and_a_name() -> None:
    spec = ExtraSpec.model_validate({"hosts": [{"ip": "10.0.0.5", "hostnames": ["git"]}]})
    assert spec.hosts[0].hostnames == ["git"]
    with pytest.raises(ValidationError):
        ExtraSpec.model_validate({"hosts": [{"ip": "10.0.0.5", "hostnames": []}]})

from typing import Any

import pytest
from pydantic import ValidationError

from kubexm.apis.v1alpha1 import Cluster
from kubexm.apis.v1alpha1.base import keys_of
from kubexm.apis.v1alpha1.endpoint import ControlPlaneEndpoint
from kubexm.config.problems import canonical_keys, locate, problems_from


def problems(spec: dict[str, Any]) -> list[str]:
    data = {"metadata": {"name": "p"}, "spec": spec}
    with pytest.raises(ValidationError) as err:
        Cluster.model_validate(data)
    return [str(p) for p in problems_from(err.value)]


def test_locate_drops_union_tags_and_formats_indexes() -> None:
    loc = ("spec", "kubernetes", "containerRuntime", "docker", "docker", "dataRoot")
    assert locate(loc).path == "spec.kubernetes.containerRuntime.docker.dataRoot"
    assert locate(("spec", "hosts", 3, "address")).path == "spec.hosts[3].address"


def test_unknown_key_gets_a_suggestion() -> None:
    found = problems({"hosts": [{"name": "a", "adress": "10.0.0.1"}]})
    assert "spec.hosts[0].adress: unknown key 'adress' (hint: did you mean 'address'?)" in found


def test_unknown_key_without_a_close_match_lists_canonical_keys() -> None:
    found = problems({"controlPlaneEndpoint": {"zzz": 1}})
    assert any("known keys: address, domain" in text for text in found)
    assert not any("lb_address" in text for text in found)


def test_block_of_another_variant_is_named_as_such() -> None:
    found = problems({"etcd": {"type": "kubeadm", "external": {"endpoints": ["x"]}}})
    assert any(
        "spec.etcd.external: 'external' does not apply to type 'kubeadm'" in t for t in found
    )


def test_bad_discriminator_points_at_the_type_key() -> None:
    found = problems({"network": {"plugin": "calcio"}})
    assert any(t.startswith("spec.network.plugin: unknown type 'calcio'") for t in found)
    assert any("did you mean 'calico'" in t for t in found)


def test_value_errors_split_message_and_hint() -> None:
    found = problems({"network": {"kubePodsCIDR": "10.244.0.1/16"}})
    assert any("has host bits set (hint: did you mean 10.244.0.0/16?)" in t for t in found)


def test_keys_of_includes_old_spellings_and_canonical_keys_does_not() -> None:
    assert {"address", "lb_address"} <= set(keys_of(ControlPlaneEndpoint))
    assert "lb_address" not in canonical_keys(ControlPlaneEndpoint)
    assert "internalLoadbalancer" in canonical_keys(ControlPlaneEndpoint)

import pytest
from pydantic import TypeAdapter, ValidationError

from kubexm.apis.v1alpha1 import etcd

ADAPTER: TypeAdapter[etcd.EtcdSpec] = TypeAdapter(etcd.EtcdSpec)


def test_default_is_kubexm_with_tuning_defaults() -> None:
    value = ADAPTER.validate_python({})
    assert isinstance(value, etcd.KubexmEtcd)
    assert value.cluster.client_port == 2379
    assert value.performance.quota_backend_bytes == 2 * 1024**3
    assert etcd.default_etcd().type == "kubexm"


def test_exists_is_an_alias_of_external() -> None:
    value = ADAPTER.validate_python(
        {"type": "exists", "external": {"endpoints": ["https://e:2379"]}}
    )
    assert isinstance(value, etcd.ExternalEtcd)
    assert value.type == "external"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"type": "external"}, id="no-external-block"),
        pytest.param({"type": "external", "external": {"endpoints": []}}, id="no-endpoints"),
        pytest.param({"type": "kubeadm", "cluster": {}}, id="cluster-with-kubeadm"),
        pytest.param({"performance": {"snapshotCount": 0}}, id="zero-snapshot-count"),
    ],
)
def test_invalid_etcd_sections_are_rejected(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ADAPTER.validate_python(data)


def test_etcd_tag_defaults_to_kubexm() -> None:
    assert etcd.etcd_tag({}) == "kubexm"
    assert etcd.etcd_tag(etcd.KubeadmEtcd(type="kubeadm")) == "kubeadm"

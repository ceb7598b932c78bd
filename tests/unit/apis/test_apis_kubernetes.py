import pytest
from pydantic import ValidationError

from kubexm.apis.v1alpha1.kubernetes import Kubelet, KubeProxy, KubernetesSpec


def test_defaults_follow_the_architecture_decisions() -> None:
    spec = KubernetesSpec.model_validate({})
    assert spec.type == "kubeadm"
    assert spec.version == "v1.36.4"
    assert spec.dns_domain == "cluster.local"
    assert spec.container_runtime.type == "containerd"
    assert spec.api_server.auto_renew_certs is True
    assert spec.kube_proxy.mode == "ipvs"


@pytest.mark.parametrize(
    ("given", "normalised"),
    [pytest.param("1.35.8", "v1.35.8", id="no-v"), pytest.param("v1.34.11", "v1.34.11", id="v")],
)
def test_version_is_normalised_with_a_v(given: str, normalised: str) -> None:
    assert KubernetesSpec.model_validate({"version": given}).version == normalised


@pytest.mark.parametrize("bad", ["1.36", "latest", "v1"])
def test_version_needs_major_minor_patch(bad: str) -> None:
    with pytest.raises(ValidationError):
        KubernetesSpec.model_validate({"version": bad})


def test_disabled_kube_proxy_gets_no_default_mode() -> None:
    assert KubeProxy.model_validate({"enable": False}).mode is None


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"evictionHard": {"memory.available": "120%"}}, id="percent"),
        pytest.param({"kubeReserved": {"cpu": " "}}, id="empty-reserved"),
        pytest.param({"podPidsLimit": -2}, id="pids"),
        pytest.param({"containerLogMaxFiles": 0}, id="log-files"),
    ],
)
def test_kubelet_rejects_bad_values(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Kubelet.model_validate(data)


def test_extra_args_accept_scalars_as_text() -> None:
    spec = KubernetesSpec.model_validate({"apiServer": {"extraArgs": {"v": 2, "profiling": False}}})
    assert spec.api_server.extra_args == {"v": "2", "profiling": "false"}


def test_service_node_port_range_is_checked() -> None:
    with pytest.raises(ValidationError):
        KubernetesSpec.model_validate({"apiServer": {"serviceNodePortRange": "30000"}})

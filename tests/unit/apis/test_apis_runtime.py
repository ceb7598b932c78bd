import pytest
from pydantic import TypeAdapter, ValidationError

from kubexm.apis.v1alpha1 import runtime as rt

ADAPTER: TypeAdapter[rt.ContainerRuntime] = TypeAdapter(rt.ContainerRuntime)


@pytest.mark.parametrize(
    ("given", "model", "canonical"),
    [
        pytest.param({}, rt.ContainerdRuntime, "containerd", id="default"),
        pytest.param({"type": "docker"}, rt.DockerRuntime, "docker", id="docker"),
        pytest.param({"type": "crio"}, rt.CrioRuntime, "cri-o", id="crio-alias"),
        pytest.param({"type": "isulad"}, rt.IsulaRuntime, "isula", id="isulad-alias"),
    ],
)
def test_union_picks_the_variant_by_type(
    given: dict[str, str], model: type, canonical: str
) -> None:
    value = ADAPTER.validate_python(given)
    assert isinstance(value, model)
    assert value.type == canonical


def test_a_block_of_another_runtime_is_rejected() -> None:
    with pytest.raises(ValidationError):
        ADAPTER.validate_python({"type": "containerd", "docker": {}})


def test_containerd_cgroup_driver_accepts_the_old_key_and_bools() -> None:
    cfg = rt.ContainerdConfig.model_validate({"cgroupDriver": "cgroupfs"})
    assert cfg.cgroup_driver == "cgroupfs"
    assert rt.ContainerdConfig.model_validate({"useSystemdCgroup": True}).cgroup_driver == "systemd"


def test_isulad_keys_are_kebab_case() -> None:
    cfg = rt.IsulaConfig.model_validate({"data-root": "/data/isulad", "cgroupManager": "cgroupfs"})
    assert (cfg.data_root, cfg.cgroup_manager) == ("/data/isulad", "cgroupfs")


def test_runtime_tag_reads_models_and_dicts() -> None:
    assert rt.runtime_tag({"type": "crio"}) == "cri-o"
    assert rt.runtime_tag(rt.default_runtime()) == "containerd"


def test_docker_rejects_tmp_data_root() -> None:
    with pytest.raises(ValidationError):
        rt.DockerConfig.model_validate({"dataRoot": "/var/tmp/"})

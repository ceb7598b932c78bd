import pytest
from pydantic import ValidationError

from kubexm.apis.v1alpha1.system import PreflightSpec, SystemSpec


def test_sysctl_values_may_be_numbers() -> None:
    spec = SystemSpec.model_validate({"sysctlParams": {"net.ipv4.ip_forward": 1}})
    assert spec.sysctl_params == {"net.ipv4.ip_forward": "1"}


def test_sysctl_keys_are_checked() -> None:
    with pytest.raises(ValidationError):
        SystemSpec.model_validate({"sysctlParams": {"Net.IPv4": "1"}})


def test_old_script_keys_are_accepted() -> None:
    spec = SystemSpec.model_validate({"preInstallScripts": ["echo hi"]})
    assert spec.pre_install == ["echo hi"]


def test_preflight_defaults_and_skip_names() -> None:
    spec = PreflightSpec.model_validate({"skipChecks": ["swap"]})
    assert (spec.min_cpu_cores, spec.min_memory_mb, spec.skip_checks) == (2, 2048, ["swap"])
    with pytest.raises(ValidationError):
        PreflightSpec.model_validate({"minCPUCores": 0})

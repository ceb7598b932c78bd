import pytest

from kubexm.common import types as t


@pytest.mark.parametrize(
    ("value", "aliases", "expected"),
    [
        pytest.param("exists", t.ETCD_ALIASES, "external", id="etcd-exists"),
        pytest.param("isulad", t.RUNTIME_ALIASES, "isula", id="isulad"),
        pytest.param("crio", t.RUNTIME_ALIASES, "cri-o", id="crio"),
        pytest.param("kubexm_kh", t.EXTERNAL_LB_ALIASES, "kubexm-kh", id="kh-underscore"),
        pytest.param("kubexm_kn", t.EXTERNAL_LB_ALIASES, "kubexm-kn", id="kn-underscore"),
        pytest.param("exists", t.EXTERNAL_LB_ALIASES, "external", id="lb-exists"),
        pytest.param("x86_64", t.ARCH_ALIASES, "amd64", id="arch"),
    ],
)
def test_canonical_maps_old_spellings(value: str, aliases: dict[str, str], expected: str) -> None:
    assert t.canonical(value, aliases) == expected


def test_canonical_keeps_unknown_values() -> None:
    assert t.canonical("containerd", t.RUNTIME_ALIASES) == "containerd"


def test_every_alias_targets_a_known_value() -> None:
    pairs = [
        (t.ETCD_ALIASES, t.ETCD_TYPES),
        (t.RUNTIME_ALIASES, t.RUNTIME_TYPES),
        (t.CNI_ALIASES, t.CNI_PLUGINS),
        (t.EXTERNAL_LB_ALIASES, t.EXTERNAL_LB_TYPES),
        (t.INTERNAL_LB_ALIASES, t.INTERNAL_LB_TYPES),
    ]
    for aliases, values in pairs:
        assert set(aliases.values()) <= set(values)


def test_every_runtime_and_cni_has_a_block_key() -> None:
    assert set(t.RUNTIME_BLOCK_KEYS) == set(t.RUNTIME_TYPES)
    assert set(t.CNI_BLOCK_KEYS) == set(t.CNI_PLUGINS)


def test_lb_kind_groups_are_subsets_of_the_kinds() -> None:
    groups = (t.LB_KINDS_WITH_VIP, t.LB_KINDS_ON_LB_HOSTS, t.LB_KINDS_WORKER_LOCAL)
    for group in groups:
        assert set(group) <= set(t.LB_KINDS)

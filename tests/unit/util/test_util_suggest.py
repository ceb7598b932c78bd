from __future__ import annotations

import pytest

from kubexm.util.suggest import did_you_mean

KEYS = ["controlPlaneEndpoint", "kubernetes", "etcd", "network", "hosts"]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        pytest.param("kuberntes", "kubernetes", id="typo"),
        pytest.param("controlplaneendpoint", "controlPlaneEndpoint", id="case-insensitive"),
        pytest.param("host", "hosts", id="missing-letter"),
        pytest.param("zzzzzz", None, id="nothing-close"),
    ],
)
def test_did_you_mean_finds_closest_candidate(word: str, expected: str | None) -> None:
    assert did_you_mean(word, KEYS) == expected


def test_did_you_mean_returns_none_without_candidates() -> None:
    assert did_you_mean("etcd", []) is None


def test_did_you_mean_accepts_any_iterable() -> None:
    assert did_you_mean("netwrk", iter(KEYS)) == "network"

"""The load-balancer program table: validation commands and config modes."""

from __future__ import annotations

import pytest

from kubexm.step.lb.tools import STREAM_MODULES, TOOLS


@pytest.mark.parametrize("name", sorted(TOOLS), ids=sorted(TOOLS))
def test_every_tool_validates_a_candidate_path_given_to_it(name: str) -> None:
    tool = TOOLS[name]
    assert tool.service == name
    assert tool.check.format(path="/x/cand").endswith("/x/cand")


def test_only_keepalived_config_is_root_only() -> None:
    assert {name: oct(t.mode) for name, t in TOOLS.items()} == {
        "haproxy": "0o644", "nginx": "0o644", "keepalived": "0o600"
    }  # fmt: skip


def test_stream_module_paths_for_both_families() -> None:
    assert set(STREAM_MODULES) == {"debian", "rhel"}
    assert all(p.endswith("ngx_stream_module.so") for p in STREAM_MODULES.values())

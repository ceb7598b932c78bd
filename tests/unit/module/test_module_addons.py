"""AddonsModule: nothing without enabled add-ons; helm and sources on the first master."""

from __future__ import annotations

from pathlib import Path

from cluster_kit import Ctx, cluster

from kubexm.module.addons import AddonsModule
from kubexm.module.base import MODULES


def test_plans_nothing_without_enabled_addons(tmp_path: Path) -> None:
    assert AddonsModule().plan(Ctx(cluster(), tmp_path)) is None
    assert MODULES.get("addons") is AddonsModule


def test_plans_a_yaml_addon_on_the_first_master(tmp_path: Path) -> None:
    manifest = tmp_path / "a.yaml"
    manifest.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    c = cluster(
        "  addons:\n    - name: demo\n      enabled: true\n"
        f"      sources: [{{yaml: {{path: [{manifest}]}}}}]\n"
    )

    frag = AddonsModule().plan(Ctx(c, tmp_path))

    assert frag is not None
    assert [(n.id, n.host) for n in frag] == [("addons/demo-0@m1", "m1")]

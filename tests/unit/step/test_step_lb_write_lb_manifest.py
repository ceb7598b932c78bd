"""WriteLbManifest: config file then manifest, written once."""

from __future__ import annotations

from lb_step_helpers import Ctx, converge

from kubexm.step.lb.write_lb_manifest import WriteLbManifest

CONFIG = "/etc/kubexm/haproxy/haproxy.cfg"
MANIFEST = "/etc/kubernetes/manifests/kubexm-haproxy.yaml"


async def test_write_lb_manifest_writes_the_config_before_the_manifest() -> None:
    ctx = Ctx()
    step = WriteLbManifest(((CONFIG, "cfg\n"), (MANIFEST, "kind: Pod\n")))

    await converge(step, ctx)

    assert [p.remote for p in ctx.conn.puts] == [CONFIG, MANIFEST]
    assert ctx.conn.text(MANIFEST) == "kind: Pod\n"


async def test_write_lb_manifest_rewrites_only_what_changed() -> None:
    ctx = Ctx()
    await WriteLbManifest(((CONFIG, "cfg\n"), (MANIFEST, "kind: Pod\n"))).run(ctx)
    changed = WriteLbManifest(((CONFIG, "cfg2\n"), (MANIFEST, "kind: Pod\n")))

    await converge(changed, ctx)
    assert [p.remote for p in ctx.conn.puts] == [CONFIG, MANIFEST, CONFIG]

"""EtcdModule: stages linked across members for kubexm etcd, nothing for kubeadm."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.config import load_text
from kubexm.module import MODULES
from kubexm.module.etcd import EtcdModule
from kubexm.runtime.workdir import WorkDir

HEAD = """\
apiVersion: kubexm.io/v1alpha1
kind: Cluster
metadata: {name: demo}
spec:
  global: {user: ops, privateKeyPath: /keys/id}
  hosts:
    - {name: m1, address: 10.0.0.11}
    - {name: e1, address: 10.0.0.21}
    - {name: e2, address: 10.0.0.22}
  roleGroups:
    master: [m1]
    etcd: [e1, e2]
    worker: [e2]
  kubernetes: {type: kubeadm, version: v1.36.4}
"""


@dataclass
class Ctx:
    config: Cluster
    work_dir: WorkDir

    def hosts_with_role(self, role: str) -> Sequence[str]:
        return [h.name for h in self.config.hosts_in_role(role)]

    def facts(self, host: str) -> Mapping[str, object]:
        return {}


def ctx_for(etcd: str, tmp_path: Path) -> Ctx:
    work = WorkDir(tmp_path / "demo")
    tarball = work.artifacts / "etcd/3.5.33/amd64/etcd-v3.5.33-linux-amd64.tar.gz"
    tarball.parent.mkdir(parents=True)
    tarball.write_bytes(b"tgz")
    return Ctx(load_text(HEAD + f"  etcd: {etcd}\n", source="t.yaml").cluster, work)


def test_kubexm_etcd_starts_only_after_every_member_decided_to_join(tmp_path: Path) -> None:
    fragment = EtcdModule().plan(ctx_for("{type: kubexm, version: 3.5.33}", tmp_path))

    assert fragment is not None
    start = fragment.nodes["etcd/start-etcd@e1"]
    assert set(start.deps) == {"etcd/join-etcd-member@e1", "etcd/join-etcd-member@e2"}
    wait = fragment.nodes["etcd/wait-etcd-healthy@e2"]
    assert set(wait.deps) == {"etcd/start-etcd@e1", "etcd/start-etcd@e2"}
    join = fragment.nodes["etcd/join-etcd-member@e2"]
    assert "etcd/write-etcd-config@e1" in join.deps
    assert fragment.hosts() == ["e1", "e2"]
    assert len(fragment) == 14


def test_kubeadm_etcd_plans_no_step(tmp_path: Path) -> None:
    assert EtcdModule().plan(ctx_for("{type: kubeadm}", tmp_path)) is None


def test_external_etcd_plans_a_check_per_master(tmp_path: Path) -> None:
    etcd = "{type: external, external: {endpoints: [http://10.9.9.9:2379]}}"
    fragment = EtcdModule().plan(ctx_for(etcd, tmp_path))
    assert fragment is not None
    assert [n.id for n in fragment] == ["etcd/check-external-etcd@m1"]


def test_module_is_registered_as_etcd() -> None:
    assert MODULES.get("etcd") is EtcdModule

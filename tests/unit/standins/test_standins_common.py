"""Shared stand-in code: flag tables and parsing, the minimal YAML reader, certificate and
kubeconfig checks (``tests/e2e/standins/common.py``, loaded as a module).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from standin_kit import Pki, load_common

common = load_common()


def parse(*argv: str, component: str = "kube-apiserver", version: str = "v1.36.4") -> Any:
    return common.parse_flags(component, version, list(argv))


def test_flags_in_every_pflag_spelling() -> None:
    flags = parse("--secure-port=6443", "--bind-address", "0.0.0.0", "--allow-privileged", "-v=2")
    assert flags == {"secure-port": "6443", "bind-address": "0.0.0.0", "allow-privileged": "true",
                     "v": "2"}  # fmt: skip
    assert parse("--anonymous-auth=false")["anonymous-auth"] == "false"
    assert common.flag_true(parse("--anonymous-auth=false"), "anonymous-auth", True) is False


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--insecure-port=0"], "Error: unknown flag: --insecure-port\n", id="removed"),
        pytest.param(["--log-dir=/x"], "Error: unknown flag: --log-dir\n", id="klog"),
        pytest.param(
            ["--etcd-servers"], "Error: flag needs an argument: --etcd-servers\n", id="arg"
        ),
        pytest.param(["extra"], 'Error: "kube-apiserver" does not take any arguments', id="pos"),
    ],
)
def test_unknown_flags_exit_1_like_cobra(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse(*argv)
    assert exited.value.code == 1
    assert capsys.readouterr().err.startswith(message)


def test_version_and_minor_tables(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parse("--version")
    assert (exited.value.code, capsys.readouterr().out) == (0, "Kubernetes v1.36.4\n")
    assert common.minor_of("v1.36.4") == (1, 36)
    assert common.minor_of("v1.20.0") == common.BASE_MINOR
    assert common.minor_of("v1.40.0") == common.NEWEST_MINOR
    for component in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"):
        known = common.known_flags(component, "v1.33.0")
        assert {"v", "feature-gates", "version"} <= known
        assert not {"logtostderr", "insecure-port", "port", "address"} & known


KUBECONFIG_YAML = """apiVersion: v1
kind: Config
clusters:
  - name: c   # trailing comment
    cluster:
      server: "https://10.0.0.1:6443"
      insecure-skip-tls-verify: false
contexts:
- name: x@c
  context: {cluster: c, user: 'x'}
current-context: x@c
preferences: {}
users:
  - name: x
    user:
      token: abc
script: |
  line one
  line two
empty:
list: [a, "b", 3]
"""


def test_yaml_reader_reads_what_kubexm_writes() -> None:
    data = common.load_yaml(KUBECONFIG_YAML)
    cluster = {"server": "https://10.0.0.1:6443", "insecure-skip-tls-verify": False}
    assert data["clusters"][0] == {"name": "c", "cluster": cluster}
    assert data["contexts"] == [{"name": "x@c", "context": {"cluster": "c", "user": "x"}}]
    assert data["preferences"] == {} and data["empty"] is None
    assert data["script"] == "line one\nline two\n"
    assert data["list"] == ["a", "b", 3]
    assert data["users"][0]["user"]["token"] == "abc"
    docs = common.load_yaml_documents("a: 1\n---\nb: [x]\n")
    assert docs == [{"a": 1}, {"b": ["x"]}]
    assert common.load_yaml('{"json": [1, 2]}') == {"json": [1, 2]}
    with pytest.raises(common.YamlError):
        common.load_yaml("a: 1\nnot a mapping line\n")


def test_certificate_checks_against_kubexm_pki(pki: Pki) -> None:
    read = lambda name: Path(pki.path(name)).read_bytes()  # noqa: E731
    assert common.cert_problem(read("apiserver-etcd-client.crt"), read("etcd/ca.crt")) is None
    wrong = common.cert_problem(read("apiserver-etcd-client.crt"), read("ca.crt"))
    assert wrong is not None and wrong.startswith("does not chain to the CA")
    assert common.key_problem(read("apiserver.key"), read("apiserver.crt")) is None
    assert common.key_problem(read("sa.key"), read("apiserver.crt")) is not None
    assert common.cert_problem(b"junk") == "not a PEM certificate"


def test_kubeconfig_checks(pki: Pki, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = pki.kubeconfig("admin.conf", "https://127.0.0.1:6443", tmp_path / "admin.conf")
    config = common.load_kubeconfig("kubeconfig", str(good))
    assert config.server == "https://127.0.0.1:6443" and config.cert and config.key
    foreign_ca = base64.b64encode(Path(pki.path("front-proxy-ca.crt")).read_bytes()).decode()
    text = good.read_text()
    start = text.index("certificate-authority-data: ") + len("certificate-authority-data: ")
    end = text.index("\n", start)
    bad = tmp_path / "bad.conf"
    bad.write_text(text[:start] + foreign_ca + text[end:])
    with pytest.raises(SystemExit):
        common.load_kubeconfig("kubeconfig", str(bad))
    assert "client-certificate does not chain to the CA" in capsys.readouterr().err

from kubexm.common import paths


def test_remote_paths_are_absolute() -> None:
    remote = [
        v
        for k, v in vars(paths).items()
        if k.isupper() and isinstance(v, str) and v.startswith("/")
    ]
    assert len(remote) > 30
    assert all("//" not in path for path in remote)


def test_etcd_certificates_live_under_the_kubernetes_pki() -> None:
    assert paths.ETCD_PKI.startswith(paths.KUBERNETES_PKI + "/")


def test_sockets_are_unix_urls() -> None:
    sockets = [paths.CONTAINERD_SOCKET, paths.DOCKER_SOCKET, paths.CRIO_SOCKET]
    assert all(s.startswith("unix:///") for s in [*sockets, paths.ISULAD_SOCKET])

from kubexm.common import images


def test_every_image_repository_names_a_registry_host() -> None:
    repos = [v for k, v in vars(images).items() if k.isupper() and isinstance(v, str)]
    hosts = {images.REGISTRY_K8S, images.REGISTRY_DOCKER_HUB, images.REGISTRY_QUAY}
    hosts |= {images.REGISTRY_GHCR, images.REGISTRY_CN}
    for repo in repos:
        if repo == images.NAMESPACE_OVERRIDE_CN:
            continue
        assert repo.split("/")[0] in hosts, repo

"""``spec.registry``: image mirroring, registry credentials and the local registry."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, AliasChoices, Field, SecretStr

from kubexm.common import paths

from .base import KxModel, check_abs_path, check_host_port

HostPort = Annotated[str, AfterValidator(check_host_port)]


class RewriteRule(KxModel):
    """Images of ``registry`` (their own registry, e.g. ``quay.io``; every registry when
    unset) whose path starts with ``oldNamespace`` are pulled from the private registry
    under ``newNamespace`` instead."""

    registry: HostPort | None = None
    old_namespace: Annotated[str, Field(min_length=1)]
    new_namespace: Annotated[str, Field(min_length=1)]


class NamespaceRewrite(KxModel):
    """Per-namespace rewrites; enabled needs at least one rule."""

    enabled: bool = False
    rules: list[RewriteRule] = Field(default_factory=list)


class Mirroring(KxModel):
    """Rewrite every image to a private registry."""

    private_registry: HostPort | None = None
    namespace_override: str | None = None
    namespace_rewrite: NamespaceRewrite = Field(default_factory=NamespaceRewrite)


class RegistryAuthEntry(KxModel):
    """Credentials for one registry: username+password or a base64 ``auth``."""

    username: str | None = None
    password: SecretStr | None = None
    auth: SecretStr | None = None
    skip_tls_verify: bool = Field(default=False, alias="skipTLSVerify")
    plain_http: bool = Field(default=False, alias="plainHTTP")
    certs_path: str | None = None


class LocalRegistry(KxModel):
    """The registry deployed on the ``registry`` role host."""

    type: Literal["harbor", "registry", "docker-registry"] = "harbor"
    registry_data_dir: Annotated[str, AfterValidator(check_abs_path)] = Field(
        default=paths.HARBOR_DATA_DIR,
        validation_alias=AliasChoices("registryDataDir", "dataRoot"),
        serialization_alias="registryDataDir",
    )
    delete_data_on_clean: bool = False


class RegistrySpec(KxModel):
    """Registry settings."""

    mirroring: Mirroring = Field(default_factory=Mirroring)
    auths: dict[HostPort, RegistryAuthEntry] = Field(default_factory=dict)
    local: LocalRegistry = Field(default_factory=LocalRegistry)

"""The fields each kubeadm config API version accepts, as data, and one checker.

There is no kubernetes-validate on the control machine, and kubeadm itself rejects an unknown
field only at ``kubeadm init`` time on the host. So every document kubexm renders is checked
here first against the field table of its ``apiVersion``/``kind``: a field the version does not
know (or no longer knows) is a kubexm bug caught before anything is written.

Sources: the kubeadm config API references, https://kubernetes.io/docs/reference/config-api/
(kubeadm-config.v1beta3, kubeadm-config.v1beta4, kubelet-config.v1beta1,
kube-proxy-config.v1alpha1). What changed from v1beta3 to v1beta4 (Kubernetes 1.31): every
``extraArgs`` became a list of ``{name, value}``; ``apiServer.timeoutForControlPlane`` and
``discovery.timeout`` moved to ``timeouts``; new ``extraEnvs``, ``dns.disabled``,
``proxy.disabled``, ``encryptionAlgorithm``, certificate validity periods, ``dryRun``,
``nodeRegistration.imagePullSerial``.

A leaf is a type name (``str``, ``int``, ``bool``, ``strs`` = list of strings, ``map`` =
string map, ``args`` = the version's extraArgs form, ``any`` = not looked into); a dict is a
nested object; a one-item list is a list of such objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

V1BETA3 = "kubeadm.k8s.io/v1beta3"
V1BETA4 = "kubeadm.k8s.io/v1beta4"
KUBELET_API = "kubelet.config.k8s.io/v1beta1"
KUBE_PROXY_API = "kubeproxy.config.k8s.io/v1alpha1"

Schema = Mapping[str, Any]

_API_ENDPOINT: Schema = {"advertiseAddress": "str", "bindPort": "int"}
_TAINT: Schema = {"key": "str", "value": "str", "effect": "str", "timeAdded": "str"}
_VOLUME: Schema = {
    "name": "str",
    "hostPath": "str",
    "mountPath": "str",
    "readOnly": "bool",
    "pathType": "str",
}
_ENV: Schema = {"name": "str", "value": "str", "valueFrom": "any"}
_TOKEN: Schema = {
    "token": "str",
    "description": "str",
    "ttl": "str",
    "expires": "str",
    "usages": "strs",
    "groups": "strs",
}
_PATCHES: Schema = {"directory": "str"}
_TIMEOUTS: Schema = {
    "controlPlaneComponentHealthCheck": "str",
    "kubeletHealthCheck": "str",
    "kubernetesAPICall": "str",
    "etcdAPICall": "str",
    "tlsBootstrap": "str",
    "discovery": "str",
    "upgradeManifests": "str",
}
_EXTERNAL_ETCD: Schema = {"endpoints": "strs", "caFile": "str", "certFile": "str", "keyFile": "str"}


def _node_registration(v4: bool) -> Schema:
    fields: dict[str, Any] = {
        "name": "str",
        "criSocket": "str",
        "taints": [_TAINT],
        "kubeletExtraArgs": "args",
        "ignorePreflightErrors": "strs",
        "imagePullPolicy": "str",
    }
    if v4:
        fields["imagePullSerial"] = "bool"
    return fields


def _component(v4: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {"extraArgs": "args", "extraVolumes": [_VOLUME]}
    if v4:
        fields["extraEnvs"] = [_ENV]
    return fields


def _cluster(v4: bool) -> Schema:
    local: dict[str, Any] = {
        "imageRepository": "str",
        "imageTag": "str",
        "dataDir": "str",
        "extraArgs": "args",
        "serverCertSANs": "strs",
        "peerCertSANs": "strs",
    }
    api_server = {**_component(v4), "certSANs": "strs"}
    fields: dict[str, Any] = {
        "etcd": {"local": local, "external": _EXTERNAL_ETCD},
        "networking": {"serviceSubnet": "str", "podSubnet": "str", "dnsDomain": "str"},
        "kubernetesVersion": "str",
        "controlPlaneEndpoint": "str",
        "apiServer": api_server,
        "controllerManager": _component(v4),
        "scheduler": _component(v4),
        "dns": {"imageRepository": "str", "imageTag": "str"},
        "certificatesDir": "str",
        "imageRepository": "str",
        "featureGates": "any",
        "clusterName": "str",
    }
    if v4:
        local["extraEnvs"] = [_ENV]
        fields["dns"]["disabled"] = "bool"
        fields["proxy"] = {"disabled": "bool"}
        fields["encryptionAlgorithm"] = "str"
        fields["certificateValidityPeriod"] = "str"
        fields["caCertificateValidityPeriod"] = "str"
    else:
        api_server["timeoutForControlPlane"] = "str"
    return fields


def _init(v4: bool) -> Schema:
    fields: dict[str, Any] = {
        "bootstrapTokens": [_TOKEN],
        "nodeRegistration": _node_registration(v4),
        "localAPIEndpoint": _API_ENDPOINT,
        "certificateKey": "str",
        "skipPhases": "strs",
        "patches": _PATCHES,
    }
    if v4:
        fields.update(dryRun="bool", timeouts=_TIMEOUTS)
    return fields


def _join(v4: bool) -> Schema:
    discovery: dict[str, Any] = {
        "bootstrapToken": {
            "token": "str",
            "apiServerEndpoint": "str",
            "caCertHashes": "strs",
            "unsafeSkipCAVerification": "bool",
        },
        "file": {"kubeConfigPath": "str"},
        "tlsBootstrapToken": "str",
    }
    fields: dict[str, Any] = {
        "nodeRegistration": _node_registration(v4),
        "caCertPath": "str",
        "discovery": discovery,
        "controlPlane": {"localAPIEndpoint": _API_ENDPOINT, "certificateKey": "str"},
        "skipPhases": "strs",
        "patches": _PATCHES,
    }
    if v4:
        fields.update(dryRun="bool", timeouts=_TIMEOUTS)
    else:
        discovery["timeout"] = "str"
    return fields


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Top-level fields of KubeletConfiguration v1beta1 (nested objects are not looked into:
#: their shape is stable across the supported minors).
KUBELET_FIELDS: frozenset[str] = _words(
    """enableServer staticPodPath podLogsDir syncFrequency fileCheckFrequency
    httpCheckFrequency staticPodURL staticPodURLHeader address port readOnlyPort tlsCertFile
    tlsPrivateKeyFile tlsCipherSuites tlsMinVersion rotateCertificates serverTLSBootstrap
    authentication authorization registryPullQPS registryBurst
    imagePullCredentialsVerificationPolicy preloadedImagesVerificationAllowlist eventRecordQPS
    eventBurst enableDebuggingHandlers enableContentionProfiling healthzPort
    healthzBindAddress oomScoreAdj clusterDomain clusterDNS streamingConnectionIdleTimeout
    nodeStatusUpdateFrequency nodeStatusReportFrequency nodeLeaseDurationSeconds
    imageMinimumGCAge imageMaximumGCAge imageGCHighThresholdPercent imageGCLowThresholdPercent
    volumeStatsAggPeriod kubeletCgroups systemCgroups cgroupRoot cgroupsPerQOS cgroupDriver
    cpuManagerPolicy singleProcessOOMKill cpuManagerPolicyOptions cpuManagerReconcilePeriod
    memoryManagerPolicy topologyManagerPolicy topologyManagerScope
    topologyManagerPolicyOptions qosReserved runtimeRequestTimeout hairpinMode maxPods podCIDR
    podPidsLimit resolvConf runOnce cpuCFSQuota cpuCFSQuotaPeriod nodeStatusMaxImages
    maxOpenFiles contentType kubeAPIQPS kubeAPIBurst serializeImagePulls
    maxParallelImagePulls evictionHard evictionSoft evictionSoftGracePeriod
    evictionPressureTransitionPeriod evictionMaxPodGracePeriod evictionMinimumReclaim
    mergeDefaultEvictionSettings podsPerCore enableControllerAttachDetach
    protectKernelDefaults makeIPTablesUtilChains iptablesMasqueradeBit iptablesDropBit
    featureGates failSwapOn memorySwap containerLogMaxSize containerLogMaxFiles
    containerLogMaxWorkers containerLogMonitorInterval configMapAndSecretChangeDetectionStrategy
    systemReserved kubeReserved reservedSystemCPUs showHiddenMetricsForVersion
    systemReservedCgroup kubeReservedCgroup enforceNodeAllocatable allowedUnsafeSysctls
    volumePluginDir providerID kernelMemcgNotification logging enableSystemLogHandler
    enableSystemLogQuery shutdownGracePeriod shutdownGracePeriodCriticalPods
    shutdownGracePeriodByPodPriority crashLoopBackOff reservedMemory enableProfilingHandler
    enableDebugFlagsHandler seccompDefault memoryThrottlingFactor registerWithTaints
    registerNode tracing localStorageCapacityIsolation containerRuntimeEndpoint
    imageServiceEndpoint failCgroupV1 userNamespaces"""
)

#: Top-level fields of KubeProxyConfiguration v1alpha1.
KUBE_PROXY_FIELDS: frozenset[str] = _words(
    """featureGates clientConnection hostnameOverride bindAddress healthzBindAddress
    metricsBindAddress bindAddressHardFail enableProfiling showHiddenMetricsForVersion mode
    iptables ipvs nftables winkernel detectLocalMode detectLocal clusterCIDR nodePortAddresses
    oomScoreAdj conntrack configSyncPeriod portRange logging windowsRunAsService
    syncPeriod minSyncPeriod"""
)

SCHEMAS: Mapping[tuple[str, str], Schema] = {
    (V1BETA3, "ClusterConfiguration"): _cluster(False),
    (V1BETA3, "InitConfiguration"): _init(False),
    (V1BETA3, "JoinConfiguration"): _join(False),
    (V1BETA4, "ClusterConfiguration"): _cluster(True),
    (V1BETA4, "InitConfiguration"): _init(True),
    (V1BETA4, "JoinConfiguration"): _join(True),
    (KUBELET_API, "KubeletConfiguration"): dict.fromkeys(KUBELET_FIELDS, "any"),
    (KUBE_PROXY_API, "KubeProxyConfiguration"): dict.fromkeys(KUBE_PROXY_FIELDS, "any"),
}


def _leaf_ok(kind: str, value: object, api: str) -> bool:
    if kind == "any":
        return True
    if kind == "args":
        if api == V1BETA4:
            return isinstance(value, list) and all(
                isinstance(i, dict) and set(i) == {"name", "value"} for i in value
            )
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    if kind == "strs":
        return isinstance(value, list) and all(isinstance(i, str) for i in value)
    if kind == "map":
        return isinstance(value, dict)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, {"str": str, "bool": bool}[kind])


def _walk(value: object, schema: object, path: str, api: str) -> list[str]:
    if isinstance(schema, str):
        return [] if _leaf_ok(schema, value, api) else [f"{path}: not a valid {schema}"]
    if isinstance(schema, list):
        if not isinstance(value, list):
            return [f"{path}: not a list"]
        return [
            e for i, item in enumerate(value) for e in _walk(item, schema[0], f"{path}[{i}]", api)
        ]
    if not isinstance(value, dict) or not isinstance(schema, Mapping):
        return [f"{path}: not an object"]
    errors: list[str] = []
    for key, item in value.items():
        sub = f"{path}.{key}" if path else str(key)
        if key not in schema:
            errors.append(f"{sub}: unknown field")
        else:
            errors.extend(_walk(item, schema[key], sub, api))
    return errors


def schema_errors(doc: Mapping[str, Any]) -> list[str]:
    """What is wrong with one document for its ``apiVersion``/``kind`` (empty when valid):
    unknown fields, wrong value shapes, or an API version/kind with no table."""
    api, kind = str(doc.get("apiVersion", "")), str(doc.get("kind", ""))
    schema = SCHEMAS.get((api, kind))
    if schema is None:
        return [f"{api} {kind}: no such kubeadm config document"]
    body = {k: v for k, v in doc.items() if k not in ("apiVersion", "kind")}
    return [f"{kind}.{e}" for e in _walk(body, schema, "", api)]

"""kube-apiserver stand-in: checks its flags and files, then serves a small Kubernetes API.

Checks (exit 1 with a journal line on failure): every flag exists in this minor; files named
by flags exist and parse; serving cert matches its key; --kubelet-client-certificate chains to
--client-ca-file, --proxy-client-cert-file to --requestheader-client-ca-file, --etcd-certfile
to --etcd-cafile; etcd answers ``/health`` with the client cert (retried for a minute).

Serves HTTPS on --bind-address:--secure-port: health endpoints (``/readyz`` asks etcd),
``/version``, discovery, a minimal OpenAPI v3, and generic storage of objects in etcd through
its v3 JSON gateway (so several stand-ins behind a load balancer share them). Client certs are
verified against --client-ca-file; any verified cert may do anything (no RBAC).
"""

from __future__ import annotations

import base64
import copy
import datetime
import hmac
import http.client
import ipaddress
import json
import re
import socket
import ssl
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from common import (
    Flags,
    bind_server,
    cert_subject,
    check_ca_flags,
    check_cert_flags,
    check_private_key_flag,
    check_public_key_flag,
    client_context,
    fail,
    flag_true,
    https_request,
    load_yaml,
    log,
    minor_of,
    parse_flags,
    read_config_file,
    require_file,
    sd_notify_ready,
    self_signed_cert,
    serve,
    serving_context,
)

# group, version, resource, kind, namespaced, short names, subresources
Resource = tuple[str, str, str, str, bool, tuple[str, ...], tuple[str, ...]]
_BUILTIN_TEXT = """
 v1 namespaces Namespace - ns status,finalize
 v1 nodes Node - no status
 v1 pods Pod + po status,log
 v1 services Service + svc status
 v1 endpoints Endpoints + ep
 v1 configmaps ConfigMap + cm
 v1 secrets Secret +
 v1 serviceaccounts ServiceAccount + sa token
 v1 events Event + ev
 v1 persistentvolumes PersistentVolume - pv status
 v1 persistentvolumeclaims PersistentVolumeClaim + pvc status
 v1 limitranges LimitRange + limits
 v1 resourcequotas ResourceQuota + quota status
 v1 replicationcontrollers ReplicationController + rc status
 v1 podtemplates PodTemplate +
apps v1 deployments Deployment + deploy status,scale
apps v1 daemonsets DaemonSet + ds status
apps v1 statefulsets StatefulSet + sts status,scale
apps v1 replicasets ReplicaSet + rs status,scale
apps v1 controllerrevisions ControllerRevision +
batch v1 jobs Job + - status
batch v1 cronjobs CronJob + cj status
autoscaling v2 horizontalpodautoscalers HorizontalPodAutoscaler + hpa status
rbac.authorization.k8s.io v1 roles Role +
rbac.authorization.k8s.io v1 rolebindings RoleBinding +
rbac.authorization.k8s.io v1 clusterroles ClusterRole -
rbac.authorization.k8s.io v1 clusterrolebindings ClusterRoleBinding -
apiextensions.k8s.io v1 customresourcedefinitions CustomResourceDefinition - crd,crds status
storage.k8s.io v1 storageclasses StorageClass - sc
storage.k8s.io v1 csidrivers CSIDriver -
storage.k8s.io v1 csinodes CSINode -
storage.k8s.io v1 volumeattachments VolumeAttachment - - status
storage.k8s.io v1 csistoragecapacities CSIStorageCapacity +
policy v1 poddisruptionbudgets PodDisruptionBudget + pdb status
networking.k8s.io v1 networkpolicies NetworkPolicy + netpol
networking.k8s.io v1 ingresses Ingress + ing status
networking.k8s.io v1 ingressclasses IngressClass -
coordination.k8s.io v1 leases Lease +
admissionregistration.k8s.io v1 mutatingwebhookconfigurations MutatingWebhookConfiguration -
admissionregistration.k8s.io v1 validatingwebhookconfigurations ValidatingWebhookConfiguration -
admissionregistration.k8s.io v1 validatingadmissionpolicies ValidatingAdmissionPolicy - - status
admissionregistration.k8s.io v1 validatingadmissionpolicybindings ValidatingAdmissionPolicyBinding -
scheduling.k8s.io v1 priorityclasses PriorityClass - pc
discovery.k8s.io v1 endpointslices EndpointSlice +
events.k8s.io v1 events Event + ev
certificates.k8s.io v1 certificatesigningrequests CertificateSigningRequest - csr status,approval
apiregistration.k8s.io v1 apiservices APIService - - status
node.k8s.io v1 runtimeclasses RuntimeClass -
"""
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
CLUSTER_INFO = "/api/v1/namespaces/kube-public/configmaps/cluster-info"  # kubeadm discovery
PUBLIC_PATHS = ("/healthz", "/livez", "/readyz", "/version")
AUTHORIZATION_MODES = {"AlwaysAllow", "AlwaysDeny", "ABAC", "Webhook", "RBAC", "Node"}
CATEGORY_ALL = {
    "pods",
    "services",
    "replicationcontrollers",
    "daemonsets",
    "deployments",
    "replicasets",
    "statefulsets",
    "jobs",
    "cronjobs",
    "horizontalpodautoscalers",
}
INITIAL_EVENTS_END = "k8s.io/initial-events-end"
VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


def _builtin_resources() -> list[Resource]:
    out: list[Resource] = []
    for line in _BUILTIN_TEXT.strip("\n").splitlines():
        group, version, name, kind, scope, *rest = line.split(" ")
        short = tuple(rest[0].split(",")) if rest and rest[0] != "-" else ()
        subs = tuple(rest[1].split(",")) if len(rest) > 1 else ()
        out.append((group, version, name, kind, scope == "+", short, subs))
    return out


BUILTIN = _builtin_resources()


def gv_of(res: Resource) -> str:
    """The apiVersion of objects of ``res``."""
    return f"{res[0]}/{res[1]}" if res[0] else res[1]


def now_rfc3339() -> str:
    """The current UTC time as Kubernetes writes timestamps."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    """An error answered as a ``Status`` object."""

    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message


def status_object(code: int, reason: str, message: str) -> dict[str, Any]:
    """A ``meta/v1 Status`` body."""
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# etcd through the v3 JSON gateway.
# ---------------------------------------------------------------------------------------------


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _prefix_end(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


class Etcd:
    """Objects stored as JSON under ``<prefix>/<group>/<resource>/[<ns>/]<name>``."""

    def __init__(self, servers: list[str], context: ssl.SSLContext, prefix: str) -> None:
        self.servers = servers
        self.context = context
        self.prefix = prefix.rstrip("/")
        self._next = 0
        self._lock = threading.Lock()

    def call(self, path: str, body: Any = None, method: str = "POST") -> dict[str, Any]:
        """One gateway call, trying each server in turn; ApiError 503 when none answers."""
        errors = []
        for _ in self.servers:
            with self._lock:
                server = self.servers[self._next % len(self.servers)]
            try:
                status, data = https_request(server + path, self.context, method, body)
            except (OSError, ssl.SSLError, http.client.HTTPException) as exc:
                errors.append(f"{server}: {exc}")
                with self._lock:
                    self._next += 1
                continue
            if status != 200:
                raise ApiError(500, "InternalError", f"etcd {path}: HTTP {status} {data[:200]!r}")
            return dict(json.loads(data or b"{}"))
        raise ApiError(503, "ServiceUnavailable", "etcd unreachable: " + "; ".join(errors))

    def health(self) -> str | None:
        """None when an etcd server answers ``/health`` healthy, else why not."""
        try:
            data = self.call("/health", method="GET")
        except ApiError as exc:
            return exc.message
        return None if str(data.get("health")) == "true" else f"etcd unhealthy: {data}"

    def key(self, group: str, resource: str, namespace: str | None, name: str = "") -> str:
        """The etcd key (or, with no name, the key prefix) of an object."""
        parts = [self.prefix, group or "core", resource]
        if namespace:
            parts.append(namespace)
        return "/".join(parts) + "/" + name

    @staticmethod
    def _decode(kv: dict[str, Any]) -> dict[str, Any]:
        obj = dict(json.loads(base64.b64decode(kv["value"])))
        obj.setdefault("metadata", {})["resourceVersion"] = str(kv.get("mod_revision", "0"))
        return obj

    def get(self, key: str) -> dict[str, Any] | None:
        """The object at ``key`` with its resourceVersion, or None."""
        kvs = self.call("/v3/kv/range", {"key": _b64(key)}).get("kvs") or []
        return self._decode(kvs[0]) if kvs else None

    def list(self, prefix: str) -> tuple[list[dict[str, Any]], str]:
        """Every object under ``prefix`` and the store's current revision."""
        data = self.call(
            "/v3/kv/range", {"key": _b64(prefix), "range_end": _b64(_prefix_end(prefix))}
        )
        items = [self._decode(kv) for kv in data.get("kvs") or []]
        return items, str(data.get("header", {}).get("revision", "0"))

    def write(self, key: str, obj: dict[str, Any], expect: str | None) -> str | None:
        """Store ``obj`` if the key's mod revision is ``expect`` ("0" = absent); return the new
        resourceVersion, or None when the comparison failed.
        """
        stored = copy.deepcopy(obj)
        stored.get("metadata", {}).pop("resourceVersion", None)
        put = {"request_put": {"key": _b64(key), "value": _b64(json.dumps(stored))}}
        compare = []
        if expect is not None:
            target = "VERSION" if expect == "0" else "MOD"
            field = "version" if expect == "0" else "mod_revision"
            compare = [{"key": _b64(key), "result": "EQUAL", "target": target, field: expect}]
        data = self.call("/v3/kv/txn", {"compare": compare, "success": [put]})
        if not data.get("succeeded"):
            return None
        return str(data["header"]["revision"])

    def delete(self, key: str) -> None:
        """Remove ``key`` (or, ending in ``/``, everything under it)."""
        body: dict[str, str] = {"key": _b64(key)}
        if key.endswith("/"):
            body["range_end"] = _b64(_prefix_end(key))
        self.call("/v3/kv/deleterange", body)


# ---------------------------------------------------------------------------------------------
# Patches: JSON merge patch, strategic merge patch (lists of objects merged by key), JSON patch.
# ---------------------------------------------------------------------------------------------

MERGE_KEYS = ("name", "mountPath", "devicePath", "containerPort", "port", "ip", "type", "key")


def _merge_key(items: list[Any]) -> str | None:
    for key in MERGE_KEYS:
        if items and all(isinstance(i, dict) and key in i for i in items):
            return key
    return None


def _merge_list(old: list[Any], patch: list[Any]) -> list[Any]:
    key = _merge_key([p for p in patch if not (isinstance(p, dict) and "$patch" in p)])
    if key is None or not all(isinstance(o, dict) for o in old):
        return [p for p in patch if not (isinstance(p, dict) and "$patch" in p)]
    out = [copy.deepcopy(o) for o in old]
    for item in patch:
        index = next((i for i, o in enumerate(out) if o.get(key) == item.get(key)), None)
        if item.get("$patch") == "delete":
            if index is not None:
                out.pop(index)
        elif index is None:
            out.append(strategic_merge({}, item))
        else:
            out[index] = strategic_merge(out[index], item)
    return out


def strategic_merge(old: Any, patch: Any) -> Any:
    """``patch`` applied to ``old`` as a merge patch whose lists of objects with a merge key
    (``name``, ``port``...) are merged per element; ``$``-directives other than
    ``$patch: delete`` in lists are dropped.
    """
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: v for k, v in patch.items() if k != "$patch"}
    out = copy.deepcopy(old) if isinstance(old, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            out.pop(key, None)
        elif isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = _merge_list(out[key], value)
        elif isinstance(value, dict):
            out[key] = strategic_merge(out.get(key), value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def merge_patch(old: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(old) if isinstance(old, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _pointer(path: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]


def json_patch(obj: Any, ops: list[dict[str, Any]]) -> Any:
    """RFC 6902 JSON patch (add, remove, replace, test)."""
    out = copy.deepcopy(obj)
    for op in ops:
        *parents, last = _pointer(str(op.get("path", "")))
        target = out
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target.setdefault(part, {})
        kind = op.get("op")
        if kind == "test":
            current = target[int(last)] if isinstance(target, list) else target.get(last)
            if current != op.get("value"):
                raise ApiError(422, "Invalid", f"test failed at {op.get('path')}")
        elif isinstance(target, list):
            index = len(target) if last == "-" else int(last)
            if kind in ("remove", "replace"):
                target.pop(index)
            if kind in ("add", "replace"):
                target.insert(index, op.get("value"))
        elif kind == "remove":
            target.pop(last, None)
        elif kind in ("add", "replace"):
            target[last] = op.get("value")
        else:
            raise ApiError(422, "Invalid", f"unsupported JSON patch op {kind!r}")
    return out


# ---------------------------------------------------------------------------------------------
# Protobuf request bodies. kubectl's typed clients (``kubectl create configmap|secret|
# namespace|serviceaccount``, ``kubectl certificate approve``) send
# ``application/vnd.kubernetes.protobuf`` and do not fall back to JSON, so the stand-in decodes
# those few kinds (field numbers from k8s.io/api generated.proto).
# ---------------------------------------------------------------------------------------------

PROTOBUF_MAGIC = b"k8s\x00"
Schema = dict[int, tuple[str, Any]]
OBJECT_META: Schema = {
    1: ("name", "str"), 2: ("generateName", "str"), 3: ("namespace", "str"),
    6: ("resourceVersion", "str"), 11: ("labels", "map"), 12: ("annotations", "map"),
    14: ("finalizers", "strlist"),
}  # fmt: skip
PROTOBUF_KINDS: dict[str, Schema] = {
    "ConfigMap": {1: ("metadata", OBJECT_META), 2: ("data", "map"),
                  3: ("binaryData", "mapbytes"), 4: ("immutable", "bool")},
    "Secret": {1: ("metadata", OBJECT_META), 2: ("data", "mapbytes"), 3: ("type", "str"),
               4: ("stringData", "map"), 5: ("immutable", "bool")},
    "Namespace": {1: ("metadata", OBJECT_META), 2: ("spec", {1: ("finalizers", "strlist")})},
    "ServiceAccount": {1: ("metadata", OBJECT_META), 4: ("automountServiceAccountToken", "bool")},
    "CertificateSigningRequest": {  # kubectl certificate approve|deny
        1: ("metadata", OBJECT_META),
        2: ("spec", {1: ("request", "bytes"), 2: ("username", "str"), 3: ("uid", "str"),
                     4: ("groups", "strlist"), 5: ("usages", "strlist"), 7: ("signerName", "str"),
                     8: ("expirationSeconds", "int")}),
        3: ("status", {1: ("conditions", [{1: ("type", "str"), 2: ("reason", "str"),
                                           3: ("message", "str"), 4: ("lastUpdateTime", "time"),
                                           5: ("lastTransitionTime", "time"),
                                           6: ("status", "str")}]),
                       2: ("certificate", "bytes")}),
    },
}  # fmt: skip


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def protobuf_fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, varint value or bytes) of each field of a protobuf message."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        tag, pos = _varint(data, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.append((number, value))
        elif wire == 2:
            size, pos = _varint(data, pos)
            out.append((number, data[pos : pos + size]))
            pos += size
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise ApiError(400, "BadRequest", f"protobuf wire type {wire} is not supported")
    return out


def _protobuf_time(value: bytes) -> str | None:
    seconds = dict(protobuf_fields(value)).get(1, 0)
    if not seconds:  # the zero time is omitted in JSON
        return None
    stamp = datetime.datetime.fromtimestamp(int(seconds), datetime.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def _protobuf_value(kind: Any, value: int | bytes, out: dict[str, Any], name: str) -> None:
    if isinstance(value, int):  # a varint: bool or integer
        out[name] = bool(value) if kind == "bool" else value
    elif isinstance(kind, dict):
        out[name] = protobuf_message(value, kind)
    elif isinstance(kind, list):  # repeated message
        out.setdefault(name, []).append(protobuf_message(value, kind[0]))
    else:
        _protobuf_bytes(kind, value, out, name)


def _protobuf_bytes(kind: str, value: bytes, out: dict[str, Any], name: str) -> None:
    if kind == "bytes":
        out[name] = base64.b64encode(value).decode()
    elif kind == "time":
        if (stamp := _protobuf_time(value)) is not None:
            out[name] = stamp
    elif kind == "str":
        if value:  # gogo-protobuf writes empty strings too; JSON omits them
            out[name] = value.decode()
    elif kind == "strlist":
        out.setdefault(name, []).append(value.decode())
    elif kind in ("map", "mapbytes"):
        entry = {k: v for k, v in protobuf_fields(value) if isinstance(v, bytes)}
        text = entry.get(2, b"")
        decoded = base64.b64encode(text).decode() if kind == "mapbytes" else text.decode()
        out.setdefault(name, {})[entry.get(1, b"").decode()] = decoded


def protobuf_message(data: bytes, schema: Schema) -> dict[str, Any]:
    """The fields of ``schema`` found in protobuf message ``data`` (others are ignored)."""
    out: dict[str, Any] = {}
    for number, value in protobuf_fields(data):
        if number in schema:
            _protobuf_value(schema[number][1], value, out, schema[number][0])
    return out


def decode_protobuf_object(body: bytes) -> dict[str, Any]:
    """A Kubernetes protobuf envelope (``k8s\\0`` + runtime.Unknown) as a JSON-like object."""
    envelope = dict(protobuf_fields(body[len(PROTOBUF_MAGIC) :]))
    type_meta = envelope.get(1, b"")
    meta = {k: v for k, v in protobuf_fields(type_meta if isinstance(type_meta, bytes) else b"")}
    api_version, kind = (meta.get(n, b"") for n in (1, 2))
    kind_name = kind.decode() if isinstance(kind, bytes) else ""
    raw = envelope.get(2, b"")
    if kind_name not in PROTOBUF_KINDS or not isinstance(raw, bytes):
        known = ", ".join(PROTOBUF_KINDS)
        raise ApiError(
            415, "UnsupportedMediaType", f"the stand-in decodes protobuf only for {known}"
        )
    obj = protobuf_message(raw, PROTOBUF_KINDS[kind_name])
    version = api_version.decode() if isinstance(api_version, bytes) else ""
    return {"apiVersion": version, "kind": kind_name, **obj}


# ---------------------------------------------------------------------------------------------
# Selectors.
# ---------------------------------------------------------------------------------------------


def _field(obj: Any, path: str) -> str:
    for part in path.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return "" if obj is None else str(obj).lower() if isinstance(obj, bool) else str(obj)


def field_selector_matches(obj: dict[str, Any], selector: str) -> bool:
    """``a.b=x,c!=y`` against ``obj``."""
    for term in filter(None, selector.split(",")):
        negate = "!=" in term
        path, _, value = term.replace("!=", "=").replace("==", "=").partition("=")
        if (_field(obj, path.strip()) == value.strip()) == negate:
            return False
    return True


def _split_terms(selector: str) -> list[str]:
    terms, depth, start = [], 0, 0
    for i, ch in enumerate(selector):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            terms.append(selector[start:i])
            start = i + 1
    terms.append(selector[start:])
    return [t.strip() for t in terms if t.strip()]


def _label_term_matches(labels: dict[str, str], term: str) -> bool:
    words = term.split(None, 1)
    if len(words) == 2 and words[1].startswith(("in ", "in(", "notin ", "notin(")):
        op, _, values = words[1].partition("(")
        wanted = {v.strip() for v in values.rstrip(")").split(",")}
        return (labels.get(words[0]) in wanted) == (op.strip() == "in")
    if "!=" in term:
        key, value = term.split("!=", 1)
        return labels.get(key.strip()) != value.strip()
    if "=" in term:
        key, value = term.replace("==", "=").split("=", 1)
        return labels.get(key.strip()) == value.strip()
    if term.startswith("!"):
        return term[1:].strip() not in labels
    return term in labels


def label_selector_matches(labels: dict[str, str], selector: str) -> bool:
    """Equality, set (``in``/``notin``) and existence terms against ``labels``."""
    return all(_label_term_matches(labels, term) for term in _split_terms(selector))


# ---------------------------------------------------------------------------------------------
# The API: resources (built-in + CRDs), storage semantics, discovery, OpenAPI.
# ---------------------------------------------------------------------------------------------


def crd_resources(crd: dict[str, Any]) -> list[Resource]:
    """The resources a CustomResourceDefinition serves (one per served version)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    out: list[Resource] = []
    for version in spec.get("versions") or []:
        if version.get("served", True):
            subs = tuple((version.get("subresources") or {}).keys())
            out.append((str(spec.get("group")), str(version.get("name")), str(names.get("plural")),
                        str(names.get("kind")), spec.get("scope") == "Namespaced",
                        tuple(names.get("shortNames") or ()), subs))  # fmt: skip
    return out


DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS_SUBDOMAIN = rf"{DNS_LABEL}(\.{DNS_LABEL})*"
ANNOTATIONS_LIMIT = 262144


def validate_metadata(res: Resource, meta: dict[str, Any]) -> None:
    """The name rules of the real apiserver (DNS label for namespaces, DNS-1035 label for
    services, path segment for RBAC, DNS subdomain otherwise) and the 256 KiB annotation limit
    (which a client-side ``kubectl apply`` of a very large object runs into).
    """
    name = str(meta.get("name", ""))
    if res[0] == "rbac.authorization.k8s.io":
        valid = name not in (".", "..") and not any(c in name for c in "/%")
    elif res[2] == "namespaces":
        valid = len(name) <= 63 and re.fullmatch(DNS_LABEL, name) is not None
    elif res[2] == "services" and not res[0]:
        valid = len(name) <= 63 and re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9])?", name) is not None
    else:
        valid = len(name) <= 253 and re.fullmatch(DNS_SUBDOMAIN, name) is not None
    if not valid:
        raise ApiError(
            422, "Invalid", f'{res[3]} "{name}" is invalid: metadata.name: Invalid value'
        )
    size = sum(len(k) + len(str(v)) for k, v in (meta.get("annotations") or {}).items())
    if size > ANNOTATIONS_LIMIT:
        raise ApiError(
            422,
            "Invalid",
            f'{res[3]} "{name}" is invalid: metadata.annotations: Too long: may not be more than '
            f"{ANNOTATIONS_LIMIT} bytes",
        )


class Api:
    """Storage semantics of the stand-in apiserver over ``Etcd``."""

    def __init__(self, etcd: Etcd, version: str, service_range: str) -> None:
        self.etcd = etcd
        self.version = version
        self.service_range = service_range
        self._crds: tuple[float, list[Resource]] = (0.0, [])

    def resources(self) -> list[Resource]:
        """Built-in resources plus those of stored CRDs (re-read at most every second)."""
        stamp, cached = self._crds
        if time.monotonic() - stamp > 1.0:
            crds, _ = self.etcd.list(
                self.etcd.key("apiextensions.k8s.io", "customresourcedefinitions", None)
            )
            cached = [r for crd in crds for r in crd_resources(crd)]
            self._crds = (time.monotonic(), cached)
        return BUILTIN + cached

    def find(self, group: str, version: str, resource: str) -> Resource:
        """The resource served at ``group/version/resource``; ApiError 404 otherwise."""
        for res in self.resources():
            if res[:3] == (group, version, resource):
                return res
        raise ApiError(404, "NotFound", "the server could not find the requested resource")

    def key(self, res: Resource, namespace: str | None, name: str = "") -> str:
        """The etcd key of an object of ``res``."""
        return self.etcd.key(res[0], res[2], namespace if res[4] else None, name)

    def get(self, res: Resource, namespace: str | None, name: str) -> dict[str, Any]:
        """The stored object; ApiError 404 when absent."""
        obj = self.etcd.get(self.key(res, namespace, name))
        if obj is None:
            group = f".{res[0]}" if res[0] else ""
            raise ApiError(404, "NotFound", f'{res[2]}{group} "{name}" not found')
        return obj

    def list(self, res: Resource, namespace: str | None) -> tuple[list[dict[str, Any]], str]:
        """Objects of ``res`` (in ``namespace``, or all) and the list resourceVersion."""
        return self.etcd.list(self.key(res, namespace))

    def _require_namespace(self, res: Resource, namespace: str | None) -> None:
        if res[4] and self.etcd.get(self.etcd.key("", "namespaces", None, namespace or "")) is None:
            raise ApiError(404, "NotFound", f'namespaces "{namespace}" not found')

    def _defaults(self, res: Resource, obj: dict[str, Any], namespace: str | None) -> None:
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
        if not meta.get("name"):
            raise ApiError(
                422, "Invalid", f"{res[3]}: metadata.name: Required value: name is required"
            )
        validate_metadata(res, meta)
        if res[4]:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise ApiError(
                    400, "BadRequest", "the namespace of the object does not match the request"
                )
            meta["namespace"] = namespace
        obj["apiVersion"] = gv_of(res)
        obj["kind"] = res[3]
        meta.update(uid=str(uuid.uuid4()), creationTimestamp=now_rfc3339(), generation=1)
        if res[3] == "Namespace":
            obj.setdefault("spec", {"finalizers": ["kubernetes"]})
            obj["status"] = {"phase": "Active"}
        if res[3] == "Service" and res[0] == "":
            self._service_ip(obj)

    def _service_ip(self, obj: dict[str, Any]) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("type", "ClusterIP")
        for port in spec.get("ports") or []:
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
        if spec.get("clusterIP") or spec["type"] == "ExternalName" or not self.service_range:
            spec.setdefault("clusterIPs", [spec["clusterIP"]] if spec.get("clusterIP") else [])
            return
        used = {
            s.get("spec", {}).get("clusterIP")
            for s in self.etcd.list(self.etcd.key("", "services", None))[0]
        }
        network = ipaddress.ip_network(self.service_range.split(",")[0], strict=False)
        for offset in range(11, min(network.num_addresses - 1, 65000)):
            candidate = str(network.network_address + offset)
            if candidate not in used:
                spec["clusterIP"], spec["clusterIPs"] = candidate, [candidate]
                return
        raise ApiError(500, "InternalError", "no free service IP")

    def create(
        self, res: Resource, namespace: str | None, obj: dict[str, Any], dry: bool
    ) -> dict[str, Any]:
        """Store a new object; ApiError 409 when it exists, 404 when its namespace does not."""
        self._require_namespace(res, namespace)
        self._defaults(res, obj, namespace)
        name = obj["metadata"]["name"]
        if dry:
            if self.etcd.get(self.key(res, namespace, name)) is not None:
                raise ApiError(409, "AlreadyExists", f'{res[2]} "{name}" already exists')
            return obj
        rv = self.etcd.write(self.key(res, namespace, name), obj, "0")
        if rv is None:
            raise ApiError(409, "AlreadyExists", f'{res[2]} "{name}" already exists')
        obj["metadata"]["resourceVersion"] = rv
        return obj

    def update(
        self,
        res: Resource,
        namespace: str | None,
        name: str,
        new: dict[str, Any],
        old: dict[str, Any],
        *,
        subresource: str = "",
        dry: bool = False,
    ) -> dict[str, Any]:
        """Store ``new`` in place of ``old`` (optimistic on ``old``'s resourceVersion)."""
        meta, old_meta = new.setdefault("metadata", {}), old["metadata"]
        if meta.get("name", name) != name:
            raise ApiError(400, "BadRequest", "the name of the object does not match the request")
        wanted_rv = meta.get("resourceVersion") or old_meta["resourceVersion"]
        if subresource in ("status", "approval"):
            new = {**old, "status": new.get("status")}
            meta = new["metadata"] = dict(old_meta)
        elif "status" in old and res[6] and "status" in res[6]:
            new["status"] = old["status"]
        for field in ("uid", "creationTimestamp", "namespace", "name"):
            if field in old_meta:
                meta[field] = old_meta[field]
        new["apiVersion"], new["kind"] = old["apiVersion"], old["kind"]
        validate_metadata(res, meta)
        changed = {k: v for k, v in new.items() if k not in ("metadata", "status")} != {
            k: v for k, v in old.items() if k not in ("metadata", "status")}  # fmt: skip
        meta["generation"] = int(old_meta.get("generation", 1)) + (1 if changed else 0)
        if dry:
            return new
        rv = self.etcd.write(self.key(res, namespace, name), new, str(wanted_rv))
        if rv is None:
            raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {res[2]} "{name}": '
                           "the object has been modified; please apply your changes to the latest "
                           "version and try again")  # fmt: skip
        meta["resourceVersion"] = rv
        return new

    def delete(self, res: Resource, namespace: str | None, name: str, dry: bool) -> dict[str, Any]:
        """Remove an object (a namespace takes its namespaced objects with it)."""
        obj = self.get(res, namespace, name)
        if dry:
            return obj
        if res[3] == "Namespace" and res[0] == "":
            for other in self.resources():
                if other[4]:
                    self.etcd.delete(self.key(other, name))
        self.etcd.delete(self.key(res, namespace, name))
        return obj

    def _create_absent(self, resource: str, namespace: str | None, obj: dict[str, Any]) -> None:
        try:
            self.create(self.find("", "v1", resource), namespace, obj, dry=False)
        except ApiError as exc:
            if exc.code != 409:
                raise

    def ensure_defaults(self, advertise: str, port: int) -> None:
        """Create what every cluster has: the four namespaces, and the ``kubernetes`` Service
        (first address of the service range) with Endpoints of this apiserver.
        """
        for name in DEFAULT_NAMESPACES:
            self._create_absent("namespaces", None, {"metadata": {"name": name}})
        if not self.service_range:
            return
        network = ipaddress.ip_network(self.service_range.split(",")[0], strict=False)
        ip = str(network.network_address + 1)
        port_spec = {"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}
        spec = {"type": "ClusterIP", "clusterIP": ip, "ports": [port_spec]}
        service = {"metadata": {"name": "kubernetes", "labels": {"component": "apiserver"}}}
        service["spec"] = spec
        self._create_absent("services", "default", service)
        subset = {"addresses": [{"ip": advertise}],
                  "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}  # fmt: skip
        endpoints = {"metadata": {"name": "kubernetes"}, "subsets": [subset]}
        self._create_absent("endpoints", "default", endpoints)

    def discovery(self, group: str, version: str) -> dict[str, Any]:
        """The APIResourceList of ``group/version``."""
        resources: list[dict[str, Any]] = []
        for res in self.resources():
            if res[:2] != (group, version):
                continue
            singular = res[3].lower()
            entry = {"name": res[2], "singularName": singular, "namespaced": res[4],
                     "kind": res[3], "verbs": VERBS, "shortNames": list(res[5])}  # fmt: skip
            if res[2] in CATEGORY_ALL and res[0] in ("", "apps", "batch", "autoscaling"):
                entry["categories"] = ["all"]
            resources.append(entry)
            for sub in res[6]:
                writable = ("status", "scale", "approval")
                verbs = ["get", "patch", "update"] if sub in writable else ["create"]
                sub_entry = {"name": f"{res[2]}/{sub}", "singularName": "", "verbs": verbs}
                resources.append({**sub_entry, "namespaced": res[4], "kind": res[3]})
        if not resources:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        gv = f"{group}/{version}" if group else version
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": gv,
            "resources": resources,
        }

    def groups(self) -> dict[str, Any]:
        """The APIGroupList of every named group."""
        versions: dict[str, list[str]] = {}
        for res in self.resources():
            if res[0] and res[1] not in versions.setdefault(res[0], []):
                versions[res[0]].append(res[1])
        groups = []
        for group, served in versions.items():
            entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in served]
            groups.append({"name": group, "versions": entries, "preferredVersion": entries[0]})
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def openapi_root(self) -> dict[str, Any]:
        """``/openapi/v3``: one entry per group version."""
        paths = {}
        for gv in sorted({(r[0], r[1]) for r in self.resources()}):
            name = f"apis/{gv[0]}/{gv[1]}" if gv[0] else f"api/{gv[1]}"
            paths[name] = {"serverRelativeURL": f"/openapi/v3/{name}?hash={self.version}"}
        return {"paths": paths}

    def openapi_group(self, group: str, version: str) -> dict[str, Any]:
        """A minimal OpenAPI v3 document of a group version: operations that accept
        ``fieldValidation`` and ``dryRun`` so kubectl validates on the server side.
        """
        params = [{"name": n, "in": "query", "schema": {"type": "string"}}
                  for n in ("dryRun", "fieldManager", "fieldValidation")]  # fmt: skip
        paths: dict[str, Any] = {}
        for res in self.resources():
            if res[:2] != (group, version):
                continue
            gvk = {"group": group, "version": version, "kind": res[3]}
            base = f"/apis/{group}/{version}" if group else f"/api/{version}"
            scope = "/namespaces/{namespace}" if res[4] else ""
            op = {"parameters": params, "x-kubernetes-group-version-kind": gvk, "responses": {}}
            paths[f"{base}{scope}/{res[2]}"] = {"post": op, "get": op}
            paths[f"{base}{scope}/{res[2]}/{{name}}"] = {
                "put": op,
                "patch": op,
                "get": op,
                "delete": op,
            }
        return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": self.version},
                "paths": paths, "components": {"schemas": {}}}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Server-side printing (``kubectl get`` asks for a meta.k8s.io/v1 Table).
# ---------------------------------------------------------------------------------------------


def human_age(timestamp: str) -> str:
    """``5m``, ``3h``, ``2d``... since an RFC 3339 timestamp, like kubectl's ages."""
    try:
        then = datetime.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return "<unknown>"
    seconds = int((datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - then).total_seconds())
    for limit, unit, size in ((120, "s", 1), (10800, "m", 60), (172800, "h", 3600)):
        if seconds < limit:
            return f"{max(seconds, 0) // size}{unit}"
    return f"{seconds // 86400}d"


def _path(obj: Any, *keys: str | int) -> Any:
    for key in keys:
        if isinstance(obj, dict):
            obj = obj.get(key)
        elif isinstance(obj, list) and isinstance(key, int) and len(obj) > key:
            obj = obj[key]
        else:
            return None
    return obj


def _node_cells(obj: dict[str, Any]) -> list[Any]:
    ready = {c.get("type"): c.get("status") for c in _path(obj, "status", "conditions") or []}
    status = "Ready" if ready.get("Ready") == "True" else "NotReady"
    roles = sorted(
        k.split("/", 1)[1] for k in (obj["metadata"].get("labels") or {})
        if k.startswith("node-role.kubernetes.io/")
    )  # fmt: skip
    addresses = {a.get("type"): a.get("address") for a in _path(obj, "status", "addresses") or []}
    info = _path(obj, "status", "nodeInfo") or {}
    return [status, ",".join(roles) or "<none>", info.get("kubeletVersion", ""),
            addresses.get("InternalIP", "<none>"), info.get("osImage", ""),
            info.get("containerRuntimeVersion", "")]  # fmt: skip


def _pod_cells(obj: dict[str, Any]) -> list[Any]:
    statuses = _path(obj, "status", "containerStatuses") or []
    ready = sum(1 for c in statuses if c.get("ready"))
    total = len(_path(obj, "spec", "containers") or [])
    restarts = sum(int(c.get("restartCount", 0)) for c in statuses)
    phase = _path(obj, "status", "phase") or "Pending"
    node = _path(obj, "spec", "nodeName") or "<none>"
    return [f"{ready}/{total}", phase, restarts, _path(obj, "status", "podIP") or "<none>", node]


def _deployment_cells(obj: dict[str, Any]) -> list[Any]:
    status = obj.get("status") or {}
    wanted = _path(obj, "spec", "replicas")
    return [f"{status.get('readyReplicas', 0)}/{1 if wanted is None else wanted}",
            status.get("updatedReplicas", 0), status.get("availableReplicas", 0)]  # fmt: skip


def _service_cells(obj: dict[str, Any]) -> list[Any]:
    ports = ",".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}"
                     for p in _path(obj, "spec", "ports") or [])  # fmt: skip
    return [_path(obj, "spec", "type") or "ClusterIP", _path(obj, "spec", "clusterIP") or "None",
            "<none>", ports or "<none>"]  # fmt: skip


# kind -> (extra column names, priority-1 (wide) column names, cells after Name)
PRINTERS: dict[str, tuple[list[str], list[str], Any]] = {
    "Node": (["Status", "Roles", "Age", "Version"],
             ["Internal-IP", "OS-Image", "Container-Runtime"], _node_cells),
    "Pod": (["Ready", "Status", "Restarts"], ["IP", "Node"], _pod_cells),
    "Deployment": (["Ready", "Up-to-date", "Available"], [], _deployment_cells),
    "Service": (["Type", "Cluster-IP", "External-IP", "Port(s)"], [], _service_cells),
    "Namespace": (["Status"], [], lambda o: [_path(o, "status", "phase") or "Active"]),
}  # fmt: skip


def table(res: Resource, items: list[dict[str, Any]], rv: str) -> dict[str, Any]:
    """``items`` as a meta.k8s.io/v1 Table: Name, the kind's columns (Age last unless the kind
    places it), then the wide columns.
    """
    extra, wide, cells = PRINTERS.get(res[3], ([], [], lambda o: []))
    extra = extra if "Age" in extra else [*extra, "Age"]
    columns = [("Name", 0), *((c, 0) for c in extra), *((c, 1) for c in wide)]
    definitions = [{"name": n, "type": "string", "format": "name" if n == "Name" else "",
                    "description": "", "priority": p} for n, p in columns]  # fmt: skip
    rows = []
    for obj in items:
        meta = obj["metadata"]
        values = iter(cells(obj))
        age = human_age(meta.get("creationTimestamp", ""))
        row = [meta["name"], *(age if c == "Age" else next(values, "") for c in extra), *values]
        partial = {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": meta,
        }
        rows.append({"cells": row, "object": partial})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": rv},
            "columnDefinitions": definitions, "rows": rows}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# HTTP.
# ---------------------------------------------------------------------------------------------

Route = tuple[Resource, str | None, str, str]  # resource, namespace, name, subresource


class Handler(BaseHTTPRequestHandler):
    """One request: authentication, routing, and the answer (JSON, or a watch stream)."""

    protocol_version = "HTTP/1.1"
    server_version = "kube-apiserver-standin"
    api: Api
    anonymous: bool = True
    bootstrap_tokens: bool = False
    _subjects: ClassVar[dict[bytes, tuple[str, list[str]]]] = {}

    # -- plumbing --------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        return

    def setup(self) -> None:
        super().setup()  # small writes go out at once (no Nagle + delayed-ACK stall)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _send(self, code: int, body: Any, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, exc: ApiError) -> None:
        self._send(exc.code, status_object(exc.code, exc.reason, exc.message))

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while size := int(self.rfile.readline().strip() or b"0", 16):
                data += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            return data
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _json_body(self) -> Any:
        kind = self.headers.get("Content-Type", "application/json").split(";")[0].strip()
        raw = self._body()
        if kind == "application/vnd.kubernetes.protobuf" and raw.startswith(PROTOBUF_MAGIC):
            return decode_protobuf_object(raw)
        if not (kind.endswith(("json", "yaml")) or kind in ("", "*/*")):
            raise ApiError(415, "UnsupportedMediaType", f"the body of type {kind} is unsupported")
        try:
            return json.loads(raw) if raw.strip()[:1] in (b"{", b"[") else load_yaml(raw.decode())
        except ValueError as exc:
            raise ApiError(400, "BadRequest", f"cannot decode the request body: {exc}") from exc

    def _user(self) -> tuple[str, list[str]] | None:
        connection = self.connection
        cert = (
            connection.getpeercert(binary_form=True)
            if isinstance(connection, ssl.SSLSocket)
            else None
        )
        if not cert:
            return self._token_user()
        if cert not in self._subjects:
            self._subjects[cert] = cert_subject(cert)
        return self._subjects[cert]

    def _token_user(self) -> tuple[str, list[str]] | None:
        """The user of a valid bootstrap token (``Authorization: Bearer <id>.<secret>``) when
        --enable-bootstrap-token-auth is on; ApiError 401 for a token that does not check out.
        """
        header = self.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        token_id, _, secret = header[7:].strip().partition(".")
        if not self.bootstrap_tokens or not re.fullmatch(r"[a-z0-9]{6}", token_id):
            raise ApiError(401, "Unauthorized", "Unauthorized")
        res = self.api.find("", "v1", "secrets")
        stored = self.api.etcd.get(self.api.key(res, "kube-system", f"bootstrap-token-{token_id}"))
        data = {
            k: base64.b64decode(v).decode() for k, v in ((stored or {}).get("data") or {}).items()
        }
        expiry = data.get("expiration", "")
        valid = (
            stored is not None
            and stored.get("type") == "bootstrap.kubernetes.io/token"
            and hmac.compare_digest(data.get("token-secret", ""), secret)
            and data.get("usage-bootstrap-authentication") == "true"
            and (not expiry or expiry > now_rfc3339())
        )
        if not valid:
            raise ApiError(401, "Unauthorized", "Unauthorized")
        extra = [g for g in data.get("auth-extra-groups", "").split(",") if g]
        return f"system:bootstrap:{token_id}", ["system:bootstrappers", *extra]

    # -- verbs -----------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        path = parts.path.rstrip("/") or "/"
        try:
            user = self._user()
            public = path in PUBLIC_PATHS or path.startswith(("/healthz/", "/livez/", "/readyz/"))
            public = public or (self.command == "GET" and path == CLUSTER_INFO)
            if user is None and not (public and self.anonymous):
                code, reason = (403, "Forbidden") if self.anonymous else (401, "Unauthorized")
                raise ApiError(
                    code, reason, f"{reason.lower()}: system:anonymous cannot {self.command} {path}"
                )
            code = self._dispatch(path, query)
        except ApiError as exc:
            self._error(exc)
            code = exc.code
        except (ssl.SSLError, ConnectionError, TimeoutError):
            self.close_connection = True
            return
        if self.command != "GET" and not path.startswith(("/healthz", "/livez", "/readyz")):
            log(f"{self.command} {self.path} {code} user={(user or ('anonymous', []))[0]}")

    def _dispatch(self, path: str, query: dict[str, str]) -> int:
        segments = path.strip("/").split("/") if path != "/" else []
        if path in ("/healthz", "/livez", "/readyz") or path.startswith(
            ("/healthz/", "/readyz/", "/livez/")
        ):
            return self._health(path, query)
        if path == "/version":
            self._send(200, version_info(self.api.version))
            return 200
        if segments[:1] == ["openapi"]:
            return self._openapi(segments)
        if segments[:1] not in (["api"], ["apis"]):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if self.command == "GET" and (route := self._discovery(segments)) is not None:
            self._send(200, route)
            return 200
        return self._resource(segments, query)

    def _health(self, path: str, query: dict[str, str]) -> int:
        problem = None if path.startswith("/livez") else self.api.etcd.health()
        if problem is None:
            body = b"ok"
            if "verbose" in query:
                body = b"[+]ping ok\n[+]etcd ok\n" + path.lstrip("/").encode() + b" check passed\n"
            self._send(200, body, "text/plain; charset=utf-8")
            return 200
        body = f"[+]ping ok\n[-]etcd failed: {problem}\n{path.lstrip('/')} check failed\n"
        self._send(500, body.encode(), "text/plain; charset=utf-8")
        return 500

    def _openapi(self, segments: list[str]) -> int:
        if segments[1:2] != ["v3"]:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        rest = segments[2:]
        if not rest:
            self._send(200, self.api.openapi_root())
        elif rest[0] == "api" and len(rest) == 2:
            self._send(200, self.api.openapi_group("", rest[1]))
        elif rest[0] == "apis" and len(rest) == 3:
            self._send(200, self.api.openapi_group(rest[1], rest[2]))
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return 200

    def _discovery(self, segments: list[str]) -> dict[str, Any] | None:
        if segments == ["api"]:
            address = {"clientCIDR": "0.0.0.0/0", "serverAddress": self.headers.get("Host", "")}
            return {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [address],
            }
        if segments == ["api", "v1"]:
            return self.api.discovery("", "v1")
        if segments == ["apis"]:
            return self.api.groups()
        if segments[0] == "apis" and len(segments) == 2:
            for group in self.api.groups()["groups"]:
                if group["name"] == segments[1]:
                    return {"kind": "APIGroup", "apiVersion": "v1", **group}
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if segments[0] == "apis" and len(segments) == 3:
            return self.api.discovery(segments[1], segments[2])
        return None

    def _route(self, segments: list[str]) -> Route:
        if segments[0] == "api":
            group, version, rest = "", segments[1] if len(segments) > 1 else "", segments[2:]
        else:
            group, version, rest = (
                segments[1],
                segments[2] if len(segments) > 2 else "",
                segments[3:],
            )
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] not in ("status", "finalize"):
            namespace, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        res = self.api.find(group, version, rest[0])
        name = rest[1] if len(rest) > 1 else ""
        sub = rest[2] if len(rest) > 2 else ""
        if sub and sub not in res[6]:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return res, namespace, name, sub

    def _resource(self, segments: list[str], query: dict[str, str]) -> int:
        res, namespace, name, sub = self._route(segments)
        dry = query.get("dryRun") == "All"
        method = self.command
        if method in ("GET", "HEAD") and not name:
            if query.get("watch") in ("1", "true"):
                self._watch(res, namespace, query)
                return 200
            return self._list(res, namespace, query)
        if method == "POST" and not name:
            obj = self._json_body()
            if not isinstance(obj, dict):
                raise ApiError(400, "BadRequest", "the body is not an object")
            self._send(201 if not dry else 200, self.api.create(res, namespace, obj, dry))
            return 201
        if not name:
            raise ApiError(405, "MethodNotAllowed", f"{method} is not allowed on a collection")
        return self._item(res, namespace, name, sub, dry)

    def _item(self, res: Resource, namespace: str | None, name: str, sub: str, dry: bool) -> int:
        method = self.command
        if method in ("GET", "HEAD"):
            if sub == "log":
                self._send(200, b"(kubexm stand-in: no container logs)\n", "text/plain")
            elif self._wants_table():
                obj = self.api.get(res, namespace, name)
                self._send(200, table(res, [obj], obj["metadata"]["resourceVersion"]))
            else:
                self._send(200, self.api.get(res, namespace, name))
            return 200
        if method == "DELETE":
            self._body()
            self._send(200, self.api.delete(res, namespace, name, dry))
            return 200
        if method == "POST" and sub == "token":
            body = self._json_body()
            token = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            body["status"] = {"token": f"standin.{token}", "expirationTimestamp": now_rfc3339()}
            self._send(201, body)
            return 201
        if method == "PUT":
            new = self._json_body()
            old = self.api.get(res, namespace, name)
            self._send(
                200, self.api.update(res, namespace, name, new, old, subresource=sub, dry=dry)
            )
            return 200
        if method == "PATCH":
            return self._patch(res, namespace, name, sub, dry)
        raise ApiError(405, "MethodNotAllowed", f"{method} is not allowed here")

    def _patch(self, res: Resource, namespace: str | None, name: str, sub: str, dry: bool) -> int:
        kind = self.headers.get("Content-Type", "").split(";")[0].strip()
        patch = self._json_body()
        try:
            old: dict[str, Any] | None = self.api.get(res, namespace, name)
        except ApiError as exc:
            if exc.code != 404 or kind != "application/apply-patch+yaml" or sub:
                raise
            old = None
        if old is None:  # server-side apply creates
            self._send(201, self.api.create(res, namespace, patch, dry))
            return 201
        if kind == "application/json-patch+json":
            new = json_patch(old, patch)
        elif kind == "application/merge-patch+json":
            new = merge_patch(old, patch)
        elif kind in ("application/strategic-merge-patch+json", "application/apply-patch+yaml"):
            new = strategic_merge(old, patch)
        else:
            raise ApiError(415, "UnsupportedMediaType", f"the media type {kind!r} is not supported")
        new.setdefault("metadata", {})["resourceVersion"] = old["metadata"]["resourceVersion"]
        if isinstance(patch, dict) and patch.get("metadata", {}).get("resourceVersion"):
            new["metadata"]["resourceVersion"] = patch["metadata"]["resourceVersion"]
        self._send(200, self.api.update(res, namespace, name, new, old, subresource=sub, dry=dry))
        return 200

    def _matching(
        self, res: Resource, namespace: str | None, query: dict[str, str]
    ) -> tuple[list[dict[str, Any]], str]:
        items, rv = self.api.list(res, namespace)
        fields, labels = query.get("fieldSelector", ""), query.get("labelSelector", "")
        items = [
            i for i in items
            if field_selector_matches(i, fields)
            and label_selector_matches(i.get("metadata", {}).get("labels") or {}, labels)
        ]  # fmt: skip
        return items, rv

    def _wants_table(self) -> bool:
        return "as=Table" in self.headers.get("Accept", "")

    def _list(self, res: Resource, namespace: str | None, query: dict[str, str]) -> int:
        items, rv = self._matching(res, namespace, query)
        if self._wants_table():
            self._send(200, table(res, items, rv))
            return 200
        api_version = gv_of(res)
        self._send(200, {"kind": f"{res[3]}List", "apiVersion": api_version,
                         "metadata": {"resourceVersion": rv}, "items": items})  # fmt: skip
        return 200

    def _chunk(self, event: str, obj: dict[str, Any]) -> None:
        data = json.dumps({"type": event, "object": obj}).encode() + b"\n"
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _watch(self, res: Resource, namespace: str | None, query: dict[str, str]) -> None:
        """Stream changes by polling etcd twice a second until ``timeoutSeconds``."""
        since = int(query.get("resourceVersion") or 0)
        deadline = time.monotonic() + float(query.get("timeoutSeconds") or 1800)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        seen: dict[str, dict[str, Any]] = {}
        initial = query.get("sendInitialEvents") == "true"
        try:
            while time.monotonic() < deadline:
                items, list_rv = self._matching(res, namespace, query)
                current = {i["metadata"]["uid"]: i for i in items}
                for uid, obj in current.items():
                    rv = obj["metadata"]["resourceVersion"]
                    before = seen.get(uid, {}).get("metadata", {}).get("resourceVersion")
                    if before != rv and (before or int(rv) > since or not since):
                        self._chunk("MODIFIED" if before or since else "ADDED", obj)
                    seen[uid] = obj
                for uid in [u for u in seen if u not in current]:
                    self._chunk("DELETED", seen.pop(uid))
                if initial:  # the end of the initial events of a streaming list
                    initial = False
                    end = {"resourceVersion": list_rv, "annotations": {INITIAL_EVENTS_END: "true"}}
                    self._chunk(
                        "BOOKMARK", {"kind": res[3], "apiVersion": gv_of(res), "metadata": end}
                    )
                time.sleep(0.5)
            self.wfile.write(b"0\r\n\r\n")
        except (OSError, ValueError):
            self.close_connection = True
        self.close_connection = True


def version_info(version: str) -> dict[str, str]:
    """The ``/version`` answer of this stand-in."""
    major, minor = minor_of(version)
    return {"major": str(major), "minor": str(minor), "gitVersion": version,
            "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
            "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.24.0", "compiler": "gc",
            "platform": "linux/amd64"}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Start-up checks and main.
# ---------------------------------------------------------------------------------------------

CONFIG_FILE_KINDS = {
    "audit-policy-file": "Policy",
    "encryption-provider-config": "EncryptionConfiguration",
    "admission-control-config-file": "AdmissionConfiguration",
    "authorization-config": "AuthorizationConfiguration",
    "authentication-config": "AuthenticationConfiguration",
    "egress-selector-config-file": "EgressSelectorConfiguration",
    "tracing-config-file": "TracingConfiguration",
}


def check_flags(flags: Flags) -> None:
    """What the real kube-apiserver validates before it serves (exits 1 on a problem)."""
    check_values(flags)
    check_files(flags)


def check_values(flags: Flags) -> None:
    """Required flags are set; modes and CIDRs are valid."""
    if not flags.get("etcd-servers"):
        fail("--etcd-servers must be specified")
    if not flags.get("service-account-issuer"):
        fail("--service-account-issuer is a required flag")
    if not flags.get("service-account-signing-key-file"):
        fail("--service-account-signing-key-file is a required flag")
    for mode in filter(None, flags.get("authorization-mode", "").split(",")):
        if mode not in AUTHORIZATION_MODES:
            fail(f'--authorization-mode: authorization mode "{mode}" is not a valid mode')
    for cidr in filter(None, flags.get("service-cluster-ip-range", "").split(",")):
        try:
            ipaddress.ip_network(cidr)
        except ValueError:
            fail(f"--service-cluster-ip-range: {cidr!r} is not a valid CIDR (host bits set?)")


def check_files(flags: Flags) -> None:
    """Certificates load, match their keys and chain to their CAs; config files parse."""
    check_ca_flags(flags, "client-ca-file", "requestheader-client-ca-file", "etcd-cafile",
                   "kubelet-certificate-authority")  # fmt: skip
    check_cert_flags(flags, "tls-cert-file", "tls-private-key-file")
    check_cert_flags(flags, "kubelet-client-certificate", "kubelet-client-key", "client-ca-file")
    check_cert_flags(flags, "proxy-client-cert-file", "proxy-client-key-file",
                     "requestheader-client-ca-file")  # fmt: skip
    check_cert_flags(flags, "etcd-certfile", "etcd-keyfile", "etcd-cafile")
    check_private_key_flag(flags, "service-account-signing-key-file")
    check_public_key_flag(flags, "service-account-key-file")
    if flags.get("token-auth-file"):
        require_file("token-auth-file", flags["token-auth-file"])
    for name, kind in CONFIG_FILE_KINDS.items():
        if flags.get(name):
            found = read_config_file(name, flags[name]).get("kind")
            if found != kind:
                fail(f"--{name} {flags[name]}: kind is {found!r}, expected {kind}")
    if flags.get("audit-log-path") and flags["audit-log-path"] != "-":
        Path(flags["audit-log-path"]).parent.mkdir(parents=True, exist_ok=True)


def etcd_client(flags: Flags) -> Etcd:
    """The etcd client of the flags, after etcd answered ``/health`` (retried for a minute)."""
    servers = [s.strip().rstrip("/") for s in flags["etcd-servers"].split(",") if s.strip()]
    if any(s.startswith("https://") for s in servers) and not flags.get("etcd-cafile"):
        fail("--etcd-servers uses https:// but --etcd-cafile is not set")
    ca = Path(flags["etcd-cafile"]).read_bytes() if flags.get("etcd-cafile") else None
    cert = Path(flags["etcd-certfile"]).read_bytes() if flags.get("etcd-certfile") else None
    key = Path(flags["etcd-keyfile"]).read_bytes() if flags.get("etcd-keyfile") else None
    context = client_context(ca, cert, key) if ca else ssl.create_default_context()
    etcd = Etcd(servers, context, flags.get("etcd-prefix", "/registry"))
    deadline = time.monotonic() + float(
        flags.get("storage-initialization-timeout", "60s").rstrip("s") or 60
    )
    while (problem := etcd.health()) is not None:
        if time.monotonic() > deadline:
            fail(f"storage: cannot reach etcd {servers}: {problem}")
        log(f"waiting for etcd {servers}: {problem}", "W")
        time.sleep(2)
    return etcd


def main(argv: list[str], version: str) -> int:
    """Check the flags and files, reach etcd, then serve until stopped."""
    flags = parse_flags("kube-apiserver", version, argv)
    check_flags(flags)
    etcd = etcd_client(flags)
    api = Api(etcd, version, flags.get("service-cluster-ip-range", "10.0.0.0/24"))
    port = int(flags.get("secure-port", "6443"))
    advertise = flags.get("advertise-address") or flags.get("bind-address") or "127.0.0.1"
    api.ensure_defaults(advertise if advertise != "0.0.0.0" else "127.0.0.1", port)
    if flags.get("tls-cert-file"):
        cert, key = Path(flags["tls-cert-file"]), Path(flags["tls-private-key-file"])
    else:
        cert, key = self_signed_cert(
            Path(flags.get("cert-dir") or "/var/run/kubernetes"), "apiserver"
        )
    client_ca = Path(flags["client-ca-file"]) if flags.get("client-ca-file") else None
    handler = type(
        "ApiHandler",
        (Handler,),
        {
            "api": api,
            "anonymous": flag_true(flags, "anonymous-auth", True),
            "bootstrap_tokens": flag_true(flags, "enable-bootstrap-token-auth"),
        },
    )
    host = flags.get("bind-address", "0.0.0.0")
    server = bind_server((host, port), handler, "the secure port")
    serve(server, serving_context(cert, key, client_ca), "https")
    log(f"Serving securely on {host}:{port} (kubexm stand-in {version}, etcd {etcd.servers})")
    sd_notify_ready()
    while True:
        time.sleep(3600)

import json
import re
from typing import Any

import pytest
from ruamel.yaml import YAML

from kubexm.apis.schema import json_schema
from kubexm.config.sample import render_sample


def test_schema_is_json_with_canonical_keys() -> None:
    schema = json_schema()
    assert schema["$schema"].startswith("https://json-schema.org/")
    text = json.dumps(schema)
    for key in ("controlPlaneEndpoint", "roleGroups", "kubePodsCIDR", "internalLoadbalancer"):
        assert f'"{key}"' in text
    assert '"role_groups"' not in text


def test_schema_forbids_unknown_keys_and_knows_the_unions() -> None:
    schema = json_schema()
    cluster_spec = schema["$defs"]["ClusterSpec"]
    assert cluster_spec["additionalProperties"] is False
    assert "oneOf" in json.dumps(cluster_spec["properties"]["etcd"])
    assert set(schema["required"]) == {"metadata", "spec"}


# jsonschema is not a dependency: a small checker for the keywords the exported schema uses
# (``$ref``, ``anyOf``/``oneOf``, ``type``, ``pattern``, ``enum``/``const``, object and array).
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def _problems(value: Any, node: dict[str, Any], defs: dict[str, Any], path: str) -> list[str]:
    if "$ref" in node:
        return _problems(value, defs[node["$ref"].rsplit("/", 1)[1]], defs, path)
    for key in ("anyOf", "oneOf"):
        if key in node:
            tries = [_problems(value, sub, defs, path) for sub in node[key]]
            return [] if any(not t for t in tries) else min(tries, key=len)
    wanted = node.get("type")
    is_bool_as_number = isinstance(value, bool) and wanted in ("number", "integer")
    if wanted and (not isinstance(value, _TYPES[wanted]) or is_bool_as_number):
        return [f"{path}: {value!r} is not {wanted}"]
    if "pattern" in node and isinstance(value, str) and not re.search(node["pattern"], value):
        return [f"{path}: {value!r} does not match {node['pattern']}"]
    if ("enum" in node and value not in node["enum"]) or node.get("const", value) != value:
        return [f"{path}: {value!r} is not allowed"]
    if isinstance(value, list):
        return [
            p
            for i, v in enumerate(value)
            for p in _problems(v, node.get("items", {}), defs, f"{path}[{i}]")
        ]
    if isinstance(value, dict):
        return _object_problems(value, node, defs, path)
    return []


def _object_problems(
    value: dict[str, Any], node: dict[str, Any], defs: dict[str, Any], path: str
) -> list[str]:
    props: dict[str, Any] = node.get("properties", {})
    extra = node.get("additionalProperties", {})
    found: list[str] = []
    for key, item in value.items():
        sub = props.get(key, extra)
        if sub is False:
            found.append(f"{path}.{key}: not allowed")
        elif isinstance(sub, dict):
            found += _problems(item, sub, defs, f"{path}.{key}")
    return found


def test_the_full_sample_validates_against_the_exported_schema() -> None:
    schema = json_schema()
    sample = YAML(typ="safe").load(render_sample("all"))
    assert sample["spec"]["global"]["connectionTimeout"] == "10s"
    assert _problems(sample, schema, schema["$defs"], "") == []


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        pytest.param("10s", True, id="seconds-text"),
        pytest.param("1m30s", True, id="parts"),
        pytest.param("250ms", True, id="millis"),
        pytest.param("2.5", True, id="numeric-text"),
        pytest.param(7, True, id="number"),
        pytest.param("ten", False, id="word"),
        pytest.param("10x", False, id="bad-unit"),
        pytest.param(0, False, id="zero"),
    ],
)
def test_seconds_fields_accept_numbers_and_duration_text(value: object, ok: bool) -> None:
    schema = json_schema()
    node = schema["$defs"]["GlobalSpec"]["properties"]["connectionTimeout"]
    branches = node["anyOf"]
    number, text = branches[0], branches[1]
    if isinstance(value, str):
        assert (re.search(text["pattern"], value) is not None) is ok
    else:
        assert isinstance(value, int) and (value > number["exclusiveMinimum"]) is ok


def test_schema_has_the_keepalived_block_with_the_router_id_range() -> None:
    schema = json_schema()
    cpe = schema["$defs"]["ControlPlaneEndpoint"]["properties"]
    assert "keepalived" in cpe
    block = schema["$defs"]["Keepalived"]
    assert block["additionalProperties"] is False
    assert set(block["properties"]) == {"virtualRouterId", "unicast"}
    (number, _null) = block["properties"]["virtualRouterId"]["anyOf"]
    assert (number["minimum"], number["maximum"]) == (1, 255)
    unicast = block["properties"]["unicast"]
    assert (unicast["type"], unicast["default"]) == ("boolean", False)

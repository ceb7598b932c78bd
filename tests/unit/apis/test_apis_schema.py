import json

from kubexm.apis.schema import json_schema


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

"""JSON Schema of the config document, for editors and ``kubexm config schema``."""

from __future__ import annotations

from typing import Any

from kubexm.common import types as t

from .v1alpha1.cluster import Cluster

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``kind: Cluster`` with the canonical key names."""
    schema = Cluster.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = SCHEMA_URI
    schema["$id"] = f"https://{t.API_GROUP}/schemas/cluster-v1alpha1.json"
    schema["title"] = "kubexm Cluster"
    return schema

"""Turn pydantic validation errors into ``FieldProblem``s with YAML paths and hints.

pydantic reports a location such as ``('spec', 'kubernetes', 'containerRuntime', 'containerd',
'containerd', 'foo')``; the walk below follows the model classes along it so that union tags
(the second ``containerd``) are dropped, list indexes print as ``[3]``, and an unknown key can
be compared with the keys that model does accept.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from kubexm.apis.v1alpha1.base import keys_of
from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.errors import FieldProblem
from kubexm.util.suggest import did_you_mean

_HINTS = {
    "missing": "add this field",
    "int_parsing": "write a whole number",
    "int_type": "write a whole number",
    "int_from_float": "write a whole number",
    "float_parsing": "write a number",
    "float_type": "write a number",
    "bool_parsing": "write true or false",
    "bool_type": "write true or false",
    "string_type": "write a text value (quote it if YAML reads it as something else)",
    "list_type": "write a YAML list (lines starting with '- ')",
    "dict_type": "write a YAML mapping (key: value lines)",
    "model_type": "write a YAML mapping (key: value lines)",
    "model_attributes_type": "write a YAML mapping (key: value lines)",
    "greater_than": "use a larger value",
    "greater_than_equal": "use a larger value",
    "less_than": "use a smaller value",
    "less_than_equal": "use a smaller value",
    "too_short": "add at least one entry",
    "string_too_short": "write a non-empty value",
    "string_pattern_mismatch": "use letters, digits, '-', '_' and '.' only",
}
_VALUE_HINT = "see `kubexm config schema` for the expected format"

# The callable discriminators of the unions and the key each reads.
_DISCRIMINATOR_KEYS = {"runtime_tag()": "type", "etcd_tag()": "type", "network_tag()": "plugin"}


@dataclass
class _Where:
    """Where a location led: the printable path, the model it stopped in, union context."""

    path: str = ""
    model: type[BaseModel] | None = None
    key: str | int | None = None
    tag: str | None = None
    other_variant_keys: set[str] = field(default_factory=set)


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional wrappers; keep real unions of several models."""
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if _is_union(annotation):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _variants(annotation: Any) -> dict[str, type[BaseModel]]:
    """Tag -> model for a discriminated union written as ``Annotated[Model, Tag(x)] | ...``."""
    found: dict[str, type[BaseModel]] = {}
    for member in typing.get_args(annotation):
        if typing.get_origin(member) is not typing.Annotated:
            continue
        model, *meta = typing.get_args(member)
        for item in meta:
            tag = getattr(item, "tag", None)
            if isinstance(tag, str) and isinstance(model, type):
                found[tag] = model
    return found


def canonical_keys(model: type[BaseModel]) -> list[str]:
    """The canonical key of each field of ``model`` (no old spellings)."""
    names: list[str] = []
    for name, info in model.model_fields.items():
        choices = getattr(info.validation_alias, "choices", None)
        names.append(str(choices[0]) if choices else str(info.alias or name))
    return names


def _field_annotation(info: FieldInfo) -> Any:
    if info.discriminator is not None or info.metadata:
        return typing.Annotated[(info.annotation, *info.metadata)]
    return info.annotation


def _step(where: _Where, annotation: Any, item: str | int) -> Any:
    """Consume one location item; return the annotation below it (None when unknown)."""
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        where.path += f".{item}"
        info = keys_of(annotation).get(str(item))
        if info is None:
            where.model, where.key = annotation, item
            return None
        return _field_annotation(info)
    if origin is list and isinstance(item, int):
        where.path += f"[{item}]"
        return typing.get_args(annotation)[0]
    if origin is dict:
        where.path += f".{item}"
        return typing.get_args(annotation)[1]
    where.path += f"[{item}]" if isinstance(item, int) else f".{item}"
    return None


def locate(loc: tuple[str | int, ...]) -> _Where:
    """Follow ``loc`` through the Cluster model; see the module docstring."""
    where = _Where()
    annotation: Any = Cluster
    for item in loc:
        if item == "[key]":
            continue
        annotation = _unwrap(annotation)
        variants = _variants(annotation) if _is_union(annotation) else {}
        if variants and item in variants:
            where.tag = str(item)
            others = (m for tag, m in variants.items() if tag != item)
            where.other_variant_keys = {key for m in others for key in keys_of(m)}
            annotation = variants[str(item)]
            continue
        annotation = _step(where, annotation, item)
    where.path = where.path.lstrip(".")
    return where


def _unknown_key(where: _Where) -> FieldProblem:
    key = str(where.key)
    if where.tag and key in where.other_variant_keys:
        return FieldProblem(
            where.path,
            f"{key!r} does not apply to type {where.tag!r}",
            f"remove {key!r} or change the type it belongs to",
        )
    candidates = list(keys_of(where.model)) if where.model else []
    glued = re.match(r"([A-Za-z]+):\S", key)
    if glued and glued.group(1) in candidates:
        # ``password:value`` without a blank is one key to YAML
        name = glued.group(1)
        return FieldProblem(
            where.path, f"unknown key {key!r}", f"put a space after the colon: '{name}: ...'"
        )
    guess = did_you_mean(key, candidates)
    canonical = sorted(canonical_keys(where.model)) if where.model else []
    hint = f"did you mean {guess!r}?" if guess else f"known keys: {', '.join(canonical)}"
    return FieldProblem(where.path, f"unknown key {key!r}", hint)


def _choices(text: str) -> list[str]:
    return [part.strip(" '") for part in text.replace(" or ", ",").split(",") if part.strip()]


def _message(error: ErrorDetails, where: _Where) -> FieldProblem:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return _unknown_key(where)
    if kind == "value_error":
        # Validators write "what is wrong; how to fix it".
        text = str(ctx.get("error", error["msg"]))
        message, _, hint = text.partition("; ")
        return FieldProblem(where.path, message, hint or _VALUE_HINT)
    if kind == "literal_error":
        expected = _choices(str(ctx.get("expected", "")))
        value = error.get("input")
        guess = did_you_mean(str(value), expected) if isinstance(value, str) else None
        hint = f"did you mean {guess!r}?" if guess else f"use one of: {', '.join(expected)}"
        return FieldProblem(where.path, f"{value!r} is not allowed", hint)
    if kind == "union_tag_invalid":
        expected = _choices(str(ctx.get("expected_tags", "")))
        tag = str(ctx.get("tag", ""))
        guess = did_you_mean(tag, expected)
        hint = f"did you mean {guess!r}?" if guess else f"use one of: {', '.join(expected)}"
        key = _DISCRIMINATOR_KEYS.get(str(ctx.get("discriminator", "")), "type")
        return FieldProblem(f"{where.path}.{key}", f"unknown type {tag!r}", hint)
    if kind == "missing":
        return FieldProblem(where.path, "is required", _HINTS[kind])
    message = error["msg"][:1].lower() + error["msg"][1:]
    return FieldProblem(where.path, message, _HINTS.get(kind, ""))


def problems_from(err: ValidationError) -> list[FieldProblem]:
    """One problem per pydantic error, in document order, with paths like ``spec.hosts[3]``.

    Messages never quote the value of a secret field: pydantic's texts for SecretStr fields do
    not carry the input, and the loader masks every known secret afterwards as well.
    """
    problems = [_message(error, locate(tuple(error["loc"]))) for error in err.errors()]
    return list(dict.fromkeys(problems))

"""Load a cluster config: read → parse → defaults and host ranges → validate every rule.

Every problem is collected before anything is raised, so the user sees all of them at once,
each with its path (``spec.hosts[3].address``) and a hint. Secret values found in the file
(passwords, private keys, registry auths) are masked in every message.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from kubexm.apis.v1alpha1.cluster import Cluster
from kubexm.common import types as t
from kubexm.errors import ConfigError, FieldProblem
from kubexm.util.redact import redact
from kubexm.util.yamlio import YAMLSyntaxError, load_yaml_plain

from . import rules_hosts, rules_sections, rules_topology
from .problems import problems_from
from .rules_common import Findings
from .secrets import secrets_in_data, secrets_in_text

STDIN = "-"


@dataclass
class LoadedConfig:
    """A valid config: the model, warnings to show, secrets to mask, the plain document."""

    cluster: Cluster
    warnings: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


def load(
    source: str | Path, *, allow_unsupported: bool = False, stdin: TextIO | None = None
) -> LoadedConfig:
    """Load and validate the config at ``source`` (a path, or ``"-"`` for stdin).

    Raises ``ConfigError`` listing every problem: an unreadable file, YAML syntax, unknown
    keys, wrong types and every rule of the config model. A Kubernetes version outside the
    supported minors is an error unless ``allow_unsupported`` (then a warning).
    """
    if str(source) == STDIN:
        text, name = (stdin or sys.stdin).read(), "<stdin>"
    else:
        name = str(source)
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            reason = getattr(err, "strerror", None) or type(err).__name__
            problem = FieldProblem("", f"cannot read {name}: {reason}", "check the path to -f")
            raise ConfigError([problem]) from None
    return load_text(text, source=name, allow_unsupported=allow_unsupported)


def load_text(text: str, *, source: str = "", allow_unsupported: bool = False) -> LoadedConfig:
    """Parse YAML (or JSON) ``text`` and validate it as ``load`` does."""
    try:
        data = load_yaml_plain(text, source=source)
    except YAMLSyntaxError as err:
        if err.line:
            message = f"YAML syntax error at column {err.column}: {err.message}"
            problem = FieldProblem(f"line {err.line}", message, _yaml_hint(err.message))
        else:  # about the whole document (e.g. too large once aliases are expanded)
            problem = FieldProblem("", f"YAML error: {err.message}")
        raise _masked([problem], secrets_in_text(text)) from None
    return validate_data(data, allow_unsupported=allow_unsupported)


_YAML_HINT = "fix the YAML at that line (indentation, a missing ':' or an unclosed quote)"
# A password such as *Pa55 or !Pa55, unquoted, is read as an alias or a tag.
_INDICATOR_HINT = "quote a value that starts with *, & or !: YAML reads it as an alias or a tag"


def _yaml_hint(message: str) -> str:
    if "undefined alias" in message or "constructor for the tag" in message:
        return _INDICATOR_HINT
    return _YAML_HINT


def validate_data(data: Any, *, allow_unsupported: bool = False) -> LoadedConfig:
    """Validate an already parsed document; raises ``ConfigError`` with every problem."""
    if not isinstance(data, dict):
        problem = FieldProblem(
            "", "the config is not a YAML mapping", "start from `kubexm config sample`"
        )
        raise ConfigError([problem])
    secrets = secrets_in_data(data)
    warnings = _api_version_warnings(data)
    try:
        cluster = Cluster.model_validate(data)
    except ValidationError as err:
        raise _masked(problems_from(err), secrets) from None
    findings = Findings(allow_unsupported=allow_unsupported)
    for module in (rules_hosts, rules_topology, rules_sections):
        module.check(cluster, findings)
    if findings.problems:
        raise _masked(findings.problems, secrets)
    warnings.extend(redact(w, secrets) for w in findings.warnings)
    return LoadedConfig(cluster=cluster, warnings=warnings, secrets=secrets, raw=data)


def _api_version_warnings(data: dict[str, Any]) -> list[str]:
    version = data.get("apiVersion")
    if version in t.DEPRECATED_API_VERSIONS:
        return [f"apiVersion {version} is deprecated; write apiVersion: {t.API_VERSION}"]
    return []


def _masked(problems: list[FieldProblem], secrets: list[str]) -> ConfigError:
    """A ConfigError whose paths, messages and hints show no secret value."""
    if not secrets:
        return ConfigError(problems)
    clean = [
        replace(
            p,
            path=redact(p.path, secrets),
            message=redact(p.message, secrets),
            hint=redact(p.hint, secrets),
        )
        for p in problems
    ]
    return ConfigError(clean)

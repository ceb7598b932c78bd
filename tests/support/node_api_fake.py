"""The Node objects a master's kubectl sees, changed by ``kubectl label`` and ``kubectl taint``
(as the node-label step calls them)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable
from typing import Any

from fakeconn import OK, FakeConnection

from kubexm.connector.base import Result


class NodeApi:
    """Node objects by name; a name not registered yet reads as not found."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.nodes: dict[str, dict[str, Any]] = {}
        for name in names:
            self.register(name)

    def register(self, name: str) -> None:
        self.nodes.setdefault(name, {"metadata": {"labels": {}}, "spec": {}})

    def install(self, fake: FakeConnection) -> None:
        """Answer the step's kubectl calls on ``fake`` (the apiserver always ready)."""
        fake.script("get --raw /readyz", OK)
        for pattern in (r" get node (\S+) -o json", r" (label|taint) node "):
            fake.script(pattern, lambda cmd, _: self.call(shlex.split(cmd)), regex=True)

    def handles(self, argv: list[str]) -> bool:
        return "node" in argv and any(verb in argv for verb in ("get", "label", "taint"))

    def call(self, argv: list[str]) -> Result:
        """``get node N -o json --ignore-not-found``, ``label node N --overwrite k=v ...`` or
        ``taint node N --overwrite key[=value]:effect ...``."""
        verb = next(v for v in ("label", "taint", "get") if v in argv)
        name = argv[argv.index(verb) + 2]
        node = self.nodes.get(name)
        if verb == "get":
            return Result(0, json.dumps(node) if node is not None else "", "")
        assert node is not None, f"{verb} of an unregistered node {name}"
        for item in argv[argv.index("--overwrite") + 1 :]:
            if verb == "label":
                key, _, value = item.partition("=")
                node["metadata"]["labels"][key] = value
            else:
                key, _, effect = item.rpartition(":")
                node["spec"].setdefault("taints", []).append({"key": key, "effect": effect})
        return OK

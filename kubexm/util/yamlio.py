"""YAML load and dump with ruamel.yaml.

``load_yaml`` keeps comments and key order (round-trip containers, which behave as dict and
list), so a file can be edited and written back without losing the user's notes.
``load_yaml_plain`` returns plain dict/list/scalars. Both reject duplicate keys and more than
one document, and raise ``YAMLSyntaxError`` for anything they cannot read.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError, YAMLFutureWarning, YAMLWarning
from ruamel.yaml.scalarstring import LiteralScalarString
from ruamel.yaml.tokens import (
    AliasToken,
    AnchorToken,
    FlowMappingEndToken,
    FlowMappingStartToken,
    FlowSequenceEndToken,
    FlowSequenceStartToken,
    KeyToken,
    ScalarToken,
    TagToken,
    Token,
    ValueToken,
)

from kubexm.util.docerror import DocumentSyntaxError

# Wide enough that certificates and long flags are never folded onto several lines.
_WIDTH = 4096
_DUPLICATE_KEY = re.compile(r'found duplicate key "(.*?)" with value')


class YAMLSyntaxError(DocumentSyntaxError):
    """YAML text that does not parse; see ``DocumentSyntaxError`` for the fields."""


def _round_trip() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.width = _WIDTH
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.preserve_quotes = True
    return yaml


def _plain() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.allow_duplicate_keys = False
    return yaml


def _problem(err: MarkedYAMLError) -> str:
    if isinstance(err, DuplicateKeyError):
        # ruamel's own text quotes both values, which may be a password.
        match = _DUPLICATE_KEY.search(str(err.problem))
        key = match.group(1) if match else "?"
        return f"duplicate key {key!r}"
    problem = str(err.problem or "")
    if err.context and (not problem or problem.startswith("but ")):
        # Composer errors split one sentence: "expected a single document", "but found ...".
        problem = f"{err.context}, {problem}" if problem else str(err.context)
    return problem or "invalid YAML"


def _translate(err: YAMLError, source: str) -> YAMLSyntaxError:
    if isinstance(err, MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        return YAMLSyntaxError(_problem(err), line, column, source)
    return YAMLSyntaxError("invalid YAML", 0, 0, source)


# Aliases let a few lines name a structure of billions of nodes ("billion laughs"); every
# consumer walks the data, so the expanded size is capped right after parsing.
MAX_NODES = 1_000_000


# What ruamel's constructors raise, unwrapped, for a value that does not fit its explicit tag
# (`!!int abc`, `!!bool abc`, `!!omap abc`): their texts quote the value, which may be a secret.
_CONSTRUCT_ERRORS = (ValueError, LookupError, TypeError, AttributeError)
_STANDARD_TAG = "tag:yaml.org,2002:"


def _load(yaml: YAML, text: str, source: str) -> Any:
    data = _guarded(lambda: yaml.load(text), source)
    _check_expanded_size(data, source)
    return data


def _guarded(parse: Callable[[], Any], source: str) -> Any:
    """Run ``parse``, turning every way ruamel fails into a ``YAMLSyntaxError`` whose text
    quotes no value, and keeping its warnings off the terminal."""
    try:
        with warnings.catch_warnings():
            # ruamel warns about a reused anchor by printing both lines of the document, which
            # may hold a password; redefining an anchor is valid YAML, so the warning goes.
            warnings.simplefilter("ignore", YAMLWarning)
            warnings.simplefilter("ignore", YAMLFutureWarning)
            return parse()
    except YAMLError as err:
        raise _translate(err, source) from None
    except RecursionError:
        raise YAMLSyntaxError("the document is nested too deeply", source=source) from None
    except _CONSTRUCT_ERRORS as err:
        raise _construct_error(err.__traceback__, source) from None


def _construct_error(trace: TracebackType | None, source: str) -> YAMLSyntaxError:
    """A ``YAMLSyntaxError`` at the node ruamel was building when it failed, without the
    exception's own text (it quotes the value)."""
    node = None
    while trace is not None:  # the innermost frame holding a node is the one that failed
        node = trace.tb_frame.f_locals.get("node", node)
        trace = trace.tb_next
    mark = getattr(node, "start_mark", None)
    tag = str(getattr(node, "tag", "") or "")
    shown = f"!!{tag.removeprefix(_STANDARD_TAG)}" if tag.startswith(_STANDARD_TAG) else "its tag"
    message = f"the value cannot be read as {shown}"
    if mark is None:
        return YAMLSyntaxError(message, source=source)
    return YAMLSyntaxError(message, mark.line + 1, mark.column + 1, source)


def _check_expanded_size(data: Any, source: str) -> None:
    """Raise ``YAMLSyntaxError`` when ``data`` has more than ``MAX_NODES`` nodes once every
    alias is expanded; stops counting as soon as the cap is passed."""
    stack, count = [data], 0
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise YAMLSyntaxError(
                f"the document expands to more than {MAX_NODES} values"
                " (anchors and aliases nested too deep?)",
                source=source,
            )
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def load_yaml(text: str, *, source: str = "") -> Any:
    """Parse one YAML document into comment-keeping containers; empty text gives None.

    Raises ``YAMLSyntaxError`` (a ``ValueError``) with line and column on bad syntax,
    duplicate keys or several documents. ``source`` names the file in the error.
    """
    return _load(_round_trip(), text, source)


def load_yaml_plain(text: str, *, source: str = "") -> Any:
    """Parse one YAML document into plain dict, list and scalars; errors as ``load_yaml``."""
    return _load(_plain(), text, source)


def load_yaml_file(path: str | Path) -> Any:
    """Read and parse a YAML file as ``load_yaml`` does.

    Raises ``OSError`` when the file cannot be read and ``YAMLSyntaxError`` naming the file
    when it does not parse.
    """
    file = Path(path)
    return load_yaml(file.read_text(encoding="utf-8"), source=str(file))


def dump_yaml(data: Any) -> str:
    """Serialise ``data`` (round-trip containers or plain values) to YAML text.

    Comments and key order of loaded documents are kept; lists are indented under their key.
    """
    stream = io.StringIO()
    _round_trip().dump(data, stream)
    return stream.getvalue()


def load_yaml_all(text: str, *, source: str = "") -> list[Any]:
    """Parse a multi-document YAML stream (a Kubernetes manifest) into comment-keeping
    containers; empty documents are dropped. Errors as ``load_yaml``."""
    docs: list[Any] = _guarded(
        lambda: [doc for doc in _round_trip().load_all(text) if doc is not None], source
    )
    for doc in docs:
        _check_expanded_size(doc, source)
    return docs


def dump_yaml_all(docs: list[Any]) -> str:
    """Serialise several documents as one ``---``-separated stream (``dump_yaml`` per item)."""
    stream = io.StringIO()
    _round_trip().dump_all(docs, stream)
    return stream.getvalue()


def literal_block(text: str) -> str:
    """``text`` marked to be dumped as a ``|`` block (multi-line config files in a
    ConfigMap stay readable instead of one quoted line of ``\\n`` escapes)."""
    block: str = LiteralScalarString(text)
    return block


def token_texts(text: str, *, under_keys: Iterable[str] | None = None) -> list[str]:
    """The name of every alias, anchor and tag and the value of every scalar in ``text``, as
    YAML's scanner reads them (quotes and escapes removed, ``%21`` in a tag decoded): the
    spellings a YAML error message quotes.

    With ``under_keys``, only the tokens of the values of mapping keys among them: scalars,
    aliases, tags and anchors up to the next key, and a flow collection to its end. Scanning
    stops quietly at the first scanner error; the tokens before it are returned.
    """
    tokens = list(_scan(text))
    if under_keys is not None:
        tokens = _values_under(tokens, frozenset(under_keys))
    texts: list[str] = []
    for token in tokens:
        if isinstance(token, TagToken):
            handle, suffix = token.value
            texts.extend([handle or "", suffix or "", f"{handle or ''}{suffix or ''}"])
        elif isinstance(token, (AliasToken, AnchorToken, ScalarToken)):
            texts.append(str(token.value))
    return list(dict.fromkeys(text for text in texts if text))


def _scan(text: str) -> Iterator[Token]:
    try:
        yield from _plain().scan(text)
    except YAMLError:
        return


_OPENERS = (FlowSequenceStartToken, FlowMappingStartToken)
_CLOSERS = (FlowSequenceEndToken, FlowMappingEndToken)
_NODE_TOKENS = (TagToken, AnchorToken, ScalarToken, AliasToken)


def _values_under(tokens: list[Token], keys: frozenset[str]) -> list[Token]:
    """The tokens of each value whose key (the scalar right after a ``KeyToken``) is in
    ``keys``: its scalars, aliases, tags and anchors up to the next key, and a flow collection
    to its end."""
    picked: list[Token] = []
    for at in range(2, len(tokens)):
        key, name, value = tokens[at - 2 : at + 1]
        if not (isinstance(key, KeyToken) and isinstance(value, ValueToken)):
            continue
        if isinstance(name, ScalarToken) and name.value in keys:
            picked.extend(_one_value(tokens[at + 1 :]))
    return picked


def _one_value(tokens: list[Token]) -> list[Token]:
    # Everything up to the next key or block token, not just the first node: what follows
    # a complete value on its line is an error of that same value.
    taken: list[Token] = []
    depth = 0
    for token in tokens:
        if isinstance(token, _OPENERS):
            depth += 1
        elif isinstance(token, _CLOSERS):
            depth -= 1
        elif depth <= 0 and not isinstance(token, _NODE_TOKENS):
            break
        taken.append(token)
    return taken

"""Parse configuration text (TOML, YAML, JSON) defensively.

Every audited file is untrusted: parsers here never construct arbitrary objects, refuse
YAML alias bombs and absurd nesting, and turn every failure into `ParseError` carrying one
line of explanation (with a line number when the parser gives one). Callers record that
as a report problem and go on.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

MAX_ALIASES = 5000  # aliases themselves are cheap; what they expand to is bounded below
MAX_DEPTH = 200
MAX_EXPANDED_NODES = 1_000_000  # a document whose aliases expand past this is an alias bomb
C_LOADER_MAX_NESTING = 1000  # libyaml's composer recurses in C: deeper input crashes it


class ParseError(Exception):
    """The text could not be parsed; str(self) is a one-line reason."""


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or exc.__class__.__name__


def load_toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise ParseError("TOML nested too deeply") from None
    except Exception as exc:  # tomllib raises TOMLDecodeError, but be total
        raise ParseError(f"invalid TOML: {_one_line(exc)}") from None


def load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise ParseError("JSON nested too deeply") from None
    except ValueError as exc:
        raise ParseError(f"invalid JSON: {_one_line(exc)}") from None


_ANCHOR = re.compile(r"(?:^|[\s\[{,:-])&[^\s,\[\]{}]")
_INDENT = re.compile(r"^[ ]+", re.MULTILINE)
_LEADING_INDICATORS = re.compile(r"^[ \t]*(?:[-?:](?:[ \t]+|$)){2,}", re.MULTILINE)


def _yaml_module():
    import yaml  # lazily: PyYAML costs start-up time and most runs parse little YAML

    return yaml


def _nesting_bound(text: str) -> int:
    """An upper bound on how deeply `text` can nest YAML collections, computed in C loops.

    Collections nest through flow brackets, through deeper indentation, or through several
    block indicators on one line (`- - - x`); the sum of the three bounds the depth.
    """
    bound = _flow_depth(text)
    if bound > C_LOADER_MAX_NESTING:
        return bound
    bound += max(map(len, _INDENT.findall(text)), default=0)
    runs = _LEADING_INDICATORS.findall(text)
    if runs:
        bound += max(r.count("-") + r.count("?") + r.count(":") for r in runs)
    return bound


_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_ALIAS = re.compile(r"(?:^|[\s\[{,:-])\*[^\s,\[\]{}]")


def _flow_depth(text: str) -> int:
    """How deeply flow brackets nest (brackets inside strings count too: an over-estimate)."""
    depth = best = 0
    for ch in _NOT_BRACKET.sub("", text):
        if ch in "[{":
            depth += 1
            if depth > best:
                best = depth
        elif depth:
            depth -= 1
    return best


def _expanded_size(root, yaml, max_nodes: int = MAX_EXPANDED_NODES) -> int:
    """Nodes of the document once every alias is expanded; ParseError on a recursive alias
    or nesting deeper than MAX_DEPTH.

    PyYAML shares aliased nodes, so composing is cheap, but any consumer that walks the
    data (or serialises it) pays the expanded size: nine aliases of nine aliases of ... is a
    "billion laughs" document. Memoised and iterative: linear in the composed graph.
    """
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[object, bool]] = [(root, False)]
    while stack:
        if len(visiting) > MAX_DEPTH:
            raise ParseError("YAML nested too deeply")
        node, done = stack.pop()
        key = id(node)
        if done:
            visiting.discard(key)
            if isinstance(node, yaml.MappingNode):
                children = [c for pair in node.value for c in pair]
            else:
                children = node.value
            total = 1 + sum(sizes[id(c)] for c in children)
            if total > max_nodes:
                raise ParseError(f"YAML aliases expand to more than {max_nodes:,} nodes "
                                 "(possible alias bomb)")
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = 1
            continue
        if key in visiting:
            raise ParseError("YAML alias refers to a node that contains it (recursive alias)")
        visiting.add(key)
        stack.append((node, True))
        children = [c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode) else node.value
        for child in children:
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes.get(id(root), 0)


def _counting_loader(yaml):
    """A pure-Python SafeLoader that refuses alias bombs, recursive aliases and deep nesting."""
    from auditor.budget import checkpoint

    class CountingLoader(yaml.SafeLoader):
        def __init__(self, stream):
            super().__init__(stream)
            self._aliases = 0
            self._depth = 0

        def compose_node(self, parent, index):
            checkpoint()  # cooperative deadline where no timer signal can interrupt us
            if self.check_event(yaml.AliasEvent):
                self._aliases += 1
                if self._aliases > MAX_ALIASES:
                    raise ParseError(f"YAML uses more than {MAX_ALIASES} aliases (possible alias bomb)")
            self._depth += 1
            try:
                if self._depth > MAX_DEPTH:
                    raise ParseError("YAML nested too deeply")
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

        def compose_document(self):
            node = super().compose_document()
            if node is not None and self._aliases:
                _expanded_size(node, yaml)
            return node

    return CountingLoader


_LOADER_CACHE: list = []


def _safe_loader(yaml):
    if not _LOADER_CACHE:
        _LOADER_CACHE.append(_counting_loader(yaml))
    return _LOADER_CACHE[0]


def load_yaml_all(text: str) -> list[Any]:
    """All documents of a YAML stream (Kubernetes manifests hold several).

    libyaml (C) composes the node graph when the text cannot nest deeper than its recursive
    composer survives; the graph is then checked (alias expansion, recursion, depth) before
    anything is constructed. Otherwise the pure-Python loader checks as it composes.
    """
    yaml = _yaml_module()
    bound = _nesting_bound(text)
    use_c = hasattr(yaml, "CSafeLoader") and bound <= C_LOADER_MAX_NESTING
    check_graph = use_c and (bound > MAX_DEPTH or (_ANCHOR.search(text) is not None
                                                   and _ALIAS.search(text) is not None))
    loader = yaml.CSafeLoader(text) if use_c else _safe_loader(yaml)(text)
    return compose_documents(yaml, loader, loader.construct_document, check_graph=check_graph)


def compose_documents(yaml, loader, build, *, check_graph: bool = True,
                      max_nodes: int = MAX_EXPANDED_NODES) -> list[Any]:
    """Drive a PyYAML loader one document at a time; every failure becomes ParseError.

    Each composed node graph is checked for alias expansion and depth (when `check_graph`)
    before `build(node)` turns it into data, so no consumer ever walks an alias bomb.
    Shared by the plain loader here and the line-keeping CI loader (facts/ci_yaml.py).
    """
    try:
        docs = []
        while loader.check_node():
            node = loader.get_node()
            if check_graph and node is not None:
                _expanded_size(node, yaml, max_nodes)
            docs.append(build(node) if node is not None else None)
        return docs
    except ParseError:
        raise
    except RecursionError:
        raise ParseError("YAML nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or _one_line(exc)
        raise ParseError(f"invalid YAML{where}: {problem}") from None
    except Exception as exc:  # constructor errors on odd tags, etc.: be total
        raise ParseError(f"invalid YAML: {_one_line(exc)}") from None
    finally:
        loader.dispose()


def load_yaml(text: str) -> Any:
    docs = load_yaml_all(text)
    return docs[0] if docs else None

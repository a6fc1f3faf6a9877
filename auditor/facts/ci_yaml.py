"""Line-aware YAML for CI files, and splitting shell scripts into commands.

CI evidence should point at a line (`ci.yml:23 runs pytest`), but plain PyYAML data forgets
where things were. This loader composes the node graph with the same guards as
`auditor.parsing` (alias and depth limits, safe constructors only) and converts it into
`LMap`/`LSeq` - a dict and a list that also remember the line of each key and item.

It differs from `project.yaml()` on purpose in three ways that CI files need:
- unknown tags (`!reference [...]` in GitLab, `!Ref` elsewhere) do not fail the file: the
  tagged value is kept as plain data (`!reference` sequences become `Reference`);
- mapping keys stay strings as written (`on:` is "on", not True);
- floats stay as written (`python: [3.10]` is "3.10", not 3.1).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from auditor.parsing import ParseError, compose_documents

MAX_CI_YAML_BYTES = 2 * 1024 * 1024
MAX_EXPANDED_NODES = 200_000  # aliases may share nodes; walkers see them expanded
MAX_COMMAND_CHARS = 4000  # longer "commands" are data (base64, JSON); rules' regexes stay cheap


class LMap(dict):
    """A mapping that remembers its own line and the line of each key and value."""

    line: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = None
        self.key_lines: dict[Any, int] = {}
        self.value_lines: dict[Any, int] = {}
        self.value_styles: dict[Any, str | None] = {}

    def key_line(self, key: Any) -> int | None:
        return self.key_lines.get(key, self.line)

    def value_line(self, key: Any) -> int | None:
        return self.value_lines.get(key, self.key_line(key))


class LSeq(list):
    """A sequence that remembers its own line and the line of each item."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.line: int | None = None
        self.item_lines: list[int | None] = []
        self.item_styles: list[str | None] = []

    def item_line(self, index: int) -> int | None:
        if 0 <= index < len(self.item_lines):
            return self.item_lines[index]
        return self.line


class Reference(LSeq):
    """A GitLab `!reference [.job, key]` sequence, resolved by the GitLab extractor."""


def _scalar_line(node) -> int:
    """1-based line of a scalar's content (a block scalar's content starts below `|`)."""
    if getattr(node, "style", None) in ("|", ">"):
        return node.start_mark.line + 2
    return node.start_mark.line + 1


@lru_cache(maxsize=1)
def _loader_class():
    import yaml

    from auditor.parsing import _counting_loader

    return _counting_loader(yaml)


def _convert(node, loader, memo: dict[int, Any]) -> Any:
    import yaml

    key = id(node)
    if key in memo:
        return memo[key]
    if isinstance(node, yaml.MappingNode):
        out = LMap()
        out.line = node.start_mark.line + 1
        memo[key] = out
        try:
            loader.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
        except yaml.YAMLError:
            pass
        for knode, vnode in node.value:
            if isinstance(knode, yaml.ScalarNode):
                k: Any = knode.value
            else:
                k = repr(_convert(knode, loader, memo))
            out[k] = _convert(vnode, loader, memo)
            out.key_lines[k] = knode.start_mark.line + 1
            if isinstance(vnode, yaml.ScalarNode):
                out.value_lines[k] = _scalar_line(vnode)
                out.value_styles[k] = vnode.style
            else:
                out.value_lines[k] = vnode.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = Reference() if node.tag == "!reference" else LSeq()
        seq.line = node.start_mark.line + 1
        memo[key] = seq
        for item in node.value:
            seq.append(_convert(item, loader, memo))
            if isinstance(item, yaml.ScalarNode):
                seq.item_lines.append(_scalar_line(item))
                seq.item_styles.append(item.style)
            else:
                seq.item_lines.append(item.start_mark.line + 1)
                seq.item_styles.append(None)
        return seq
    # scalar
    value: Any
    if node.tag == "tag:yaml.org,2002:float" or not node.tag.startswith("tag:yaml.org,2002:"):
        value = node.value
    else:
        try:
            value = loader.construct_object(node, deep=True)
        except Exception:  # noqa: BLE001 - odd timestamps, binary...: keep the text
            value = node.value
    memo[key] = value
    return value


def load_yaml_lines(text: str) -> list[Any]:
    """All documents of `text` as LMap/LSeq/scalars; ParseError on invalid YAML."""
    import yaml

    if len(text) > MAX_CI_YAML_BYTES:
        raise ParseError(f"larger than {MAX_CI_YAML_BYTES // 1048576} MiB; not parsed as CI configuration")
    loader = _loader_class()(text)
    memo: dict[int, Any] = {}
    return compose_documents(yaml, loader, lambda node: _convert(node, loader, memo),
                             max_nodes=MAX_EXPANDED_NODES)


def load_ci_yaml(project, rel: str) -> list[Any] | None:
    """The documents of a CI YAML file (cached on the project), or None when unusable.

    Failures become a project problem ("unparsable: ...") exactly once, like project.yaml().
    """
    return project._parse(rel, "ci-yaml", load_yaml_lines)


# ---------------------------------------------------------------- shell scripts -> commands

_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][\w]*)\1")
_INSTALL = re.compile(
    r"(?:^|[\s;(])(?:sudo\s+(?:-\S+\s+)*)?(?:"
    r"(?:python[\d.]*|py(?:\s+-[\d.]+)?)\s+-m\s+(?:pip|ensurepip)\s+(?:install|download)"
    r"|(?:pip[\d.]*|pipx|conda|mamba|micromamba|apt-get|apt|apk|yum|dnf|zypper|brew|choco|"
    r"npm|yarn|pnpm|gem|cargo|go|poetry|pdm|pipenv|uv\s+pip|uv\s+tool|pip-sync)\s+(?:-\S+\s+)*"
    r"(?:install|add|download|sync|create|env\s+create|update|upgrade)"
    r"|uv\s+(?:sync|add|lock|venv|python\s+install)|poetry\s+lock"
    r"|(?:pre-commit|prek)\s+(?:install|install-hooks|autoupdate|gc|clean)"
    r")\b"
)
_INFO = re.compile(r"^(?:echo|printf|which|type|command\s+-v|true|exit)\b|(?:^|\s)(?:--version|-V|--help)\s*$")


def command_kind(text: str) -> str:
    """'install' (package/tool installation), 'info' (echo, --version...) or 'run'.

    Only 'run' commands count as a CI job running a tool: `pip install pytest` runs no test.
    """
    if _INFO.search(text):
        return "info"
    if _INSTALL.search(text):
        return "install"
    return "run"


def _split_operators(line: str) -> list[str]:
    """Split one shell line on `&&`, `||`, `;` and `|&` outside quotes and `$(...)`."""
    parts: list[str] = []
    buf: list[str] = []
    quote = ""
    depth = 0
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if quote:
            if c == "\\" and quote == '"' and i + 1 < n:
                buf.append(line[i:i + 2])
                i += 2
                continue
            if c == quote:
                quote = ""
            buf.append(c)
        elif c in "'\"`":
            quote = c
            buf.append(c)
        elif c == "$" and line.startswith("$(", i):
            depth += 1
            buf.append("$(")
            i += 2
            continue
        elif c == ")" and depth:
            depth -= 1
            buf.append(c)
        elif depth == 0 and (line.startswith("&&", i) or line.startswith("||", i)):
            parts.append("".join(buf))
            buf = []
            i += 2
            continue
        elif depth == 0 and c == ";":
            parts.append("".join(buf))
            buf = []
        elif depth == 0 and c == "#" and (i == 0 or line[i - 1].isspace()):
            break  # a comment runs to the end of the line
        else:
            buf.append(c)
        i += 1
    parts.append("".join(buf))
    return [p.strip() for p in parts if p.strip()]


def split_script(text: Any, line: int | None, *, folded: bool = False,
                 max_commands: int = 500) -> list[tuple[str, int | None]]:
    """Commands of a shell script as (command, line), one per simple command.

    Blank lines and comments are skipped, `\\` continuations joined (keeping the first line),
    heredoc bodies skipped, and `a && b; c` split into three commands on the same line.
    `line` is the line of the script's first line; a folded (`>`) scalar gets it for all.
    """
    if text is None or isinstance(text, (dict, list)):
        return []
    text = str(text)
    out: list[tuple[str, int | None]] = []
    lines = text.split("\n")
    pending = ""
    pending_line: int | None = None
    heredoc: str | None = None
    for idx, raw in enumerate(lines):
        cur_line = None if line is None else (line if folded else line + idx)
        stripped = raw.strip()
        if heredoc is not None:
            if stripped == heredoc:
                heredoc = None
            continue
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if not pending:
            pending_line = cur_line
        if stripped.endswith("\\") and not stripped.endswith("\\\\"):
            pending += stripped[:-1] + " "
            continue
        if stripped.endswith("`") and stripped.count("`") % 2 == 1:  # PowerShell continuation
            pending += stripped[:-1] + " "
            continue
        logical = (pending + stripped).strip()
        pending = ""
        m = _HEREDOC.search(logical)
        if m:
            heredoc = m.group(2)
        for part in _split_operators(logical):
            out.append((" ".join(part.split())[:MAX_COMMAND_CHARS], pending_line))
            if len(out) >= max_commands:
                return out
    if pending.strip():
        for part in _split_operators(pending):
            out.append((" ".join(part.split())[:MAX_COMMAND_CHARS], pending_line))
    return out


def flatten(value: Any, *, depth: int = 0, limit: int = 10, budget: list[int] | None = None) -> Iterator[Any]:
    """Items of a possibly nested list (GitLab flattens nested `script` arrays), bounded."""
    budget = budget if budget is not None else [2000]
    if depth > limit:
        return
    if isinstance(value, list):
        for item in value:
            if budget[0] <= 0:
                return
            if isinstance(item, list) and not isinstance(item, Reference):
                yield from flatten(item, depth=depth + 1, limit=limit, budget=budget)
            else:
                budget[0] -= 1
                yield item
    elif value is not None:
        budget[0] -= 1
        yield value


def as_map(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def as_seq(value: Any) -> list:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def key_line(container: Any, key: Any) -> int | None:
    return container.key_line(key) if isinstance(container, LMap) else None


def value_line(container: Any, key: Any) -> int | None:
    return container.value_line(key) if isinstance(container, LMap) else None


def is_folded(container: Any, key: Any) -> bool:
    return isinstance(container, LMap) and container.value_styles.get(key) == ">"


def item_line(seq: Any, index: int) -> int | None:
    return seq.item_line(index) if isinstance(seq, LSeq) else None


def own_line(value: Any) -> int | None:
    return getattr(value, "line", None)


def script_commands(value: Any, container: Any = None, key: Any = None) -> list[tuple[str, int | None]]:
    """Commands of a `script`-like value: a string (maybe a `|` block) or a (nested) list of them.

    Lines come from the container (for a string value) or the list's item lines.
    """
    out: list[tuple[str, int | None]] = []
    if isinstance(value, str):
        return split_script(value, value_line(container, key), folded=is_folded(container, key))
    if isinstance(value, (int, float, bool)):
        return split_script(str(value), value_line(container, key))
    if isinstance(value, list):
        _script_list(value, out, 0)
    return out


def _script_list(seq: list, out: list, depth: int) -> None:
    if depth > 10 or len(out) > 2000:
        return
    for i, item in enumerate(seq):
        if isinstance(item, Reference):
            continue  # resolved by the caller where it can be
        if isinstance(item, list):
            _script_list(item, out, depth + 1)
        elif isinstance(item, (str, int, float)):
            style = seq.item_styles[i] if isinstance(seq, LSeq) and i < len(seq.item_styles) else None
            out.extend(split_script(str(item), item_line(seq, i), folded=style == ">"))

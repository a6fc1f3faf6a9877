"""Calls to a few named functions, each parsed on its own instead of parsing the whole file.

Why: a rule such as DATA005 ("every split is seeded") must look at every `train_test_split`
call of a repository, and in a large ML monorepo thousands of modules make one. Parsing and
walking each whole module costs ~1 ms; finding the calls in the text and parsing only each
call expression costs a few percent of that.

`call_sites(text, names, package)` returns the `Call` records the full index would hold for
calls whose callee's last name is in `names` (except `target` and `discarded`, which are
left unknown: None and False), or None whenever it cannot promise exactly
that, and the caller then reads the parsed body. None comes back when any occurrence of a
name is not plainly a call, an import, a definition, a comment or text in a non-f-string:
an aliasing import (`import x as tts`), a callee that is not a dotted name (`f().split(`,
`(split)(x)`), a reference (`fn = split`), a name in a one-line string or an f-string, a local
name bound to two different imports, a call that does not parse alone, a very large file.
"""

from __future__ import annotations

import bisect
import re

from auditor.facts.pyimports import _prefix_state, _string_spans, scan_imports, string_end

MAX_TEXT = 512 * 1024      # larger files: the full parse (and its caps) decide
MAX_CALLS = 500            # more calls to the names in one file: the full parse decides
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_STRING_START = re.compile(r"[rRbBuUfF]{0,2}('''|\"\"\"|'|\")")
_IMPORT_AFTER_COLON = re.compile(r":[ \t]*(?:import|from)[ \t]")
_DEFINED = re.compile(r"(?<![\w])(?:def|class)[ \t]+$")


_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _occurrences(text: str, names: frozenset[str]) -> list[tuple[int, int]]:
    """(start, end) of each of `names` standing as a whole word in an ASCII `text`, in order.

    One `str.find` loop per name: several times faster than a regex alternation guarded by a
    look-behind, which `re` must try at every position. Whole words cannot overlap, so this
    is the set of matches of `(?<!\\w)(?:name|...)(?!\\w)`."""
    out = []
    n = len(text)
    for name in names:
        size = len(name)
        i = text.find(name)
        while i != -1:
            end = i + size
            if (i == 0 or text[i - 1] not in _WORD_CHARS) and (end == n or text[end] not in _WORD_CHARS):
                out.append((i, end))
            i = text.find(name, i + 1)
    out.sort()
    return out


def call_sites(text: str, names: frozenset[str], package: str | None = None) -> list | None:
    """`Call` records of the calls to `names` (last callee names) in `text`, or None (see the
    module docstring). In source order; line numbers as `ast` gives them."""
    if len(text) > MAX_TEXT or not text.isascii() or _IMPORT_AFTER_COLON.search(text):
        return None   # (the import scanner does not see `if x: import y`; the parser does)
    strings = _string_spans(text) if ('"""' in text or "'''" in text) else []
    binds: list[tuple[str, str, bool]] = []
    import_spans: list[tuple[int, int]] = []
    scan_imports(text, package, binds=binds, spans=import_spans, strings=strings)
    aliases = _aliases(binds, names)
    if aliases is None:
        return None
    import_starts = [s for s, _ in import_spans]
    found: list[tuple[int, str, int]] = []   # (callee start, callee + arguments, line)
    scanned = 0
    for start, end in _occurrences(text, names):
        k = bisect.bisect_right(strings, start)
        if k % 2:   # inside a triple-quoted string: plain text, unless it is an f-string
            if _is_fstring(text, strings[k - 1]):
                return None
            continue
        i = bisect.bisect_right(import_starts, start) - 1
        if i >= 0 and start < import_spans[i][1]:
            continue   # `from x import train_test_split` (an alias was ruled out above)
        line_start = text.rfind("\n", 0, start) + 1
        state = _prefix_state(text, max(line_start, strings[k - 1] if k else 0), start)
        if state == "comment":
            continue
        if state == "string":
            return None   # a one-line string: an f-string's hole would be a call
        if _DEFINED.search(text, max(line_start, start - 7), start):
            continue   # a definition of that name, not a call
        after = _skip_space(text, end)
        if after >= len(text) or text[after] != "(":
            return None   # a reference, an assignment, an attribute: not plainly a call
        callee = _callee_start(text, start)
        if callee is None:
            return None
        close = _closing_paren(text, after)
        if close is None:
            return None
        scanned += close - after
        if scanned > 2 * len(text) + 4096 or len(found) >= MAX_CALLS:
            return None   # deeply nested or countless calls: linear work only, the parser decides
        found.append((callee, text[callee:close + 1], text.count("\n", 0, callee) + 1))
    return _parsed_calls(found, aliases, package)


def _aliases(binds: list[tuple[str, str, bool]], names: frozenset[str]) -> dict[str, str] | None:
    """The name resolution the indexer would build, or None when it depends on statement
    order (a name bound to two different things) or renames one of `names`."""
    out: dict[str, str] = {}
    for local, target, plain in binds:
        last = target.rsplit(".", 1)[-1]
        if (local in names or last in names) and last != local:
            return None   # `... import train_test_split as tts`, or `import x as train_test_split`
        if local in out and out[local] != target:
            return None
        if local not in out or not plain:
            out[local] = target
    return out


def _is_fstring(text: str, quote_start: int) -> bool:
    j = quote_start
    while j > 0 and text[j - 1] in "rRbBuUfF":
        j -= 1
    return "f" in text[j:quote_start].lower()


def _skip_space(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in " \t\r\n\\":
        i += 1
    return i


def _callee_start(text: str, name_start: int) -> int | None:
    """Start of the dotted callee ending with the name at `name_start` (`a.b.name`), or None
    when what precedes it makes the callee something else (`f().name`, `x[0].name`, `"s".name`)
    or may continue it from the line before (`(a.` at a line's end inside brackets)."""
    i = name_start
    while True:
        j = i - 1
        while j >= 0 and text[j] in " \t":
            j -= 1
        if j < 0 or text[j] != ".":
            break
        j -= 1
        while j >= 0 and text[j] in " \t":
            j -= 1
        k = j
        while k >= 0 and (text[k].isalnum() or text[k] == "_"):
            k -= 1
        if k == j or text[k + 1].isdigit():
            return None   # `).name`, `].name`, `"s".name`, `1.name`, a line break: not a plain name
        i = k + 1
    j = i - 1
    while j >= 0 and text[j] in " \t":
        j -= 1
    if j >= 0 and text[j] in ".)]}\"'\\":
        return None
    if j >= 0 and text[j] == "\n":   # first on its line: does the line before run into it?
        prev = text[text.rfind("\n", 0, j) + 1:j].rstrip()
        if prev.endswith((".", "\\")):
            return None
    return i


def _closing_paren(text: str, open_at: int) -> int | None:
    """Index of the `)` closing the `(` at `open_at`, skipping strings and comments."""
    stack = [")"]
    i, n = open_at + 1, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            nl = text.find("\n", i)
            if nl == -1:
                return None
            i = nl + 1
            continue
        if c in "'\"":
            m = _STRING_START.match(text, i)
            quote = m.group(1)
            end = string_end(text, i + len(quote), quote)
            if end is None:
                return None
            i = end
            continue
        if c in _OPENERS:
            stack.append(_OPENERS[c])
        elif c in ")]}":
            if c != stack.pop():
                return None
            if not stack:
                return i
        i += 1
    return None


def _parsed_calls(found: list[tuple[int, str, int]], aliases: dict[str, str], package: str | None) -> list | None:
    from auditor.facts.python import Indexer, ModuleBody, parse_python

    body = ModuleBody()
    indexer = Indexer(body, package)
    import ast

    indexer.ast = ast
    indexer.aliases = aliases
    for _, source, line in sorted(found):
        try:
            tree = parse_python("\n" * (line - 1) + "(" + source + ")")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        node = tree.body[0].value if len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr) else None
        if not isinstance(node, ast.Call):
            return None
        before = len(body.calls)
        indexer._call(node, None, None, False)
        if len(body.calls) != before + 1:
            return None
    return body.calls

"""Jupyter notebooks as Python: code cells indexed like modules, plus output counts.

Notebooks are untrusted JSON of varying shape (nbformat 4 `cells`/`source`, nbformat 3
`worksheets`/`input`, sources as strings or lists of lines, sometimes hand-edited into
something else). `index_notebook(path, text)` reads them defensively: a wrong shape is a
problem, a cell that does not parse is a problem for that cell only, and every other cell
is still indexed. IPython syntax is neutralised first (line magics, `!shell`, `obj?`, and
non-Python cell magics such as `%%bash`), keeping line numbers so evidence points at the
right line of the right cell (`cell` is the 1-based position among all cells).
"""

from __future__ import annotations

import re
from typing import Any

from auditor.facts.python import (Indexer, ModuleBody, ModuleFacts, NotebookInfo, is_test_path, parse_error,
                                  parse_python)

MAX_CELL_PROBLEMS = 3
# cell magics whose body is still Python
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "python", "python3", "debug",
                                "memit", "px", "tensorflow_version"})
_MAGIC_LINE = re.compile(r"^(\s*)(?:[%!]|\?\?|\?)")
_HELP_SUFFIX = re.compile(r"^(\s*)[\w.\[\]()'\"]+\?\??\s*$")
_SHELL_ASSIGN = re.compile(r"^(\s*)([\w.,\s]+)=\s*[%!]")


def strip_magics(source: str) -> str | None:
    """Python source of a code cell with IPython syntax replaced, or None for a non-Python cell.

    A replaced line becomes `pass` (or `x = None` for `x = !cmd`) at the same indentation, so
    blocks stay valid and line numbers do not move.
    """
    lines = source.split("\n")
    first = lines[0].lstrip() if lines else ""
    if first.startswith("%%"):
        magic = first[2:].split(None, 1)[0] if len(first) > 2 else ""
        if magic not in PYTHON_CELL_MAGICS:
            return None
        lines[0] = ""
    out = []
    continued = False
    for line in lines:
        if continued:
            out.append("")
            continued = line.rstrip().endswith("\\")
            continue
        m = _SHELL_ASSIGN.match(line)
        if m and not line.lstrip().startswith(("%", "!")):
            targets = m.group(2).strip()
            out.append(f"{m.group(1)}{targets} = None")
            continued = line.rstrip().endswith("\\")
            continue
        m = _MAGIC_LINE.match(line) or _HELP_SUFFIX.match(line)
        if m:
            out.append(f"{m.group(1)}pass")
            continued = line.rstrip().endswith("\\")
            continue
        out.append(line)
    return "\n".join(out)


def _source(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return "".join(value)
    return None


def _cells(nb: Any) -> tuple[list[dict], int | None, str | None]:
    """(cells, nbformat, problem) for nbformat 4 or 3."""
    if not isinstance(nb, dict):
        return [], None, "not a notebook (top level is not a JSON object)"
    fmt = nb.get("nbformat")
    fmt = fmt if isinstance(fmt, int) and not isinstance(fmt, bool) else None
    if "cells" in nb:
        cells = nb["cells"]
    elif isinstance(nb.get("worksheets"), list):
        cells = []
        for ws in nb["worksheets"]:
            if isinstance(ws, dict) and isinstance(ws.get("cells"), list):
                cells.extend(ws["cells"])
    else:
        return [], fmt, "not a notebook (no `cells` or `worksheets`)"
    if not isinstance(cells, list):
        return [], fmt, "not a notebook (`cells` is not a list)"
    return cells, fmt, None


def _language(nb: dict) -> str:
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    for key, field in (("kernelspec", "language"), ("language_info", "name")):
        section = meta.get(key)
        if isinstance(section, dict) and isinstance(section.get(field), str):
            return section[field].lower()
    return "python"


def _parse_cell(source: str):
    """(tree, None), (None, error), or (None, None) for an empty or non-Python cell.

    Plain Python is parsed as is; only a cell that fails is retried with IPython syntax
    neutralised, so a continuation line starting with `%` (modulo) is never touched."""
    if not source.strip():
        return None, None
    try:
        return parse_python(source), None
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        first_error = exc
    code = strip_magics(source)
    if code is None or not code.strip():
        return None, None
    try:
        return parse_python(code), None
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return None, exc if isinstance(first_error, SyntaxError) else first_error


def _code_cells(path: str, text: str, facts: ModuleFacts) -> list[tuple[int, str]] | None:
    """(cell number, source) of each code cell, filling the notebook info and header
    problems of `facts`; None when the file is not a readable notebook."""
    from auditor.parsing import ParseError, load_json

    info = NotebookInfo()
    facts.notebook = info
    try:
        nb = load_json(text)
    except ParseError as exc:
        facts.header_problems.append(f"unparsable: {exc}")
        return None
    cells, info.nbformat, problem = _cells(nb)
    if problem:
        facts.header_problems.append(problem)
        return None
    info.language = _language(nb)
    python = info.language in ("python", "python3", "ipython", "ipython3")
    out = []
    bad_cells = 0
    for number, cell in enumerate(cells, start=1):
        info.cells += 1
        if not isinstance(cell, dict):
            bad_cells += 1
            continue
        if cell.get("cell_type") != "code":
            continue
        info.code_cells += 1
        outputs = cell.get("outputs")
        if isinstance(outputs, list) and outputs:
            info.cells_with_outputs += 1
        source = _source(cell.get("source", cell.get("input", "")))
        if source is None:
            bad_cells += 1
            continue
        if python:
            out.append((number, source))
    if bad_cells:
        facts.header_problems.append(f"notebook has {bad_cells} malformed cell(s) (not objects or no text "
                                     "source); skipped")
    return out


def code_cell_text(path: str, text: str) -> str:
    """A notebook's code cells as one text (what text pre-filters search in a notebook whose
    JSON escapes characters); the raw text when it is not a readable notebook."""
    cells = _code_cells(path, text, ModuleFacts(path, "notebook"))
    return text if cells is None else "\n".join(source for _, source in cells)


def notebook_header(path: str, text: str) -> ModuleFacts:
    """A notebook's header: cell counts and the imports of its code cells (line scanner)."""
    from auditor.facts.pyimports import scan_imports

    facts = ModuleFacts(path, "notebook", None, is_test_path(path))
    cells = _code_cells(path, text, facts)
    if cells is None:
        facts.indexable = False
        facts._body = ModuleBody(parsed=False)
        return facts
    for number, source in cells:
        facts.imports.extend(scan_imports(source, None, number))
    return facts


def notebook_body(path: str, text: str) -> ModuleBody:
    """Parse a notebook's code cells into its body record. Pure: depends only on the arguments."""
    body = ModuleBody()
    cells = _code_cells(path, text, ModuleFacts(path, "notebook"))
    if cells is None:
        body.parsed = False
        return body
    trees = []
    for number, source in cells:
        tree, error = _parse_cell(source)
        if tree is not None:
            trees.append((tree, number))
        elif error is not None and len(body.problems) < MAX_CELL_PROBLEMS:
            body.problems.append(parse_error(error, f"cell {number}"))
    if trees:
        Indexer(body, None).run(trees)
    return body


def index_notebook(path: str, text: str) -> ModuleFacts:
    """Index a notebook completely (header and body). Pure: depends only on the arguments."""
    facts = notebook_header(path, text)
    if facts.indexable:
        facts._body = notebook_body(path, text)
    return facts

"""Where each report of a run goes: one or more formats, each to stdout or a file.

The contract stays `--format/-f X` with `--output/-o FILE` (the `--format` report goes to FILE
instead of stdout). On top of it, `--output FORMAT:FILE` (repeatable) writes further formats
in the same run, e.g. `mlaudit -o sarif:mlaudit.sarif -o markdown:summary.md` prints the
text report and writes the other two. `FORMAT:` is recognised only for known format names,
so an ordinary file name with a colon is still a plain FILE.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class OutputError(ValueError):
    """An unusable --output combination or an unwritable file (exit 2)."""


@dataclass(frozen=True)
class Destination:
    fmt: str
    path: str | None  # None: standard output


def split_target(value: str, formats: set[str] | dict) -> tuple[str | None, str]:
    """`sarif:out.sarif` -> ("sarif", "out.sarif"); `out.sarif` -> (None, "out.sarif")."""
    head, sep, tail = value.partition(":")
    if sep and tail and head.lower() in formats:
        return head.lower(), tail
    return None, value


def plan(fmt: str, outputs: tuple[str, ...] | list[str], formats: set[str] | dict) -> list[Destination]:
    """The destinations of one run, the `--format` report first."""
    plain: list[str] = []
    extra: list[Destination] = []
    for value in outputs:
        if not value:
            raise OutputError("--output needs a file name")
        f, path = split_target(value, formats)
        if f is None:
            plain.append(path)
        else:
            extra.append(Destination(f, path))
    if len(plain) > 1:
        raise OutputError("--output FILE is given more than once; use --output FORMAT:FILE for further formats")
    dests = [Destination(fmt, plain[0] if plain else None), *extra]
    seen: dict[str, str] = {}
    for d in dests:
        if d.path is None:
            continue
        key = str(Path(d.path).resolve())
        if key in seen:
            raise OutputError(f"{d.path}: both the {seen[key]} and the {d.fmt} report would be written there")
        seen[key] = d.fmt
    return dests


def write(path: str, text: str) -> None:
    """Write a report file (parent folders are made); OutputError with the reason otherwise."""
    target = Path(path)
    try:
        if target.parent and not target.parent.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None

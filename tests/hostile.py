"""Helpers for the robustness, security and property tests: build hostile trees, audit them,
and check that the audit left them untouched and read nothing outside them."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
import sys
from contextlib import contextmanager
from pathlib import Path

from tests.helpers import ROOT, audit_report

_REPORT_VALIDATOR = None


def report_validator():
    global _REPORT_VALIDATOR
    if _REPORT_VALIDATOR is None:
        import jsonschema

        schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
        cls = jsonschema.validators.validator_for(schema)
        _REPORT_VALIDATOR = cls(schema)
    return _REPORT_VALIDATOR


def audit_json(path: Path, **overrides) -> dict:
    """A full in-process audit rendered as the JSON report, validated against its schema.

    The JSON text is round-tripped through UTF-8 so an unencodable string (a file name that
    is not UTF-8) fails here as it would when printed.
    """
    from auditor.reporters.json_report import render

    report = audit_report(path, **overrides)
    text = render(report)
    data = json.loads(text.encode("utf-8").decode("utf-8"))
    errors = sorted(report_validator().iter_errors(data), key=str)
    assert not errors, [e.message for e in errors[:3]]
    return data


def problems(data: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in data["problems"]:
        out.setdefault(p["path"], []).append(p["detail"])
    return out


def tree_state(root: Path) -> dict[bytes, tuple]:
    """Everything below root (including .git), without following links or opening specials:
    path -> (type, mode, size, mtime_ns, ctime_ns, content hash or link target)."""
    out: dict[bytes, tuple] = {}
    base = os.fsencode(root)
    stack = [base]
    while stack:
        d = stack.pop()
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for e in entries:
            st = e.stat(follow_symlinks=False)
            rel = os.path.relpath(e.path, base)
            extra: object = None
            if stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                fd = os.open(e.path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
                try:
                    while chunk := os.read(fd, 1 << 20):
                        h.update(chunk)
                finally:
                    os.close(fd)
                extra = h.hexdigest()
            elif stat.S_ISLNK(st.st_mode):
                extra = os.readlink(e.path)
            elif stat.S_ISDIR(st.st_mode):
                stack.append(e.path)
            out[rel] = (stat.S_IFMT(st.st_mode), st.st_mode, st.st_size if not stat.S_ISDIR(st.st_mode) else 0,
                        st.st_mtime_ns, st.st_ctime_ns, extra)
    return out


def make_fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def make_socket(path: Path) -> socket.socket:
    """A bound Unix socket at path (bound from its directory: socket paths are short)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    cwd = os.getcwd()
    os.chdir(path.parent)
    try:
        s.bind(path.name)
    finally:
        os.chdir(cwd)
    return s


def make_char_device(path: Path, major: int = 1, minor: int = 5) -> bool:
    """A character device (default: like /dev/zero, endless); False when not permitted."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o644, os.makedev(major, minor))
    except (PermissionError, OSError):
        return False
    return True


class OpenRecorder:
    """Records every path opened through Python (the `open` audit event) while recording.

    An audit hook cannot be removed, so one hook is installed per process and switched.
    """

    _installed = False
    _active: list[list[str]] = []

    @classmethod
    def _hook(cls, event, args):
        if cls._active and event == "open":
            path = args[0]
            if isinstance(path, (str, bytes, os.PathLike)):
                cls._active[-1].append(os.fsdecode(path))

    @classmethod
    @contextmanager
    def recording(cls):
        if not cls._installed:
            sys.addaudithook(cls._hook)
            cls._installed = True
        seen: list[str] = []
        cls._active.append(seen)
        try:
            yield seen
        finally:
            cls._active.remove(seen)


def opened_under(paths: list[str], directory: Path) -> list[str]:
    """The recorded paths that, resolved, lie in `directory`."""
    d = os.path.realpath(directory)
    out = []
    for p in paths:
        try:
            real = os.path.realpath(p)
        except (OSError, ValueError):
            continue
        if real == d or real.startswith(d + os.sep):
            out.append(p)
    return out

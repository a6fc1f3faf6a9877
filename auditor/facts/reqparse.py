"""Pure parsers for dependency strings: PEP 508, pip requirement lines, conda and Poetry specs.

Kept apart from the extractor (auditor/facts/deps.py) so the string rules can be tested on
their own and reused. Nothing here touches the file system; every parser is total: a string
it cannot understand gives `None` (or an error message), never an exception.

"Pinned" means the text alone fixes one version: `==1.2.3` or `===1.2.3` (not `==1.*`), a
direct link to one archive, a VCS reference at a commit or a version tag, or (in
requirement files) a `--hash`. Poetry and Pipfile treat a bare version (`"1.2.3"`) as exact.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

NAME_RX = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_NAME_ONLY = re.compile(rf"^{NAME_RX}$")
_PEP508 = re.compile(rf"^\s*(?P<name>{NAME_RX})\s*(?:\[(?P<extras>[^\]]*)\])?\s*(?P<rest>.*)$", re.DOTALL)
_CLAUSE = re.compile(r"^(?P<op>~=|===|==|!=|<=|>=|<|>)\s*(?P<ver>[A-Za-z0-9.*+!_-]+)$")
_BARE_VERSION = re.compile(r"^v?\d+(?:\.\d+)*(?:(?:a|b|rc|\.post|\.dev)\d+)?$")
_HEX_REF = re.compile(r"^[0-9a-f]{7,40}$")
_ARCHIVE = re.compile(r"\.(?:whl|tar\.gz|tgz|tar\.bz2|tar\.xz|zip)$", re.IGNORECASE)
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git\+|hg\+|svn\+|bzr\+|file:)", re.IGNORECASE)
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9._-]+)")
_REQ_OPTION_SPLIT = re.compile(r"\s+(?=--?(?:hash|global-option|install-option|config-settings|C)\b)")

# pip options that take a value, and what they mean for us
_INCLUDE_OPTS = {"-r": "requirement", "--requirement": "requirement",
                 "-c": "constraint", "--constraint": "constraint"}
_EDITABLE_OPTS = ("-e", "--editable")


def normalize(name: str) -> str:
    """PEP 503 normalised project name (`Scikit_Learn` -> `scikit-learn`)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class ParsedReq:
    """One requirement parsed from text: normalised name, specifier and pin state."""

    name: str            # PEP 503 normalised; "" when a URL or path names no project
    spec: str            # "==1.2", ">=2,<3", "@ https://...", a path, or "" when unconstrained
    pinned: bool
    local: bool = False  # a local path (e.g. `-e .`): the project itself, not a third-party package
    extras: tuple[str, ...] = ()
    marker: str = ""


def spec_is_pinned(spec: str) -> bool:
    """True when a PEP 440 specifier set contains an exact `==`/`===` clause without wildcard."""
    for clause in spec.split(","):
        m = _CLAUSE.match(clause.strip())
        if m and m.group("op") in ("==", "===") and "*" not in m.group("ver"):
            return True
    return False


def _valid_spec(spec: str) -> bool:
    return all(_CLAUSE.match(c.strip()) for c in spec.split(",")) if spec.strip() else True


def url_is_pinned(url: str) -> bool:
    """A direct reference fixes one artifact: an archive file, or VCS at a commit/version tag."""
    base = url.split("#", 1)[0].split("?", 1)[0]
    if _ARCHIVE.search(base):
        return True
    if re.match(r"^(?:git|hg|svn|bzr)\+", url, re.IGNORECASE):
        tail = base.rsplit("/", 1)[-1]
        if "@" in tail:
            ref = tail.rsplit("@", 1)[1]
            return bool(_HEX_REF.match(ref) or _BARE_VERSION.match(ref))
    return False


def _name_from_url(url: str) -> str:
    m = _EGG.search(url)
    if m:
        return normalize(m.group(1))
    base = url.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if base.lower().endswith(".whl"):
        return normalize(base.split("-", 1)[0])
    m = re.match(r"^(?P<n>.+?)-\d[^-]*\.(?:tar\.gz|tgz|tar\.bz2|tar\.xz|zip)$", base, re.IGNORECASE)
    return normalize(m.group("n")) if m else ""


def _looks_local(text: str) -> bool:
    return (text in (".", "..") or text.startswith(("./", "../", "/", "~", "file:"))
            or (("/" in text or "\\" in text) and not _URL.match(text))
            or bool(_ARCHIVE.search(text) and not _URL.match(text)))


def parse_pep508(text: str) -> ParsedReq | None:
    """`name[extras] spec ; marker` or `name @ url ; marker`; None when it is not one."""
    text = text.strip()
    m = _PEP508.match(text)
    if not m:
        return None
    rest = m.group("rest").strip()
    marker = ""
    extras = tuple(e.strip() for e in (m.group("extras") or "").split(",") if e.strip())
    name = normalize(m.group("name"))
    if rest.startswith("@"):
        url, _, marker = rest[1:].strip().partition(" ;")
        url = url.strip()
        if not url:
            return None
        return ParsedReq(name, "@ " + url, url_is_pinned(url), False, extras, marker.strip())
    spec, _, marker = rest.partition(";")
    spec = spec.strip()
    if spec.startswith("(") and spec.endswith(")"):
        spec = spec[1:-1].strip()
    spec = re.sub(r"\s+", "", spec)
    if not _valid_spec(spec):
        return None
    return ParsedReq(name, spec, spec_is_pinned(spec), False, extras, marker.strip())


def parse_reference(text: str) -> ParsedReq | None:
    """A PEP 508 string, a URL or a local path (what pip accepts as one requirement)."""
    text = text.strip()
    if not text:
        return None
    if re.match(rf"^{NAME_RX}\s*(?:\[[^\]]*\])?\s*@", text):
        return parse_pep508(text)
    if _URL.match(text):
        local = text.lower().startswith("file:")
        return ParsedReq(_name_from_url(text), "@ " + text, url_is_pinned(text), local)
    if _looks_local(text):
        name = _name_from_url(text) if ("#egg=" in text or _ARCHIVE.search(text)) else ""
        return ParsedReq(name, text, bool(_ARCHIVE.search(text.split("#", 1)[0])), True)
    return parse_pep508(text)


# --------------------------------------------------------------------- requirement files
@dataclass(frozen=True)
class ReqLine:
    """One logical line of a requirements file that means something."""

    line: int                      # 1-based number of its first physical line
    kind: str                      # "req" | "requirement" (-r) | "constraint" (-c) | "error"
    req: ParsedReq | None = None
    target: str = ""               # the -r/-c target, or the unparsable text
    hashed: bool = False
    raw: str = ""


def _logical_lines(text: str):
    """Join backslash continuations and drop comments, yielding (first line no, text)."""
    buf: list[str] = []
    start = 0
    for no, physical in enumerate(text.splitlines(), 1):
        if not buf:
            start = no
        line = re.sub(r"(^|\s)#.*$", "", physical)
        if line.rstrip().endswith("\\"):
            buf.append(line.rstrip()[:-1])
            continue
        buf.append(line)
        joined = " ".join(part.strip() for part in buf).strip()
        buf = []
        if joined:
            yield start, joined
    if buf:
        joined = " ".join(part.strip() for part in buf).strip()
        if joined:
            yield start, joined


def _option_value(line: str, opts) -> tuple[str, str] | None:
    """(`-r`, `file`) for `-r file`, `-rfile`, `--requirement=file`, ..., else None."""
    for opt in opts:
        if line == opt:
            return None
        if line.startswith(opt):
            rest = line[len(opt):]
            if opt.startswith("--"):
                if rest[:1] in ("=", " ", "\t"):
                    return opt, rest[1:].strip()
            elif rest[:1] in (" ", "\t", "=") or (rest and len(opt) == 2):
                return opt, rest.lstrip("= \t").strip()
    return None


def parse_requirement_lines(text: str) -> list[ReqLine]:
    """pip requirements-file syntax: requirements, -r/-c includes, -e, hashes, options."""
    out: list[ReqLine] = []
    for no, line in _logical_lines(text):
        if line.startswith("-"):
            inc = _option_value(line, ("--requirement", "--constraint", "-r", "-c"))
            if inc is not None:
                out.append(ReqLine(no, _INCLUDE_OPTS[inc[0]], target=inc[1].split()[0] if inc[1] else "",
                                   raw=line))
                continue
            ed = _option_value(line, _EDITABLE_OPTS)
            if ed is not None:
                req = parse_reference(ed[1])
                out.append(ReqLine(no, "req", req, raw=line) if req else ReqLine(no, "error", target=line))
                continue
            continue  # -i, --index-url, -f, --pre, --no-binary ...: not dependencies
        parts = _REQ_OPTION_SPLIT.split(line, maxsplit=1)
        body = parts[0].strip()
        hashed = len(parts) > 1 and "--hash" in parts[1]
        req = parse_reference(body)
        if req is None:
            out.append(ReqLine(no, "error", target=line, raw=line))
        else:
            if hashed and not req.pinned:
                req = ParsedReq(req.name, req.spec, True, req.local, req.extras, req.marker)
            out.append(ReqLine(no, "req", req, hashed=hashed, raw=line))
    return out


def resolve_relative(base_file: str, target: str) -> str | None:
    """Repository path of `target` written in `base_file`, or None if it leaves the tree."""
    if not target or _URL.match(target) or target.startswith(("/", "~")) or "$" in target:
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(base_file), target.replace("\\", "/")))
    if joined == ".." or joined.startswith(("../", "/")):
        return None
    return joined


# --------------------------------------------------------------------- conda
_CONDA = re.compile(r"^(?:(?P<channel>[^:\s]+)::)?(?P<name>[A-Za-z0-9_.-]+)\s*(?P<rest>.*)$")


def parse_conda(text: str) -> ParsedReq | None:
    """A conda match spec: `numpy`, `numpy=1.26.4=py311h...`, `numpy>=1.24`, `conda-forge::x 1.2`."""
    m = _CONDA.match(text.strip())
    if not m:
        return None
    name = normalize(m.group("name"))
    rest = m.group("rest").strip()
    bracket = re.search(r"\[\s*version\s*=\s*['\"]?([^'\"\]]+)", rest)
    if bracket:
        rest = bracket.group(1).strip()
    rest = rest.replace(" ", "")
    if not rest:
        return ParsedReq(name, "", False)
    if rest.startswith("=="):
        ver = rest[2:].split("=", 1)[0]
        return ParsedReq(name, rest, bool(ver) and "*" not in ver)
    if rest.startswith("=") or re.match(r"^\d", rest):
        body = rest.lstrip("=")
        ver, _, build = body.partition("=")
        exact = "*" not in ver and "," not in ver and "|" not in ver and (
            bool(build) or len(re.findall(r"\d+", ver)) >= 3)
        return ParsedReq(name, rest, exact)
    return ParsedReq(name, rest, False)


# --------------------------------------------------------------------- Poetry / Pipfile
def poetry_constraint_pinned(spec: str) -> bool:
    """Poetry/Pipfile constraint: `==1.2`, `===1.2` or a bare version `1.2.3` is exact."""
    spec = spec.strip()
    if _BARE_VERSION.match(spec):
        return True
    return spec_is_pinned(spec)


def valid_name(name: str) -> bool:
    return bool(_NAME_ONLY.match(name))

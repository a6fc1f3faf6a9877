"""Named checks of the VCS rules (repository hygiene) that a predicate cannot express.

- `gitignore_ml_artifacts` (VCS002): some `.gitignore` line ignores an ML artifact location
  or file type (parsed as gitignore lines, with negations and nested `.gitignore` files);
- `no_large_files` (VCS003): sizes of committed files against `max-file-mb`, Git LFS aside;
- `no_tracked_artifacts` (VCS004): committed model/array binaries and bulk data files;
- `no_secrets` (VCS005): the `secrets` fact (auditor/facts/secrets.py), redacted evidence;
- `notebook_outputs_stripped` (VCS006): notebook outputs from the `python` fact, unless
  output stripping (nbstripout, nb-clean, a `.gitattributes` filter, jupytext) is set up.

Files: the tracked files inside git, every listed file outside git (the listing already
honours `.gitignore`). Sizes come from the listing (`project.size`), so no file is read for
VCS003 and VCS004 reads at most a few header bytes of large files with unknown names.
"""

from __future__ import annotations

import re

from auditor.model import Evidence, Outcome
from auditor.predicates import MAX_EVIDENCE

MIB = 1024 * 1024
KIB = 1024
DEFAULT_MAX_FILE_MB = 10
MODEL_MAX_BYTES = 100 * KIB
DATA_MAX_BYTES = 1 * MIB

# ---------------------------------------------------------------- VCS002 vocabulary
ML_DIRS = frozenset("""
data datasets dataset raw processed interim models model saved_models trained_models
checkpoints checkpoint ckpt ckpts weights mlruns mlartifacts wandb lightning_logs tb_logs
tensorboard runs outputs output results artifacts experiments multirun predictions
""".split())
# words that make a compound folder name an ML artifact location (`test_data`, `raw-data`)
ML_DIR_WORDS = frozenset("data dataset datasets model models checkpoints weights mlruns wandb".split())
ML_EXTS = frozenset("""
pkl pickle joblib pt pth ckpt h5 hdf5 keras onnx pb tflite safetensors bin npy npz parquet
feather arrow tfrecord tfrecords csv tsv jsonl xlsx sav model weights
""".split())

# ---------------------------------------------------------------- VCS004 vocabulary
MODEL_EXTS = frozenset("""
pkl pickle p joblib pt pth ckpt bin h5 hdf5 keras onnx pb tflite safetensors npy npz parquet
feather arrow tfrecord
""".split())
DATA_EXTS = frozenset("csv tsv jsonl xlsx".split())
FIXTURE_DIRS = frozenset("tests test testing fixtures fixture testdata test_data test-data "
                         "__fixtures__ test_fixtures".split())
# extensions never sniffed for pickle content (text, code, media, archives...)
_NO_SNIFF_EXTS = frozenset("""
py pyi ipynb md rst txt json yaml yml toml cfg ini html css js ts svg xml csv tsv jsonl
png jpg jpeg gif bmp webp ico pdf zip gz tgz bz2 xz 7z tar whl egg jar mp3 mp4 wav
woff woff2 ttf otf so dll dylib exe pyc lock sum mod
""".split())
_MAGIC = ((b"\x80\x02", "pickle"), (b"\x80\x03", "pickle"), (b"\x80\x04", "pickle"),
          (b"\x80\x05", "pickle"), (b"\x93NUMPY", "NumPy array"), (b"\x89HDF\r\n\x1a\n", "HDF5"))


def _ext(path: str) -> str:
    base = path.rsplit("/", 1)[-1].lower()
    return base.rsplit(".", 1)[-1] if "." in base.lstrip(".") else ""


def _mib(n: int) -> str:
    return f"{n / MIB:.1f} MiB" if n >= MIB else f"{n / KIB:.0f} KiB"


def _listing(evidence: list[Evidence], *, lines: bool = False, limit: int = 3) -> str:
    """`a.py (detail); b.py (detail); and 2 more` for a one-line message."""
    parts = []
    for e in evidence[:limit]:
        where = f"{e.path}:{e.line}" if lines and e.path and e.line else (e.path or "")
        parts.append(f"{where} ({e.detail})" if where else e.detail)
    more = len(evidence) - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def committed_files(project) -> tuple[list[str], str]:
    """(paths, words): tracked files in git, files present in the tree otherwise."""
    if project.tracked is not None:
        return sorted(p for p in project.tracked if p in project.file_set), "tracked"
    return list(project.files), "present"


# ---------------------------------------------------------------- Git LFS
def lfs_patterns(project) -> list[re.Pattern[str]]:
    """Compiled path patterns of every `.gitattributes` line with `filter=lfs`.

    A pattern is relative to the directory of its `.gitattributes`; as in gitignore, a
    pattern without a slash matches a name at any depth below that directory.
    """
    from auditor.pathmatch import glob_to_regex

    out = []
    for path in project.glob("**/.gitattributes"):
        base = path[: -len(".gitattributes")]
        for line in (project.read_text(path) or "").splitlines():
            parts = line.split()
            if len(parts) < 2 or parts[0].startswith("#") or "filter=lfs" not in parts[1:]:
                continue
            body = glob_to_regex(parts[0])[1:]          # drop the leading ^
            out.append(re.compile("^" + re.escape(base) + body))
    return out


def _in_lfs(path: str, patterns: list[re.Pattern[str]]) -> bool:
    return any(rx.match(path) for rx in patterns)


# ---------------------------------------------------------------- VCS002
def _gitignore_hit(base: str, raw: str) -> str | None:
    """What ML artifact a .gitignore line ignores, or None."""
    line = raw.strip()
    if not line or line.startswith(("#", "!")):
        return None
    if line.startswith("\\"):
        line = line[1:]
    full = (base + "/" + line.lstrip("/")) if base else line
    parts = [p for p in full.strip("/").split("/") if p and p not in ("**", "*")]
    for part in parts:
        name = part.lower()
        if name in ML_DIRS:
            return f"ignores the `{part}/` location"
        # `test_data/`, `raw-data/`, `model_weights/`: a compound name built on a strong word
        if "ipynb_checkpoints" not in name and not name.startswith(".") \
                and any(word in ML_DIR_WORDS for word in re.split(r"[_\-]+", name)):
            return f"ignores the `{part}/` location"
    last = parts[-1].lower() if parts else ""
    m = re.fullmatch(r"(?:\*\*?|[\w\-\[\]*?]*)\.(\w+)\*?", last)
    if m and m.group(1) in ML_EXTS:
        return f"ignores `*.{m.group(1)}` files"
    return None


def _dvc_outputs(project) -> set[str]:
    """Paths DVC versions: the targets of `*.dvc` pointer files and `dvc.yaml` stage outs.

    `dvc add` and `dvc repro` write a `.gitignore` line for each of them (`/lfw-dataset.zip`
    next to `lfw-dataset.zip.dvc`), whatever their name: such a line ignores a data or model
    artifact even when neither the folder nor the extension says so.
    """
    outs = _dvc_tracked(project)
    for path in project.glob("**/dvc.yaml"):
        base = path[: -len("dvc.yaml")]
        data = project.yaml(path)
        stages = data.get("stages") if isinstance(data, dict) else None
        for stage in (stages.values() if isinstance(stages, dict) else []):
            if not isinstance(stage, dict):
                continue
            for key in ("outs", "metrics", "plots"):
                for out in (stage.get(key) or []) if isinstance(stage.get(key), list) else []:
                    name = next(iter(out), None) if isinstance(out, dict) else out
                    if isinstance(name, str) and name.startswith("./"):
                        name = name[2:]
                    if isinstance(name, str) and name and not name.startswith(("/", "..")):
                        outs.add((base + name).rstrip("/"))
    return outs


def _dvc_ignore_hit(base: str, raw: str, versioned: set[str]) -> str | None:
    """A .gitignore line naming exactly a DVC-versioned path (as `dvc add` writes it)."""
    line = raw.strip()
    if not versioned or not line or line.startswith(("#", "!")) or any(c in line for c in "*?["):
        return None
    target = ((base + "/") if base else "") + line.strip("/")
    if target in versioned:
        return f"ignores `{target}`, versioned with DVC"
    return None


def gitignore_ml_artifacts(ctx) -> Outcome:
    project = ctx.project
    searched = ("a .gitignore entry for a data, model, checkpoint, run-output location (`data/`, "
                "`models/`, `checkpoints/`, `mlruns/`, `wandb/`, `lightning_logs/`, `outputs/`...) "
                "or a model/data file type (`*.pkl`, `*.pt`, `*.ckpt`, `*.h5`, `*.parquet`...)")
    files = [p for p in project.files if p.rsplit("/", 1)[-1] == ".gitignore"]
    if not files:
        return Outcome(False, [Evidence(None, None, "no .gitignore file")], searched,
                       message="No .gitignore: nothing keeps data, models and run outputs out of git.")
    evidence: list[Evidence] = []
    versioned = _dvc_outputs(project)
    for path in sorted(files, key=lambda p: (p.count("/"), p)):
        base = path[: -len("/.gitignore")] if "/" in path else ""
        for number, line in enumerate((project.read_text(path) or "").splitlines(), start=1):
            hit = _gitignore_hit(base, line) or _dvc_ignore_hit(base, line, versioned)
            if hit:
                evidence.append(Evidence(path, number, f"`{line.strip()}` {hit}"))
    if not evidence:
        return Outcome(False, [Evidence(p, None, "ignores no data, model or run-output location or file "
                                                 "type") for p in files[:5]], searched,
                       message=".gitignore ignores no data, model, checkpoint or run-output location or "
                               "file type.")
    return Outcome(True, evidence[:MAX_EVIDENCE], searched,
                   message=f".gitignore keeps ML artifacts out of git: {_listing(evidence, lines=True)}.")


# ---------------------------------------------------------------- VCS003
def no_large_files(ctx) -> Outcome:
    project = ctx.project
    try:
        limit_mb = float(ctx.config.get("max-file-mb", DEFAULT_MAX_FILE_MB))
    except (TypeError, ValueError):
        limit_mb = DEFAULT_MAX_FILE_MB
    limit = int(limit_mb * MIB)
    paths, words = committed_files(project)
    searched = f"{words} files larger than {limit_mb:g} MiB outside Git LFS"
    lfs = lfs_patterns(project)
    big = sorted(((project.size(p), p) for p in paths if project.size(p) > limit), reverse=True)
    offenders = [(size, p) for size, p in big if not _in_lfs(p, lfs)]
    if offenders:
        evidence = [Evidence(p, None, f"{_mib(size)} (limit {limit_mb:g} MiB), not in Git LFS")
                    for size, p in offenders]
        n = len(offenders)
        return Outcome(False, evidence[:MAX_EVIDENCE], searched,
                       message=f"{n} {words} file{'s are' if n != 1 else ' is'} larger than {limit_mb:g} MiB "
                               f"outside Git LFS: {_listing(evidence)}.")
    evidence = [Evidence(p, None, f"{_mib(size)}, stored with Git LFS") for size, p in big]
    if paths:
        size, largest = max((project.size(p), p) for p in paths)
        if not big:
            evidence.append(Evidence(None, None, f"{len(paths)} {words} files checked; the largest is "
                                                 f"{largest} ({_mib(size)}), under {limit_mb:g} MiB"))
    else:
        evidence.append(Evidence(None, None, f"no {words} files"))
    lfs_note = f" ({len(big)} larger file{'s' if len(big) != 1 else ''} stored with Git LFS)" if big else ""
    return Outcome(True, evidence[:MAX_EVIDENCE], searched,
                   message=f"No {words} file is larger than {limit_mb:g} MiB outside Git LFS{lfs_note}.")


# ---------------------------------------------------------------- VCS004
def _dvc_tracked(project) -> set[str]:
    """Paths (files or folders) that a `*.dvc` pointer file tracks."""
    return {p[:-4] for p in project.files if p.endswith(".dvc") and len(p) > 4}


def _under(path: str, roots: set[str]) -> bool:
    if not roots:
        return False
    parts = path.split("/")
    return any("/".join(parts[:i]) in roots for i in range(1, len(parts) + 1))


def _in_fixtures(path: str) -> bool:
    return any(part.lower() in FIXTURE_DIRS for part in path.split("/")[:-1])


def _sniff(project, path: str) -> str | None:
    head = project.read_head(path, 8)
    if not head:
        return None
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return None


def no_tracked_artifacts(ctx) -> Outcome:
    project = ctx.project
    paths, words = committed_files(project)
    searched = (f"{words} model/array binaries over 100 KiB outside test fixtures (or pickle content "
                f"under another name) and tabular/text data over 1 MiB, outside Git LFS and DVC")
    lfs = lfs_patterns(project)
    dvc = _dvc_tracked(project)
    evidence: list[Evidence] = []
    for path in paths:
        size = project.size(path)
        if size <= MODEL_MAX_BYTES:
            continue
        ext = _ext(path)
        if ext in DATA_EXTS:
            if size <= DATA_MAX_BYTES:
                continue
            kind = f"{ext.upper()} data file"
        elif ext in _NO_SNIFF_EXTS or _in_fixtures(path):
            continue
        elif ext in MODEL_EXTS:
            kind = f"`.{ext}` model/array file"
        else:
            magic = _sniff(project, path)
            if magic is None:
                continue
            kind = f"{magic} content under the name `{path.rsplit('/', 1)[-1]}`"
        if _in_lfs(path, lfs) or _under(path, dvc):
            continue                       # LFS pointers are tiny: only patterns matter here
        evidence.append(Evidence(path, None, f"{kind}, {_mib(size)}"))
    if evidence:
        n = len(evidence)
        return Outcome(False, evidence[:MAX_EVIDENCE], searched,
                       message=f"{n} model binar{'ies' if n != 1 else 'y'} or bulk data file{'s' if n != 1 else ''} "
                               f"committed outside Git LFS/DVC: {_listing(evidence)}.")
    return Outcome(True, [Evidence(None, None, f"{len(paths)} {words} files checked; no committed model "
                                               "binaries or bulk data outside Git LFS/DVC")], searched,
                   message="No model binaries or bulk data files are committed outside Git LFS/DVC.")


# ---------------------------------------------------------------- VCS005
def no_secrets(ctx) -> Outcome:
    scan = ctx.project.fact("secrets")
    searched = ("credentials in tracked text files: provider tokens (AWS, GitHub, GitLab, Slack, "
                "Hugging Face, OpenAI, Google...), private key blocks, high-entropy values assigned "
                "to key/secret/token/password names, passwords in URLs")
    if scan.findings:
        evidence = [Evidence(f.path, f.line, f.detail) for f in scan.findings]
        more = len(scan.findings) - MAX_EVIDENCE
        if more > 0:
            evidence = evidence[: MAX_EVIDENCE - 1]
            evidence.append(Evidence(None, None, f"and {more + 1}{'+' if scan.truncated else ''} more "
                                                 "findings"))
        n = len(scan.findings)
        return Outcome(False, evidence, searched,
                       message=f"{n}{'+' if scan.truncated else ''} credential{'s' if n != 1 else ''} found in "
                               f"tracked files (values redacted): {_listing(evidence, lines=True)}.")
    detail = f"{scan.scanned} text file{'s' if scan.scanned != 1 else ''} scanned; no credentials found"
    if scan.skipped_large:
        detail += f" ({len(scan.skipped_large)} too large to scan, see problems)"
    files = f"{scan.scanned} scanned text file{'s' if scan.scanned != 1 else ''}"
    return Outcome(True, [Evidence(None, None, detail)], searched, message=f"No credentials found in {files}.")


# ---------------------------------------------------------------- VCS006
_STRIP_TOOLS = r"nbstripout|nb-clean|nb_clean|clear[-_]output|ClearOutputPreprocessor|nbstrip"


def _stripping_configured(project) -> list[Evidence]:
    evidence: list[Evidence] = []
    rx = re.compile(_STRIP_TOOLS, re.IGNORECASE)
    for hook in project.fact("precommit").hooks:
        if rx.search(hook.id) or rx.search(hook.repo):
            evidence.append(Evidence(hook.file, hook.line, f"pre-commit hook `{hook.id}` strips outputs"))
    for path in project.glob("**/.gitattributes"):
        for number, line in enumerate((project.read_text(path) or "").splitlines(), start=1):
            parts = line.split()
            if len(parts) < 2 or parts[0].startswith("#"):
                continue
            filters = [a[len("filter="):] for a in parts[1:] if a.startswith("filter=")]
            if any(f == "nbstripout" or ("ipynb" in parts[0] and f and f != "lfs") for f in filters):
                evidence.append(Evidence(path, number, f"`{line.strip()}`: an output-stripping git filter"))
    jupytext = project.glob(["jupytext.toml", ".jupytext", ".jupytext.toml", ".jupytext.yml",
                             ".jupytext.yaml", ".jupytext.json", ".jupytext.py"])
    evidence += [Evidence(p, None, "jupytext pairing configured") for p in jupytext]
    for path in project.glob("**/pyproject.toml"):
        data = project.toml(path) or {}
        if isinstance(data.get("tool"), dict) and "jupytext" in data["tool"]:
            evidence.append(Evidence(path, None, "[tool.jupytext] pairing configured"))
    return evidence


def _jupytext_paired(project, path: str) -> bool:
    nb = project.json(path)
    meta = nb.get("metadata") if isinstance(nb, dict) else None
    jt = meta.get("jupytext") if isinstance(meta, dict) else None
    return isinstance(jt, dict) and bool(jt.get("formats"))


def notebook_outputs_stripped(ctx) -> Outcome:
    project = ctx.project
    searched = ("committed notebooks without cell outputs, or output stripping configured (nbstripout "
                "or nb-clean in pre-commit, a `.gitattributes` filter, jupytext pairing)")
    configured = _stripping_configured(project)
    if configured:
        return Outcome(True, configured[:MAX_EVIDENCE], searched,
                       message=f"Notebook output stripping is configured: {_listing(configured)}.")
    paths, words = committed_files(project)
    notebooks = [p for p in paths if p.lower().endswith(".ipynb")]
    infos = project.fact("python").notebooks
    dirty: list[Evidence] = []
    clean = 0
    for path in notebooks:
        info = infos.get(path)
        if info is None:
            continue                       # unreadable or unparsable: already a problem
        if info.cells_with_outputs and not _jupytext_paired(project, path):
            dirty.append(Evidence(path, None, f"{info.cells_with_outputs} of {info.code_cells} code cells "
                                              "have outputs"))
        else:
            clean += 1
    if dirty:
        n = len(dirty)
        return Outcome(False, dirty[:MAX_EVIDENCE], searched,
                       message=f"{n} committed notebook{'s have' if n != 1 else ' has'} cell outputs and no "
                               f"output stripping is configured: {_listing(dirty)}.")
    return Outcome(True, [Evidence(None, None, f"{clean} {words} notebook{'s' if clean != 1 else ''} "
                                               "without outputs (or paired with jupytext)")], searched,
                   message=f"No committed notebook has outputs ({clean} checked).")

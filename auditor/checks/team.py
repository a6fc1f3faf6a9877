"""Named checks of the TEAM rules that need to read documents, not just find files.

- `readme` (TEAM001): a README that is more than a stub: several lines of content with setup
  or usage material (an install/usage/getting-started heading, or commands in code blocks);
- `model_card` (TEAM005): a model card file with content, training code that generates one
  (`trainer.create_model_card()`, `huggingface_hub.ModelCard`), or one README/docs page whose
  headings cover most of a model card (intended use, training data, evaluation, limitations).

Headings are read from Markdown (ATX and setext), reStructuredText (underlined titles) and
bold-only lines; fenced code blocks are skipped so `# comments` in code are not headings.
"""

from __future__ import annotations

import re

from auditor.model import Evidence, Outcome
from auditor.predicates import MAX_EVIDENCE

README_MIN_LINES = 5
MODEL_CARD_MIN_LINES = 5
MODEL_CARD_MIN_TOPICS = 3
DOC_EXTS = (".md", ".markdown", ".rst", ".txt", ".adoc", "")

_FENCE = re.compile(r"^\s*(```|~~~)")
_ATX = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_UNDERLINE = re.compile(r"^\s*([=\-~^*+#\"'`:.])\1{2,}\s*$")
_BOLD = re.compile(r"^\s*(?:\*\*|__)([^*_]{2,80})(?:\*\*|__):?\s*$")
_HTML_H = re.compile(r"<h[1-6][^>]*>(.{2,120}?)</h[1-6]>", re.IGNORECASE)
_BADGE = re.compile(r"^\s*(?:\[!\[|!\[|<img|<a\s|<p\s|</?p>|<div|</div>|\.\. image::|\.\. \|)")

USAGE_HEADING = re.compile(
    r"\b(?:install(?:ation|ing)?|set[\s-]?up|getting[\s-]started|quick[\s-]?start|usage|how[\s-]to"
    r"(?:[\s-]use|[\s-]run)|running|run(?:ning)?[\s-]the|reproduc\w*|requirements|prerequisites|"
    r"development|environment|training|inference|examples?)\b", re.IGNORECASE)
COMMAND = re.compile(
    r"^\s*(?:\$\s+|>\s+|%\s*|!)?(?:sudo\s+)?(?:pip3?|python3?(?:\.\d+)?|conda|mamba|micromamba|poetry|uv|"
    r"pipx|pipenv|pdm|hatch|make|docker(?:-compose)?|podman|dvc|mlflow|pytest|jupyter|jupyter-lab|"
    r"bash|sh|source|streamlit|uvicorn|gunicorn|tox|nox|just|git\s+clone|kedro|snakemake|"
    r"dagster|airflow|Rscript|julia|cd|export|\./[\w./-]+)\b", re.IGNORECASE)
_INLINE_CODE = re.compile(r"`([^`\n]{3,200})`")

# Topic words are matched in headings; the vague ones (`uses`, `applications`) only as the whole
# heading (the model card template's "## Uses"), not as a verb or a web "application".
MODEL_CARD_TOPICS = {
    "intended use": re.compile(r"\bintended\b|\buse[\s-]cases?\b|^\W*uses\W*$|out[\s-]of[\s-]scope|"
                               r"direct[\s-]use|downstream[\s-]use|"
                               r"^\W*(?:potential\s+|target\s+|intended\s+)?applications?\W*$",
                               re.IGNORECASE),
    "training data": re.compile(r"\bdata(?:sets?)?\b|\btraining[\s-](?:set|procedure)\b|\bdatasheet\b",
                                re.IGNORECASE),
    "evaluation": re.compile(r"\bevaluat\w*|\bresults?\b|\bperformance\b|\bmetrics?\b|\bbenchmarks?\b|"
                             r"\baccuracy\b", re.IGNORECASE),
    "limitations": re.compile(r"\blimitations?\b|\bcaveats?\b|\brisks?\b|\bbias(?:es)?\b(?!-)|\bethic\w*|"
                              r"\bfairness\b|known[\s-](?:issues|problems)|failure[\s-]modes?",
                              re.IGNORECASE),
}
MODEL_CARD_GLOBS = ["**/MODEL_CARD*", "**/MODELCARD*", "**/model_card*", "**/model-card*",
                    "**/modelcard*"]


def headings(text: str, *, atx: bool = True) -> list[tuple[int, str]]:
    """(line number, title) of every heading outside code blocks.

    `atx=False` for reStructuredText, where `# ...` lines are code comments, not headings.
    """
    out: list[tuple[int, str]] = []
    lines = text.splitlines()
    in_fence = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        m = (_ATX.match(line) if atx else None) or _BOLD.match(line)
        if m:
            out.append((i + 1, m.group(1).strip()))
            continue
        for h in _HTML_H.finditer(line):
            out.append((i + 1, re.sub(r"<[^>]+>", "", h.group(1)).strip()))
        if (i + 1 < len(lines) and line.strip() and not _UNDERLINE.match(line)
                and _UNDERLINE.match(lines[i + 1]) and len(lines[i + 1].strip()) >= min(3, len(line.strip()))):
            out.append((i + 1, line.strip()))
    return out


def content_lines(text: str) -> int:
    """Non-blank lines that are not badges, images or bare HTML wrappers."""
    return sum(1 for line in text.splitlines() if line.strip() and not _BADGE.match(line))


def usage_signals(text: str) -> list[tuple[int, str]]:
    """(line, what) for setup/usage headings and commands in code blocks or inline code."""
    found: list[tuple[int, str]] = []
    for number, title in headings(text):
        if USAGE_HEADING.search(title):
            found.append((number, f"section “{title[:60]}”"))
    in_fence = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        candidates = []
        if in_fence or line.startswith(("    ", "\t")) or line.lstrip().startswith(("$ ", ">>> ")):
            candidates.append(line)
        candidates += [c for c in _INLINE_CODE.findall(line) if " " in c.strip()]  # a command, not a name
        for cand in candidates:
            if COMMAND.match(cand):
                found.append((number, f"command `{cand.strip()[:60]}`"))
                break
    return sorted(set(found))


PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "environment.yml",
                 "environment.yaml", "package.json")


def is_readme(path: str) -> bool:
    base = path.rsplit("/", 1)[-1].lower()
    return base.split(".", 1)[0] == "readme" and ("." not in base or base.endswith(DOC_EXTS[:-1]))


def readme_files(project, *, projects_only: bool = False) -> list[str]:
    """README files, the root one first, then by depth.

    With `projects_only`, a nested README counts only in a subproject's folder (one with its
    own pyproject/setup/requirements file): a README in `data/` describes data, not the project.
    """
    paths = [p for p in project.files if is_readme(p)]
    if projects_only:
        paths = [p for p in paths if "/" not in p
                 or any(project.exists(p.rsplit("/", 1)[0] + "/" + f) for f in PROJECT_FILES)]
    return sorted(paths, key=lambda p: (p.count("/"), p))


def readme(ctx) -> Outcome:
    project = ctx.project
    searched = (f"a README with at least {README_MIN_LINES} lines of content and setup or usage "
                "material (an installation/usage/getting-started section, or commands such as "
                "`pip install`, `python ...`, `make ...` in code blocks)")
    files = readme_files(project, projects_only=True)
    if not files:
        return Outcome(False, [Evidence(None, None, "no README file at the root (or of a subproject)")],
                       searched)
    failures: list[Evidence] = []
    for path in files:
        text = project.read_text(path)
        if text is None:
            continue
        lines = content_lines(text)
        signals = usage_signals(text)
        if lines >= README_MIN_LINES and signals:
            evidence = [Evidence(path, None, f"README with {lines} lines of content")]
            evidence += [Evidence(path, line, what) for line, what in signals[:4]]
            shown = ", ".join(what for _, what in signals[:2])
            return Outcome(True, evidence, searched,
                           message=f"{path} has {lines} lines of content with setup/usage material ({shown}).")
        if len(failures) < 5:
            why = (f"only {lines} line{'s' if lines != 1 else ''} of content" if lines < README_MIN_LINES
                   else "no setup or usage section and no commands")
            failures.append(Evidence(path, None, why))
    if not failures:
        return Outcome(False, [Evidence(files[0], None, "README unreadable")], searched)
    first = failures[0]
    return Outcome(False, failures, searched,
                   message=f"{first.path} is a stub that does not explain setup or usage: {first.detail}.")


# "Weights & Biases" is an experiment tracker, not a section on model bias
_NOT_TOPIC = re.compile(r"weights\s*(?:and|&|&amp;)\s*biases|\bW&B\b", re.IGNORECASE)


_JOINED = re.compile(r"&|,|/|\band\b", re.IGNORECASE)


def _topics(text: str, path: str = "") -> dict[str, tuple[int, str]]:
    """Model-card topics and the heading that covers each.

    A heading covers one topic, or several only when it joins them ("Intended uses &
    limitations"): "Bias-efficient fine-tuning in low-data regimes" is one title, not two
    sections.
    """
    found: dict[str, tuple[int, str]] = {}
    for number, title in headings(text, atx=not path.lower().endswith(".rst")):
        cleaned = _NOT_TOPIC.sub(" ", title)
        hits = [topic for topic, rx in MODEL_CARD_TOPICS.items() if rx.search(cleaned)]
        if len(hits) > 1 and not _JOINED.search(cleaned):
            hits = [t for t in hits if t not in found][:1]
        for topic in hits:
            if topic not in found:
                found[topic] = (number, title)
    return found


# Code that writes a model card next to the model it trains or publishes: Hugging Face's
# `Trainer.create_model_card()` (also TRL and SetFit trainers), `huggingface_hub.ModelCard`
# (`from_template`, `ModelCardData`), Google's Model Card Toolkit.
MODEL_CARD_CALLS = [".create_model_card", "huggingface_hub.ModelCard",
                    "huggingface_hub.ModelCard.from_template", "huggingface_hub.ModelCardData", "huggingface_hub.repocard.ModelCard",
                    "huggingface_hub.repocard.ModelCard.from_template", "model_card_toolkit.*"]


def _generated_cards(ctx) -> list[Evidence]:
    from auditor.predicates import evaluate

    # only where the model is trained: a library that writes cards for its users' models
    # (PEFT adapters) does not document a model of its own
    out = evaluate({"calls": {"name": MODEL_CARD_CALLS, "in": "training-code"}}, ctx)
    if not out.ok:
        return []
    return [Evidence(e.path, e.line, f"generates a model card: {e.detail}") for e in out.evidence]


def model_card(ctx) -> Outcome:
    project = ctx.project
    searched = ("a model card (MODEL_CARD.md, model_card.*, or one generated by code such as "
                "`trainer.create_model_card()`), or a README/docs page with sections on "
                f"at least {MODEL_CARD_MIN_TOPICS} of: intended use, training data, evaluation, "
                "limitations")
    partial: list[Evidence] = []
    for path in project.glob(MODEL_CARD_GLOBS, ignore_case=True):
        text = project.read_text(path)
        if text is None:
            continue
        lines = content_lines(text)
        if lines >= MODEL_CARD_MIN_LINES:
            topics = _topics(text, path)
            evidence = [Evidence(path, None, f"model card, {lines} lines")]
            evidence += [Evidence(path, line, f"{topic}: “{title[:60]}”") for topic, (line, title) in topics.items()]
            return Outcome(True, evidence, searched, message=f"Model card: {path} ({lines} lines).")
        partial.append(Evidence(path, None, f"model card with only {lines} line{'s' if lines != 1 else ''} "
                                            "of content"))
    generated = _generated_cards(ctx)
    if generated:
        return Outcome(True, generated, searched,
                       message=f"A model card is generated with the model: {generated[0].path}:"
                               f"{generated[0].line} ({generated[0].detail}).")
    docs = readme_files(project) + [p for p in project.glob(["docs/**", "doc/**"])
                                    if p.lower().endswith((".md", ".markdown", ".rst"))]
    best: tuple[str, dict] | None = None
    for path in docs:
        text = project.read_text(path)
        if text is None:
            continue
        topics = _topics(text, path)
        if len(topics) >= MODEL_CARD_MIN_TOPICS:
            evidence = [Evidence(path, line, f"{topic}: “{title[:60]}”")
                        for topic, (line, title) in topics.items()]
            return Outcome(True, evidence, searched,
                           message=f"{path} documents the model: sections on {', '.join(topics)}.")
        if topics and (best is None or len(topics) > len(best[1])):
            best = (path, topics)
    if best is not None:
        path, topics = best
        missing = [t for t in MODEL_CARD_TOPICS if t not in topics]
        partial.append(Evidence(path, None, f"covers {', '.join(topics)}; missing {', '.join(missing)}"))
    if not partial:
        partial.append(Evidence(None, None, "no model card file and no README/docs sections on intended "
                                            "use, training data, evaluation or limitations"))
    return Outcome(False, partial[:MAX_EVIDENCE], searched,
                   message=f"The model is not documented: {partial[0].detail}.")

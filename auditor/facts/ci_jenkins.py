"""Jenkinsfiles -> CI jobs, read as text (Groovy is neither parsed nor run).

Each `stage('name')` becomes a job holding the `sh`/`bat`/`powershell` commands that follow
it (commands before the first stage form a job named "pipeline"). `triggers { cron(...) }`
and `parameterizedCron` mean a schedule, `pollSCM` a push; a pipeline without triggers is
built on push (multibranch). Declarative `matrix { axes { axis { name ...; values ... } } }`
gives the matrix.
"""

from __future__ import annotations

import re

from auditor.facts.ci import CIJob, merge_axes
from auditor.facts.ci_yaml import split_script

SYSTEM = "jenkins"

_STAGE = re.compile(r"""\bstage\s*\(\s*(?:name\s*:\s*)?(['"])(.+?)\1""")
_SHELL = re.compile(
    r"""\b(?:sh|bat|powershell|pwsh)\s*(?:\(\s*)?(?:(?:script|label|returnStdout|returnStatus|encoding)\s*:\s*"""
    r"""(?:true|false|(['"]).*?\1)\s*,\s*)*(?:script\s*:\s*)?(?P<q>'''|\"\"\"|'|")(?P<body>.*?)(?P=q)""",
    re.DOTALL,
)
_CRON = re.compile(r"\b(?:cron|parameterizedCron)\s*\(")
_POLL = re.compile(r"\bpollSCM\s*\(")
_AXIS = re.compile(r"""\baxis\s*\{\s*name\s+(['"])(\w+)\1\s*values\s+([^}]*)\}""", re.DOTALL)
_QUOTED = re.compile(r"""(['"])(.*?)\1""")


def _line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def parse(rel: str, text: str) -> list[CIJob]:
    triggers: set[str] = set()
    if _CRON.search(text):
        triggers.add("schedule")
    if _POLL.search(text) or not triggers:
        triggers.add("push")
    matrix: dict[str, list[str]] = {}
    for m in _AXIS.finditer(text):
        merge_axes(matrix, m.group(2), [v for _q, v in _QUOTED.findall(m.group(3))])
    stages = [(m.start(), m.group(2)) for m in _STAGE.finditer(text)]
    jobs: dict[str, CIJob] = {}

    def job_for(pos: int) -> CIJob:
        name, line = "pipeline", 1
        for start, stage in stages:
            if start > pos:
                break
            name, line = stage, _line_at(text, start)
        if name not in jobs:
            jobs[name] = CIJob(SYSTEM, rel, name, line, triggers=set(triggers),
                               matrix={k: list(v) for k, v in matrix.items()})
            jobs[name].python = list(matrix.get("python", []))
            jobs[name].os = list(matrix.get("os", []))
        return jobs[name]

    for m in _SHELL.finditer(text):
        body = m.group("body")
        start = m.start("body")
        line = _line_at(text, start)
        if m.group("q") in ("'''", '"""') and body.startswith("\n"):
            body, line = body[1:], line + 1
        job_for(m.start()).add_commands(split_script(body, line), file=rel)
    for start, stage in stages:
        job_for(start)
    return list(jobs.values())


def jobs(project, files: list[str]) -> list[CIJob]:
    out: list[CIJob] = []
    for rel in files:
        text = project.read_text(rel)
        if text:
            out.extend(parse(rel, text))
    return out

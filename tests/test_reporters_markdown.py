"""Markdown for PR comments and step summaries: parsed as GitHub-flavoured Markdown
(markdown-it with tables and raw HTML on), then checked for content and for safe escaping."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from click.testing import CliRunner
from markdown_it import MarkdownIt

from auditor.cli import cli
from auditor.model import Evidence
from auditor.reporters import render
from auditor.reporters.markdown import code, md
from tests.helpers import make_repo
from tests.test_reporters_common import sample_report, sample_results


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def to_html(text: str) -> Tags:
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    parser = Tags()
    parser.feed(html)
    return parser


def test_header_table_and_failures_with_fixes():
    report = sample_report()
    text = render("markdown", report)
    first = text.splitlines()[0]
    assert first.startswith("## ") and f"{report.summary.score:.1f} / 100" in first
    assert f"grade {report.summary.grade}" in first
    assert "**Threshold** 70: ❌ **not met**" in text
    parsed = to_html(text)
    rows = [a for t, a in parsed.tags if t == "tr"]
    # category table: header + one row per category; collapsed tables: header + one row per rule
    n_cats, n_pass, n_skip = len(report.summary.categories), 3, 3
    assert len(rows) == (1 + n_cats) + (1 + n_pass) + (1 + n_skip)
    headings = [line for line in text.splitlines() if line.startswith("#### ")]
    assert [h.split()[2] for h in headings] == ["VCS005", "CI002", "DATA001", "TEAM006", "VCS006"]  # by severity
    assert "> **Fix:** Remove the key, rotate it, and read it from the environment." in text
    assert "`pytest`" in text  # code spans of rule texts stay code
    joined = "".join(parsed.text)
    assert "Rules that could not run (1)" in joined and "DATA003" in joined
    assert "MON001" in joined  # notices
    assert "params.yaml" in joined  # problems


def test_details_are_balanced_and_evidence_collapsed():
    text = render("markdown", sample_report())
    assert text.count("<details>") == text.count("</details>") >= 3
    assert "<details><summary>Evidence (2)</summary>" in text  # VCS005 has two files
    assert "`src/settings.py:12` — AWS access key id" in text
    # "searched for X" evidence that only repeats the message is not shown twice
    data001 = text[text.index("DATA001"):text.index("TEAM006")]
    assert "Evidence" not in data001


def test_repository_text_cannot_inject_markup():
    parsed = to_html(render("markdown", sample_report()))
    tags = [t for t, _ in parsed.tags]
    assert "script" not in tags
    assert not any(t == "a" for t in tags), "no link may come from audited content"
    assert "<script>alert(1)</script>" in "".join(parsed.text)  # shown as text
    assert md("a|b*c_<x>") == "a\\|b\\*c\\_&lt;x&gt;"
    assert code("a`b") == "``a`b``" and code("`x") == "`` `x ``"


def test_long_reports_fit_a_github_comment():
    results = sample_results()
    results[1].evidence = [Evidence(f"src/file_{i}.py", i + 1, "x" * 300) for i in range(20)]
    full = render("markdown", sample_report(results=results))
    assert len(full) > 6000 and "truncated" not in full and "… 10 more" in full
    compact = render("markdown", sample_report(results=results), max_chars=6000)  # fewer evidence lines
    assert len(compact) <= 6000 and "… 17 more" in compact and "truncated" not in compact
    cut = render("markdown", sample_report(results=results), max_chars=1500)  # then cut, blocks closed
    assert len(cut) <= 1500 and "truncated" in cut
    assert cut.count("<details>") == cut.count("</details>")


def test_long_messages_are_folded():
    results = sample_results()
    results[3].message = "Not found: " + "; or ".join(f"a file matching `pattern_{i}.yml`" for i in range(40))
    text = render("markdown", sample_report(results=results))
    section = text[text.index("DATA001"):text.index("TEAM006")]
    summary_line = next(line for line in section.splitlines() if line.startswith("*high*"))
    assert summary_line.endswith("…") and "pattern_39" not in summary_line
    assert "<details><summary>Everything mlaudit looked for</summary>" in section
    assert "`pattern_39.yml`" in section  # the whole message, code spans intact, one click away
    compact = render("markdown", sample_report(results=results), max_chars=len(text) - 1)
    assert "Everything mlaudit looked for" not in compact and "pattern_39" not in compact


def test_markdown_file_alongside_json_on_stdout(tmp_path: Path):
    repo = make_repo(tmp_path, {"README.md": "# demo\n"})
    summary = tmp_path / "summary.md"
    result = CliRunner().invoke(cli, [str(repo), "--no-config", "-f", "json", "-o", f"markdown:{summary}"])
    assert result.exit_code == 0, result.output
    assert result.output.lstrip().startswith("{")
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## ") and "| Category | Score |" in text

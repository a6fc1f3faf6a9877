"""The HTML report: self-contained (nothing fetched from anywhere), escaped, and carrying the
score, grade, category chart, failures with evidence and fixes, passed rules collapsed.

Parsed with html.parser, so no browser is needed (the browser check is manual, see
docs/integrations.md)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.reporters import render
from tests.helpers import SAMPLES
from tests.test_reporters_common import NASTY, sample_report

URL_ATTRS = {"src", "href", "xlink:href", "action", "formaction", "poster", "data", "srcset", "background"}


class Page(HTMLParser):
    """Collects tags with their attributes, the open-tag stack path of each text, and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.stack: list[str] = []
        self.texts: list[tuple[tuple[str, ...], str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        self.tags.append((tag, a))
        if "id" in a:
            self.ids.add(a["id"])
        if tag not in ("meta", "link", "br", "img", "input", "stop", "line", "rect", "circle"):
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, {k: (v or "") for k, v in attrs}))

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if data.strip():
            self.texts.append((tuple(self.stack), data))

    def text(self) -> str:
        return " ".join(t for _, t in self.texts)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag]


def page(report) -> Page:
    p = Page()
    p.feed(render("html", report))
    p.close()
    return p


def assert_self_contained(p: Page) -> None:
    for tag, attrs in p.tags:
        for name, value in attrs.items():
            if name in URL_ATTRS:
                assert value.startswith("#") and value[1:] in p.ids, f"<{tag} {name}={value!r}> leaves the page"
        assert tag not in ("script", "link", "img", "iframe", "object", "embed"), tag
        assert "url(http" not in attrs.get("style", "")
    css = " ".join(t for path, t in p.texts if path and path[-1] == "style")
    assert "@import" not in css and "url(" not in css and "@font-face" not in css
    csp = [a for a in p.all("meta") if a.get("http-equiv", "").lower() == "content-security-policy"]
    assert csp and "default-src 'none'" in csp[0]["content"]


def test_self_contained_no_external_url():
    assert_self_contained(page(sample_report()))


def test_score_grade_and_category_chart():
    report = sample_report()
    p = page(report)
    text = p.text()
    assert f"Score {report.summary.score:.1f} / 100" in text
    title = next(t for path, t in p.texts if path and path[-1] == "title")
    assert f"({report.summary.grade})" in title
    svgs = p.all("svg")
    assert len(svgs) >= 2  # the score ring and the chart, both inline
    bars = [a for a in p.all("rect") if "bar" in a.get("class", "").split()]
    scored = [c for c in report.summary.categories if c.score is not None]
    assert [b["data-category"] for b in bars] == [c.id for c in scored]
    widths = {b["data-category"]: float(b["width"]) for b in bars}
    # the bars are drawn to scale: TEAM (75) is longer than CI (50), which is longer than VCS (28.6)
    assert widths["TEAM"] > widths["CI"] > widths["VCS"] > widths["DATA"]
    assert "required score 70" in text  # the threshold line is labelled
    assert "Required score 70: NOT met" in text


def test_failures_with_evidence_and_fixes_passed_collapsed():
    p = page(sample_report())
    articles = [a["id"] for a in p.all("article")]
    assert articles == ["VCS005", "CI002", "DATA001", "TEAM006", "VCS006"]  # most severe first
    text = p.text()
    assert "How to fix:" in text and "Remove the key, rotate it, and read it from the environment." in text
    assert "src/settings.py:12" in text and "AWS access key id" in text
    # code spans of rule texts become <code>
    assert any(path[-1] == "code" and t == "pytest" for path, t in p.texts if path)
    # passed, skipped and problem sections are <details> (collapsed: no `open` attribute)
    details = [d for d in p.all("details") if d.get("class") != "more"]
    assert len(details) == 3 and all("open" not in d for d in details)
    passed_texts = [t for path, t in p.texts if "details" in path]
    assert any("TEAM001" in t for t in passed_texts) and any("TEAM007" in t for t in passed_texts)
    assert not any("VCS005" == t for t in passed_texts)


def test_long_messages_are_folded_not_lost():
    from tests.test_reporters_common import sample_results

    results = sample_results()
    long = "Not found: " + "; or ".join(f"a file matching `pattern_{i}.yml`" for i in range(40)) + "."
    results[3].message = long  # DATA001
    p = page(sample_report(results=results))
    card = [t for path, t in p.texts if "article" in path]
    folded = [d for d in p.all("details") if d.get("class") == "more"]
    assert len(folded) == 1
    assert "pattern_39.yml" in " ".join(card)  # the whole message is still in the page, one click away
    visible = [t for path, t in p.texts if "article" in path and "details" not in path]
    assert not any("pattern_39" in t for t in visible) and any(t.endswith("…") for t in visible)


def test_repository_text_is_escaped():
    html = render("html", sample_report())
    assert "<script>" not in html
    p = page(sample_report())
    assert any(NASTY in t for _, t in p.texts)  # shown verbatim as text
    assert "weird dir/fi`le<1>.ipynb" in p.text()


def test_no_failures_says_so():
    from tests.test_reporters_common import sample_results

    passing = [r for r in sample_results() if r.status == "pass"]
    p = page(sample_report(results=passing, threshold=None))
    assert "every applicable rule passes" in p.text()
    assert not p.all("article")


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.iterdir() if p.is_dir()))
def test_real_audits_are_self_contained(sample, tmp_path: Path):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(cli, [str(SAMPLES / sample), "--no-config", "-f", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    p = Page()
    p.feed(out.read_text(encoding="utf-8"))
    assert_self_contained(p)
    assert "MLOps audit report" in p.text()

"""The bundled rule files are valid: checked here once, so audits need not re-validate them."""

from __future__ import annotations

import pytest

from auditor.parsing import load_toml
from auditor.rules_loader import builtin_rule_files, load_rule_file
from auditor.schema_validation import errors


@pytest.mark.parametrize("path", builtin_rule_files(), ids=lambda p: p.name)
def test_bundled_rule_file_validates_against_the_rule_schema(path):
    data = load_toml(path.read_text(encoding="utf-8"))
    assert errors("rule.schema.json", data) == []
    assert [r.id for r in load_rule_file(path, validate=True)] == [r.id for r in load_rule_file(path, validate=False)]


def test_the_schema_check_here_can_fail():
    bad = {"rule": [{"id": "X1", "slug": "x"}]}
    assert errors("rule.schema.json", bad)

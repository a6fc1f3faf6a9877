"""The `mlaudit` command line: click commands only, no audit logic.

Exit codes are a contract: 0 audit done and threshold met; 1 below `--fail-under`;
2 usage, configuration or input error (one line on stderr, never a traceback).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from auditor import __version__

FORMAT_CHOICES = ["text", "json", "markdown", "sarif", "junit", "html"]
PROFILE_CHOICES = ["research", "team", "production"]
COMMANDS = ("check", "rules", "explain")


def _fail(message: str) -> "click.exceptions.Exit":
    click.echo(f"mlaudit: error: {message}", err=True)
    return click.exceptions.Exit(2)


def _split(values: tuple[str, ...]) -> list[str] | None:
    items = [v.strip().upper() for raw in values for v in raw.split(",") if v.strip()]
    return items or None


class DefaultGroup(click.Group):
    """`mlaudit PATH` means `mlaudit check PATH`, like ruff's and pytest's bare invocations."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")):
            args = ["check", *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mlaudit")
def cli() -> None:
    """Audit a machine learning repository against MLOps best practices.

    `mlaudit [PATH]` audits PATH (default: the current directory) or a git URL.
    """


@cli.command("check")
@click.argument("path", default=".", required=False)
@click.option("-f", "--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="text", show_default=True,
              help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report to FILE.")
@click.option("--profile", type=click.Choice(PROFILE_CHOICES), help="Maturity profile (default: production).")
@click.option("--fail-under", type=click.FloatRange(0, 100), help="Exit 1 when the score is below SCORE.")
@click.option("--select", multiple=True, help="Only these rule ids, categories or id prefixes (comma-separated).")
@click.option("--ignore", multiple=True, help="Skip these rule ids, categories or id prefixes (comma-separated).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Read configuration from FILE.")
@click.option("--no-config", is_flag=True, help="Ignore configuration files in the audited repository.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when the score is below the threshold.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the score line.")
@click.option("-v", "--verbose", is_flag=True, help="Also show passed and not-applicable rules.")
def check(path: str, fmt: str, output: str | None, profile: str | None, fail_under: float | None,
          select: tuple[str, ...], ignore: tuple[str, ...], config_file: str | None, no_config: bool,
          exit_zero: bool, quiet: bool, verbose: bool) -> None:
    """Audit PATH (a directory or a git URL) and print the report."""
    from auditor.audit import AuditOptions

    overrides = {"profile": profile, "fail-under": fail_under, "select": _split(select),
                 "ignore": _split(ignore)}
    options = AuditOptions(config_file=config_file, no_config=no_config, overrides=overrides)
    report = _audit(path, options)
    color = output is None and fmt == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    from auditor.reporters import FORMATS, render

    if fmt not in FORMATS:
        raise _fail(f"format {fmt!r} is not available in this version")
    text = render(fmt, report, color=color, verbose=verbose, quiet=quiet)
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise _fail(f"cannot write {output}: {exc.strerror or exc}") from None
    else:
        click.echo(text, nl=False)
    if not report.summary.threshold_met and not exit_zero:
        raise click.exceptions.Exit(1)


def _audit(path: str, options):
    from auditor.audit import ConfigError, RuleFileError, run_audit
    from auditor.gitsafe import GitError
    from auditor.project import InputError
    from auditor.remote import cloned, is_git_url

    try:
        if is_git_url(path):
            with cloned(path) as local:
                options.display_path = path
                return run_audit(local, options)
        return run_audit(path, options)
    except (InputError, ConfigError, RuleFileError, GitError) as exc:
        raise _fail(str(exc)) from None
    except KeyboardInterrupt:
        click.echo("mlaudit: interrupted", err=True)
        raise click.exceptions.Exit(2) from None
    except Exception as exc:  # never a traceback; MLAUDIT_DEBUG=1 shows one for bug reports
        if os.environ.get("MLAUDIT_DEBUG"):
            raise
        raise _fail(f"internal error: {exc.__class__.__name__}: {exc} (set MLAUDIT_DEBUG=1 for details)") from None


def _load_catalogue():
    from auditor.rules_loader import RuleFileError, load_rules

    try:
        return load_rules()[0]
    except RuleFileError as exc:
        raise _fail(str(exc)) from None


@cli.command("rules")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_cmd(fmt: str) -> None:
    """List the rule catalogue."""
    from auditor.catalogue import catalogue_json, catalogue_text

    rules = _load_catalogue()
    click.echo(catalogue_json(rules) if fmt == "json" else catalogue_text(rules), nl=False)


@cli.command("explain")
@click.argument("rule_id")
def explain_cmd(rule_id: str) -> None:
    """Explain a rule: what it checks, why it matters, how to fix it."""
    from auditor.catalogue import explain, find_rule

    rules = _load_catalogue()
    rule = find_rule(rules, rule_id)
    if rule is None:
        raise _fail(f"unknown rule {rule_id!r}; `mlaudit rules` lists them")
    click.echo(explain(rule), nl=False)


def main() -> None:
    try:
        cli.main(prog_name="mlaudit", standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        click.echo("mlaudit: interrupted", err=True)
        sys.exit(2)

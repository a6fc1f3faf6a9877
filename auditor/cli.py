"""The `mlaudit` command line: click commands only, no audit logic.

Exit codes are a contract: 0 audit done and threshold met; 1 below `--fail-under`;
2 usage, configuration or input error (one line on stderr, never a traceback).
"""

from __future__ import annotations

import os
import sys

import click

from auditor import __version__

FORMAT_CHOICES = ["text", "json", "markdown", "sarif", "junit", "html", "badge", "badge-svg"]
PROFILE_CHOICES = ["research", "team", "production"]
COMMANDS = ("check", "rules", "explain", "badge", "baseline")


def _fail(message: str) -> click.exceptions.Exit:
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


def _selection_options(func):
    """Options shared by every command that runs an audit."""
    for option in reversed([
        click.option("--profile", type=click.Choice(PROFILE_CHOICES), help="Maturity profile (default: production)."),
        click.option("--select", multiple=True, help="Only these rule ids, categories or id prefixes (comma-separated)."),
        click.option("--ignore", multiple=True, help="Skip these rule ids, categories or id prefixes (comma-separated)."),
        click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Read configuration from FILE."),
        click.option("--no-config", is_flag=True, help="Ignore configuration files in the audited repository."),
        # performance knobs (auditor/cache.py); kept out of the command signatures
        click.option("--no-cache", is_flag=True, expose_value=False, callback=_store_meta,
                     help="Do not read or write the per-file fact cache (in MLAUDIT_CACHE_DIR or the "
                          "user cache directory)."),
        click.option("--jobs", "-j", type=click.IntRange(min=1), expose_value=False, callback=_store_meta,
                     help="Processes for per-file work and rule evaluation on large repositories "
                          "(default: all CPUs). Results do not depend on it."),
    ]):
        func = option(func)
    return func


def _store_meta(ctx: click.Context, param: click.Parameter, value) -> None:
    ctx.meta[f"mlaudit.{param.name}"] = value


def _options(profile, select, ignore, config_file, no_config, fail_under=None):
    from auditor.audit import AuditOptions

    overrides = {"profile": profile, "fail-under": fail_under, "select": _split(select), "ignore": _split(ignore)}
    meta = click.get_current_context().meta
    return AuditOptions(config_file=config_file, no_config=no_config, overrides=overrides,
                        use_cache=not meta.get("mlaudit.no_cache", False), jobs=meta.get("mlaudit.jobs"))


@cli.command("check")
@click.argument("path", default=".", required=False)
@click.option("-f", "--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="text", show_default=True,
              help="Report format.")
@click.option("-o", "--output", "outputs", multiple=True, metavar="FILE|FORMAT:FILE",
              help="Write the report to FILE instead of stdout; FORMAT:FILE (repeatable) also writes another "
                   "format, e.g. -o sarif:mlaudit.sarif -o markdown:summary.md.")
@_selection_options
@click.option("--fail-under", type=click.FloatRange(0, 100), help="Exit 1 when the score is below SCORE.")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False),
              help="Exit 1 only for rules that fail and are not recorded in this baseline (see `mlaudit baseline`).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when the score is below the threshold.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the score line.")
@click.option("-v", "--verbose", is_flag=True, help="Also show passed and not-applicable rules.")
def check(path: str, fmt: str, outputs: tuple[str, ...], profile: str | None, select: tuple[str, ...],
          ignore: tuple[str, ...], config_file: str | None, no_config: bool, fail_under: float | None,
          baseline_file: str | None, exit_zero: bool, quiet: bool, verbose: bool) -> None:
    """Audit PATH (a directory or a git URL) and print the report."""
    from auditor.reporters import FORMATS
    from auditor.reporters.outputs import OutputError, plan

    try:
        destinations = plan(fmt, outputs, FORMATS)
    except OutputError as exc:
        raise _fail(str(exc)) from None
    baseline = _load_baseline(baseline_file) if baseline_file else None
    report = _audit(path, _options(profile, select, ignore, config_file, no_config, fail_under))
    passed = report.summary.threshold_met
    if baseline is not None:
        from auditor.baseline import annotate, compare

        comparison = compare(report, baseline)
        report = annotate(report, comparison, baseline)
        passed = comparison.ok
    _emit(report, destinations, quiet=quiet, verbose=verbose)
    if not passed and not exit_zero:
        raise click.exceptions.Exit(1)


def _emit(report, destinations, **options) -> None:
    from auditor.reporters import FORMATS, render
    from auditor.reporters.outputs import OutputError, write

    for dest in destinations:
        if dest.fmt not in FORMATS:
            raise _fail(f"format {dest.fmt!r} is not available in this version")
        color = (dest.path is None and dest.fmt == "text" and sys.stdout.isatty()
                 and "NO_COLOR" not in os.environ)
        text = render(dest.fmt, report, color=color, **options)
        if dest.path is None:
            click.echo(text, nl=False)
            continue
        try:
            write(dest.path, text)
        except OutputError as exc:
            raise _fail(str(exc)) from None


def _load_baseline(path: str):
    from auditor.baseline import BaselineError, load

    try:
        return load(path)
    except BaselineError as exc:
        raise _fail(str(exc)) from None


@cli.command("badge")
@click.argument("path", default=".", required=False)
@click.option("--json", "json_file", default="mlaudit-badge.json", show_default=True,
              help="Write the shields.io endpoint JSON here ('' to skip).")
@click.option("--svg", "svg_file", default="mlaudit-badge.svg", show_default=True,
              help="Write a self-contained SVG badge here ('' to skip).")
@_selection_options
@click.option("--fail-under", type=click.FloatRange(0, 100), help="Exit 1 when the score is below SCORE.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when the score is below the threshold.")
def badge_cmd(path: str, json_file: str, svg_file: str, profile: str | None, select: tuple[str, ...],
              ignore: tuple[str, ...], config_file: str | None, no_config: bool, fail_under: float | None,
              exit_zero: bool) -> None:
    """Write README badges (shields.io endpoint JSON and SVG) with the score and grade."""
    report = _audit(path, _options(profile, select, ignore, config_file, no_config, fail_under))
    from auditor.reporters.badge import message
    from auditor.reporters.outputs import Destination

    written = [Destination(f, p) for f, p in (("badge", json_file), ("badge-svg", svg_file)) if p]
    _emit(report, written)
    click.echo(f"mlaudit: badge '{message(report)}' written to {', '.join(d.path for d in written) or 'nowhere'}")
    if not report.summary.threshold_met and not exit_zero:
        raise click.exceptions.Exit(1)


@cli.command("baseline")
@click.argument("path", default=".", required=False)
@click.option("-o", "--output", default=".mlaudit-baseline.json", show_default=True,
              help="The baseline file to write.")
@_selection_options
def baseline_cmd(path: str, output: str, profile: str | None, select: tuple[str, ...], ignore: tuple[str, ...],
                 config_file: str | None, no_config: bool) -> None:
    """Record the rules failing now, for `mlaudit --baseline FILE` (fail only on new failures)."""
    from auditor.baseline import dumps
    from auditor.reporters.outputs import OutputError, write

    report = _audit(path, _options(profile, select, ignore, config_file, no_config))
    try:
        write(output, dumps(report))
    except OutputError as exc:
        raise _fail(str(exc)) from None
    failing = report.summary.counts["fail"]
    click.echo(f"mlaudit: recorded {failing} failing rule(s) in {output}; "
               f"`mlaudit --baseline {output}` now fails only on new ones")


def _audit(path: str, options):
    from auditor.audit import ConfigError, RuleFileError, run_audit
    from auditor.budget import BudgetExceeded
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
    except BudgetExceeded:  # a deadline that escaped its own guard: a bug, but never a traceback
        raise _fail("internal error: a per-file time budget escaped its guard "
                    "(set MLAUDIT_DEBUG=1 for details)") from None
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
    """The `mlaudit` command. It ends with `os._exit` once its output is flushed: tearing
    the interpreter down would free every object of the audit one by one (0.1-0.2 s after a
    large tree), and nothing is left to clean up by then (the report file, the cache and
    child processes are closed where they are used; no atexit work is registered)."""
    try:
        cli.main(prog_name="mlaudit", standalone_mode=True)
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        click.echo("mlaudit: interrupted", err=True)
        code = 2
    _exit_now(code)


def _exit_now(code: object) -> None:
    """Exit as `sys.exit(code)` would, without the interpreter's teardown."""
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):   # a closed pipe or stream: nothing more to deliver
            pass
    os._exit(code)

"""`veladdon test`: a thin adapter over veladdon.kube.installtest, and its three reports: a line per step
(text), one JSON document (`-o json`) and a JUnit XML file (`--junit`), the format every CI system reads."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from veladdon.cli.console import Terminal
from veladdon.cli.options import (
    Context,
    Kubeconfig,
    OutputFormat,
    SetArgs,
    ValuesFiles,
    collect,
    parse_duration,
)
from veladdon.errors import ExitCode, InputError
from veladdon.wording import plural

if TYPE_CHECKING:
    from veladdon.kube.installtest import AddonResult, RunOptions, StepResult

MARK = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}
SHOWN_DETAILS = 10


def register(app: typer.Typer) -> None:
    app.command(name="test")(test_cmd)


def _output(value: str) -> OutputFormat:
    name = str(value).lower()
    if name not in ("text", "json"):
        raise typer.BadParameter(f"{value!r} is not one of text, json")
    return OutputFormat(name)


def test_cmd(
    ctx: typer.Context,
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="ADDON_DIR...", help="Addon folders, or folders of addons.", show_default=False
        ),
    ],
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="GIT_REF", help="Only the addons with changes since REF."),
    ] = None,
    set_args: SetArgs = None,
    values_files: ValuesFiles = None,
    examples: Annotated[
        list[Path] | None,
        typer.Option(
            "--example", metavar="FILE", help="An Application using the addon, run in a namespace of its own."
        ),
    ] = None,
    upgrade_from: Annotated[
        str | None,
        typer.Option(
            "--upgrade-from", metavar="GIT_REF", help="Also upgrade from the addon as it was at REF."
        ),
    ] = None,
    timeout: Annotated[
        str, typer.Option("--timeout", metavar="DURATION", help="How long each wait may take (30s, 5m).")
    ] = "10m",
    junit: Annotated[
        Path | None, typer.Option("--junit", metavar="FILE", help="Write a JUnit XML report to FILE.")
    ] = None,
    output: Annotated[
        OutputFormat,
        typer.Option("-o", "--output", metavar="text|json", parser=_output, help="Output format."),
    ] = OutputFormat.text,
    keep: Annotated[
        bool, typer.Option("--keep", help="Leave the last addon enabled, for debugging.")
    ] = False,
    reuse: Annotated[
        bool, typer.Option("--reuse", help="Test addons that are already enabled, in place.")
    ] = False,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
) -> None:
    """Install-test addons on a cluster: enable, check, disable (exit 1 when a step fails).

    Install-test addons on a cluster with KubeVela, as chart-testing does for Helm charts: render,
    server dry run, enable (waiting until it runs), owned, examples, idempotent, upgrade (with
    --upgrade-from) and disable and collect, each a test case. Exit 0 when every step passed, 1 when
    one failed, 2 on bad input, 5 when the cluster cannot be reached (see docs/test.md)."""
    from veladdon.addon.git import changed_files, verify_ref
    from veladdon.addon.model import system_namespace
    from veladdon.kube.installtest import RunOptions, check_inputs
    from veladdon.lint.engine import discover

    term: Terminal = ctx.obj
    options = RunOptions(
        args=collect(None, set_args, values_files),
        examples=tuple(examples or ()),
        upgrade_from=upgrade_from,
        timeout=parse_duration(timeout),
        keep=keep,
        reuse=reuse,
        system_namespace=system_namespace(),
    )
    found = discover(paths)
    for flag, ref in (("--since", since), ("--upgrade-from", upgrade_from)):
        if ref is not None:
            verify_ref(found[0], ref, flag)
    folders = [f for f in found if since is None or changed_files(f, since)]
    check_inputs(folders, options)
    if not folders:
        term.info(f"no addon changed since {since}: nothing to test")
        if junit is not None:
            _write(junit, junit_xml([]))
        if output is OutputFormat.json:
            term.write(_json([]))
        return
    results: list[AddonResult] = []
    try:
        _run(term, folders, options, kubeconfig, context, results, text=output is OutputFormat.text)
    finally:
        if junit is not None and results:  # an interrupted run reports the steps that ran
            _write(junit, junit_xml(results))
    if output is OutputFormat.json:
        term.write(_json(results))
    failed = [r.addon for r in results if not r.passed]
    if output is OutputFormat.text:
        passed = len(results) - len(failed)
        summary = f"{plural(passed, 'addon')} passed"
        if failed:
            summary = f"{plural(len(failed), 'addon')} failed ({', '.join(failed)}), {passed} passed"
        term.write(summary + "\n")
    if failed:
        raise typer.Exit(int(ExitCode.FAILED))


def _run(
    term: Terminal,
    folders: list[Path],
    options: RunOptions,
    kubeconfig: str | None,
    context: str | None,
    results: list[AddonResult],
    *,
    text: bool,
) -> None:
    from veladdon.cue.evaluator import default_evaluator
    from veladdon.kube.cluster import Cluster
    from veladdon.kube.installtest import Events, run_tests

    evaluator = default_evaluator(term.cue_path)
    evaluator.warm()
    progress = _Progress(term, text=text)
    events = Events(started=progress.started, finished=progress.finished, waiting=progress.waiting)
    try:
        with Cluster.connect(kubeconfig, context) as cluster:
            run_tests(cluster, folders, options, evaluator=evaluator, events=events, into=results)
    finally:
        progress.stop()


class _Progress:
    """A line per step on stdout as each finishes; on a terminal a spinner on stderr while one runs."""

    def __init__(self, term: Terminal, *, text: bool) -> None:
        self.term = term
        self.text = text
        self.status: Any = None
        self.current = ""
        self.addon = ""

    def started(self, addon: str, step: Any) -> None:
        if self.text and addon != self.addon:
            self.addon = addon
            self.term.write(f"{addon}\n")
            sys.stdout.flush()
        self.current = f"{addon}: {step.value}"
        self.waiting("")

    def waiting(self, what: str) -> None:
        if not self.term.err.is_terminal:
            return
        line = f"{self.current}: {what}" if what else f"{self.current}…"
        if self.status is None:
            self.status = self.term.err.status(line)
            self.status.start()
        else:
            self.status.update(line)

    def finished(self, addon: str, result: StepResult) -> None:
        self.stop()
        if not self.text:
            return
        self.term.write(step_line(result))
        sys.stdout.flush()

    def stop(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


def step_line(result: StepResult) -> str:
    """`  PASS  render (0.4s): 12 objects rendered`, then a failure's details, indented."""
    from veladdon.kube.installtest import Verdict

    seconds = f" ({result.seconds:.1f}s)" if result.verdict is not Verdict.SKIPPED else ""
    line = f"  {MARK[result.verdict.value]}  {result.step.value}{seconds}"
    if result.message:
        line += f": {result.message}"
    lines = [line]
    if result.verdict is Verdict.FAILED:
        shown = result.details[:SHOWN_DETAILS]
        lines += [f"        {d}" for d in shown if d != result.message]
        if len(result.details) > len(shown):
            lines.append(f"        and {len(result.details) - len(shown)} more")
    return "\n".join(lines) + "\n"


def _json(results: list[AddonResult]) -> str:
    from veladdon.addon.yamlutil import dump_json

    return dump_json({"passed": all(r.passed for r in results), "addons": [r.to_json() for r in results]})


def junit_xml(results: list[AddonResult]) -> bytes:
    """One <testsuite> per addon, one <testcase> per step, a <failure> or <skipped> carrying the message:
    the Jenkins JUnit schema (junit-10.xsd) that GitHub, GitLab and Jenkins report readers accept."""
    import xml.etree.ElementTree as ET

    from veladdon.kube.installtest import Verdict

    suites = ET.Element(
        "testsuites",
        {
            "name": "veladdon test",
            "tests": str(sum(len(r.steps) for r in results)),
            "failures": str(sum(s.verdict is Verdict.FAILED for r in results for s in r.steps)),
            "errors": "0",
            "time": f"{sum(r.seconds for r in results):.3f}",
        },
    )
    host = socket.gethostname()
    for number, result in enumerate(results):
        cases = result.steps
        suite = ET.SubElement(
            suites,
            "testsuite",
            {
                "name": result.addon,
                "tests": str(len(cases)),
                "failures": str(sum(s.verdict is Verdict.FAILED for s in cases)),
                "errors": "0",
                "skipped": str(sum(s.verdict is Verdict.SKIPPED for s in cases)),
                "time": f"{result.seconds:.3f}",
                "timestamp": result.started.strftime("%Y-%m-%dT%H:%M:%S"),
                "hostname": host,
                "id": str(number),
                "package": result.path,
            },
        )
        ET.SubElement(suite, "properties")
        for step in cases:
            case = ET.SubElement(
                suite,
                "testcase",
                {
                    "name": step.step.value,
                    "classname": f"veladdon.test.{result.addon}",
                    "time": f"{step.seconds:.3f}",
                },
            )
            if step.verdict is Verdict.FAILED:
                failure = ET.SubElement(case, "failure", {"message": step.message, "type": step.step.value})
                failure.text = "\n".join([step.message, *step.details])
            elif step.verdict is Verdict.SKIPPED:
                ET.SubElement(case, "skipped", {"message": step.message})
            elif step.details:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(step.details)
        ET.SubElement(suite, "system-out")
        ET.SubElement(suite, "system-err")
    ET.indent(suites)
    data: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise InputError(f"--junit {path}: {exc.strerror or exc}", hint="give a writable file") from None

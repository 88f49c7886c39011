"""`veladdon disable`, `list` and `status`: thin adapters over veladdon.kube.disable and
veladdon.kube.status (the kubernetes client is imported only when a command runs)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from veladdon.cli.console import Terminal
from veladdon.cli.options import (
    Context,
    DryRun,
    Kubeconfig,
    Output,
    OutputFormat,
    parse_duration,
    plain_table,
)
from veladdon.errors import VeladdonError
from veladdon.wording import plural

if TYPE_CHECKING:
    from veladdon.kube.cluster import Cluster
    from veladdon.kube.disable import DisablePlan
    from veladdon.kube.status import AddonList, AddonStatus

DEFAULT_TIMEOUT = "5m"


Name = Annotated[str, typer.Argument(metavar="NAME", help="The addon's name.", show_default=False)]


def register(app: typer.Typer) -> None:
    app.command(name="disable")(disable)
    app.command(name="uninstall", hidden=True, help="Alias of `disable`.")(disable)
    app.command(name="list")(list_addons)
    app.command(name="ls", hidden=True, help="Alias of `list`.")(list_addons)
    app.command(name="status")(status)


# --- disable -----------------------------------------------------------------------------------


def disable(
    ctx: typer.Context,
    name: Name,
    force: Annotated[
        bool, typer.Option("-f", "--force", help="Disable even while Applications use its definitions.")
    ] = False,
    dry_run: Annotated[
        DryRun | None,
        typer.Option(
            "--dry-run",
            help="client (bare --dry-run): say what would be deleted, reads only; server: also send the "
            "deletes with dryRun=All. Nothing is deleted either way.",
        ),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Wait until the addon's objects are gone.")
    ] = True,
    timeout: Annotated[
        str, typer.Option("--timeout", metavar="DURATION", help="How long to wait (30s, 5m, 1h).")
    ] = DEFAULT_TIMEOUT,
    yes: Annotated[bool, typer.Option("-y", "--yes", help="Do not ask for confirmation.")] = False,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
) -> None:
    """Disable an addon and remove everything it installed.

    Disable an addon: refuse while Applications use its definitions, delete its Application, and
    wait until everything it owned is gone (objects garbage collection cannot reach are deleted by
    veladdon; objects that existed before the addon are kept)."""
    from veladdon.addon.model import system_namespace
    from veladdon.kube.disable import execute_disable, plan_disable

    term: Terminal = ctx.obj
    seconds = parse_duration(timeout)
    with _connect(kubeconfig, context) as cluster:
        plan = plan_disable(cluster, name, system_namespace(), force=force)
        if plan.users:
            term.warn(f"addon {name} is still used by {', '.join(plan.users)}; disabling anyway (--force)")
        if plan.unchecked:
            term.warn(plan.unchecked)
        if dry_run is DryRun.server:
            execute_disable(cluster, plan, dry_run=True, report=term.info)
        if dry_run is not None:
            term.write(plan_text(plan))
            term.info(f"dry run ({dry_run.value}): nothing was deleted")
            return
        if not yes and _interactive():
            term.info(_summary(plan))
            if not _confirm(f"Disable addon {name}? (y/n)"):
                raise VeladdonError(f"addon {name} was not disabled: nothing was deleted")
        spinner = _Spinner(term, plan.addon, seconds) if wait else None
        try:
            execute_disable(
                cluster,
                plan,
                wait=wait,
                timeout=seconds,
                report=term.info,
                progress=spinner.update if spinner else lambda _r, _t: None,
            )
        finally:
            if spinner:
                spinner.stop()
    term.write(f"Addon {name} disabled successfully.\n")


def plan_text(plan: DisablePlan) -> str:
    """The dry-run answer: one row per object, what disabling does to it and why."""
    from veladdon.kube.disable import Disposal

    app = plan.application
    rows = [[Disposal.DELETE.value, app.located(), "the addon (Background propagation)"]]
    order = {Disposal.DELETE: 0, Disposal.COLLECT: 1, Disposal.KEEP: 2, Disposal.GONE: 3}
    for target in sorted(plan.targets, key=lambda t: (order.get(t.action, 9), t.ref.key())):
        where = target.ref.located()
        why = target.reason
        if target.action == Disposal.COLLECT:
            why = f"{why}: garbage collection removes it"
        rows.append([target.action.value, where, why or "-"])
    return plain_table(["ACTION", "OBJECT", "WHY"], rows)


def _summary(plan: DisablePlan) -> str:
    from veladdon.kube.disable import Disposal

    app = plan.application
    parts = [f"This deletes Application {app.namespace}/{app.name}"]
    collected, deleted, kept = (
        len(plan.of(Disposal.COLLECT)),
        len(plan.of(Disposal.DELETE)),
        len(plan.of(Disposal.KEEP)),
    )
    if collected:
        parts.append(f"{plural(collected, 'owned object')} removed by garbage collection")
    if deleted:
        parts.append(f"{plural(deleted, 'object')} veladdon deletes itself")
    text = ", ".join(parts)
    if kept:
        text += f"; {plural(kept, 'object')} {'is' if kept == 1 else 'are'} kept"
    return text + " (`--dry-run` lists them)."


def _interactive() -> bool:
    """Prompt only when a person can answer: stdin and stderr on a terminal, and not in CI."""
    streams = (sys.stdin, sys.stderr)
    return all(bool(getattr(s, "isatty", lambda: False)()) for s in streams) and not os.environ.get("CI")


def _confirm(question: str) -> bool:
    """Upstream's prompt: `y` or `yes` (any case) means yes; anything else, or end of input, no."""
    sys.stderr.write(question)
    sys.stderr.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


class _Spinner:
    """A Rich status line on a terminal while waiting; one plain line otherwise (no spinner in CI)."""

    def __init__(self, term: Terminal, addon: str, timeout: float) -> None:
        self._term = term
        self._addon = addon
        self._timeout = timeout
        self._status: Any = None
        self._said = False

    def update(self, remaining: Sequence[object], elapsed: float) -> None:
        text = (
            f"waiting for {plural(len(remaining), 'object')} of addon {self._addon} to be removed "
            f"({elapsed:.0f}s of {self._timeout:g}s)"
        )
        if self._term.err.is_terminal:
            if self._status is None:
                self._status = self._term.err.status(text)
                self._status.start()
            else:
                self._status.update(text)
        elif not self._said:
            self._said = True
            self._term.info(
                f"waiting for the objects of addon {self._addon} to be removed (timeout {self._timeout:g}s)"
            )

    def stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None


# --- list and status ---------------------------------------------------------------------------


def list_addons(
    ctx: typer.Context,
    output: Output = OutputFormat.text,
    registry: Annotated[
        str | None,
        typer.Option("-r", "--registry", metavar="NAME", help="Also list what this registry offers."),
    ] = None,
    available: Annotated[
        bool, typer.Option("--available", help="Also list what every registry offers.")
    ] = False,
    refresh: Annotated[bool, typer.Option("--refresh", help="Re-fetch registry indexes now.")] = False,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
) -> None:
    """List the addons enabled in the cluster (and, with --registry, those on offer).

    List the addons enabled in the cluster (Applications in the KubeVela system namespace labelled
    addons.oam.dev/name) with version, registry, real phase and the definitions they provide; with
    --registry/--available, also the addons the registries offer and their versions."""
    from veladdon.addon.model import system_namespace
    from veladdon.kube.status import list_addons as list_enabled

    term: Terminal = ctx.obj
    offered: list[dict[str, Any]] | None = None
    with _connect(kubeconfig, context) as cluster:
        result = list_enabled(cluster, system_namespace())
        if registry is not None or available:
            from veladdon.kube.catalog import available_addons

            offered, warnings = available_addons(
                cluster, system_namespace(), registry=registry, refresh=refresh
            )
            for warning in warnings:
                term.warn(warning)
    if output is not OutputFormat.text:
        data = result.to_json()
        if offered is not None:
            data["available"] = [{k: v for k, v in row.items() if k != "versionsShown"} for row in offered]
        _dump(term, data, output)
        return
    if result.addons:
        _print_table(term, list_rows(result))
    elif offered is None:
        term.info(f"no addons are enabled in namespace {result.namespace}")
    if offered is not None:
        if result.addons:
            term.write("\n")
        rows = [["NAME", "REGISTRY", "DESCRIPTION", "AVAILABLE-VERSIONS", "STATUS"]]
        rows += [
            [r["name"], r["registry"], r["description"] or "-", r["versionsShown"], r["status"]]
            for r in offered
        ]
        _print_table(term, rows)


def list_rows(result: AddonList) -> list[list[str]]:
    """Header plus one row per addon; empty cells read `-` so every row splits into the same columns."""
    rows = [["NAME", "VERSION", "REGISTRY", "PHASE", "DEFINITIONS"]]
    for addon in result.addons:
        names = sorted(n for names in addon.definitions.values() for n in names)
        rows.append(
            [addon.name, addon.version or "-", addon.registry or "-", addon.phase, ",".join(names) or "-"]
        )
    return rows


def status(
    ctx: typer.Context,
    name: Name,
    output: Output = OutputFormat.text,
    show_secrets: Annotated[
        bool, typer.Option("--show-secrets", help="Show stored parameter values instead of masking them.")
    ] = False,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
) -> None:
    """Show an enabled addon: phase, parameters, health, workflow and notes.

    Show an enabled addon: phase, version, registry, clusters, stored parameters, component health,
    workflow state (and the failing step) and its NOTES."""
    from veladdon.addon.model import system_namespace
    from veladdon.kube.status import addon_status

    term: Terminal = ctx.obj
    with _connect(kubeconfig, context) as cluster:
        result = addon_status(cluster, name, system_namespace(), show_secrets=show_secrets)
    if output is OutputFormat.text:
        term.write(status_text(result))
    else:
        _dump(term, result.to_json(), output)


def status_text(st: AddonStatus) -> str:
    """Upstream's layout (`name: phase (version)`, `==>` sections), plus the sections upstream only
    shows through `vela status`: parameters, components, workflow, definitions, notes."""
    import json

    version = f" ({st.version})" if st.version and st.phase in ("enabled", "suspend") else ""
    lines = [f"{st.name}: {st.phase}{version}"]
    if st.clusters:
        lines += ["==> Installed Clusters", "[" + " ".join(st.clusters) + "]"]
    if st.registry:
        lines += ["==> Registry Name", st.registry]
    app_line = f"{st.namespace}/{st.application}"
    lines += [
        "==> Application",
        f"{app_line} ({st.application_status})" if st.application_status else app_line,
    ]
    if st.parameters:
        lines.append(
            "==> Parameters" + (" (values masked; --show-secrets shows them)" if st.parameters_masked else "")
        )
        for key in sorted(st.parameters):
            value = st.parameters[key]
            text = (
                value
                if isinstance(value, str) and st.parameters_masked
                else json.dumps(value, sort_keys=True)
            )
            lines.append(f"{key}: {text}")
    if st.components:
        lines.append("==> Components")
        rows = [["NAME", "CLUSTER", "NAMESPACE", "HEALTHY", "MESSAGE"]]
        rows += [
            [c.name, c.cluster, c.namespace or "-", "yes" if c.healthy else "no", c.message or "-"]
            for c in st.components
        ]
        lines.append(plain_table(rows[0], rows[1:]).rstrip("\n"))
    if st.workflow is not None:
        wf = st.workflow
        lines += ["==> Workflow", wf.status + (f": {wf.message}" if wf.message else "")]
        if wf.failed_step is not None:
            step = wf.failed_step
            why = step.message or step.reason or step.phase
            lines.append(f"failed step {step.name} ({step.type}): {why}")
    if st.definitions:
        lines.append("==> Definitions")
        lines += [f"{kind}: {', '.join(names)}" for kind, names in st.definitions.items()]
    if st.notes:
        lines += ["==> Notes", st.notes.rstrip("\n")]
    return "\n".join(lines) + "\n"


# --- shared helpers ----------------------------------------------------------------------------


def _print_table(term: Terminal, rows: list[list[str]]) -> None:
    if not sys.stdout.isatty():
        term.write(plain_table(rows[0], rows[1:]))
        return
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for header in rows[0]:
        table.add_column(header, overflow="fold")
    for row in rows[1:]:
        table.add_row(*row)
    term.out.print(table)


def _dump(term: Terminal, data: Any, output: OutputFormat) -> None:
    from veladdon.addon.yamlutil import dump_json, dump_yaml

    term.write(dump_json(data) if output is OutputFormat.json else dump_yaml(data))


def _connect(kubeconfig: str | None, context: str | None) -> Cluster:
    from veladdon.kube.cluster import Cluster

    return Cluster.connect(kubeconfig, context)


__all__ = ["parse_duration", "register"]

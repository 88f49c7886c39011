"""`enable`, `upgrade` and `diff`: the commands that install an addon folder into a cluster."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from veladdon.cli.console import Terminal
from veladdon.cli.options import (
    Context,
    DryRun,
    Kubeconfig,
    Output,
    OutputFormat,
    SetArgs,
    Values,
    ValuesFiles,
    parse_duration,
)
from veladdon.errors import ExitCode, InputError, Interrupted

if TYPE_CHECKING:
    from veladdon.kube.cluster import Cluster
    from veladdon.kube.enable import EnableOptions, EnableReport


Clusters = Annotated[
    str | None,
    typer.Option("-c", "--clusters", metavar="CLUSTERS", help="Clusters to install to: `a,b` or `{a,b}`."),
]
Override = Annotated[
    bool, typer.Option("--override-definitions", help="Take over definitions that already exist.")
]
SkipVersion = Annotated[
    bool,
    typer.Option(
        "-s", "--skip-version-validating", help="Skip the KubeVela/Kubernetes version requirements."
    ),
]
Wait = Annotated[bool, typer.Option("--wait/--no-wait", help="Wait until the addon's Application runs.")]
Timeout = Annotated[str, typer.Option("--timeout", metavar="DURATION", help="How long to wait: 30s, 5m, 1h.")]
ForceConflicts = Annotated[
    bool, typer.Option("--force-conflicts", help="Take over fields another manager changed.")
]
ResetValues = Annotated[
    bool, typer.Option("--reset-values", help="Ignore the parameters stored by the previous enable.")
]
Yes = Annotated[bool, typer.Option("-y", "--yes", help="Answer yes to every question.")]
RegistryVersion = Annotated[
    str | None,
    typer.Option(
        "--version", metavar="VERSION", help="For an addon from a registry: the version to install."
    ),
]
Refresh = Annotated[bool, typer.Option("--refresh", help="Re-fetch registry indexes now.")]
DryRunOpt = Annotated[
    DryRun | None,
    typer.Option("--dry-run", help="client: print what would be applied; server: ask the API server."),
]


def register(app: typer.Typer) -> None:
    app.command(name="enable")(enable_cmd)
    app.command(name="upgrade")(upgrade_cmd)
    app.command(name="diff")(diff_cmd)


def _connect(kubeconfig: str | None, context: str | None) -> Cluster:
    from veladdon.kube.cluster import Cluster

    return Cluster.connect(kubeconfig, context)


def _options(
    values: list[str] | None,
    set_args: list[str] | None,
    values_files: list[Path] | None,
    clusters: str | None,
    **kwargs: Any,
) -> EnableOptions:
    from veladdon.addon.model import system_namespace
    from veladdon.addon.values import combine
    from veladdon.kube.enable import EnableOptions

    args = combine(values_files or [], set_args or [], values or [], clusters)
    return EnableOptions(args=args, system_namespace=system_namespace(), **kwargs)


def _is_name(target: str) -> bool:
    """A registry addon (`fluxcd`, `fluxcd@1.0.0`, `KubeVela/fluxcd`), not a folder: what does not
    exist on disk and does not look like a path (upstream §1.2 step 5)."""
    from veladdon.kube.catalog import looks_like_name

    return not Path(target).exists() and looks_like_name(target)


def _check_path(text: str) -> None:
    from veladdon.addon.loader import addon_folder

    addon_folder(text)


def enable_cmd(
    ctx: typer.Context,
    path: Annotated[
        str,
        typer.Argument(
            metavar="PATH|NAME[@VERSION]|REGISTRY/NAME",
            help="An addon folder, or an addon name from the cluster's registries.",
            show_default=False,
        ),
    ],
    values: Values = None,
    set_args: SetArgs = None,
    values_files: ValuesFiles = None,
    clusters: Clusters = None,
    override_definitions: Override = False,
    skip_version_validating: SkipVersion = False,
    dry_run: DryRunOpt = None,
    wait: Wait = True,
    timeout: Timeout = "10m",
    force_conflicts: ForceConflicts = False,
    reset_values: ResetValues = False,
    yes: Yes = False,
    version: RegistryVersion = None,
    refresh: Refresh = False,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
) -> None:
    """Enable an addon from a folder or a registry: checks, then the Application and all it owns."""
    _run(
        ctx, path, values, set_args, values_files, clusters, kubeconfig, context, wait, timeout, yes,
        version=version, refresh=refresh, upgrade=False, override_definitions=override_definitions,
        skip_version_check=skip_version_validating, dry_run=dry_run.value if dry_run else None,
        force_conflicts=force_conflicts, reset_values=reset_values,
    )  # fmt: skip


def upgrade_cmd(
    ctx: typer.Context,
    path: Annotated[
        str,
        typer.Argument(
            metavar="PATH|NAME[@VERSION]",
            help="An addon folder, or a name from the registries.",
            show_default=False,
        ),
    ],
    values: Values = None,
    set_args: SetArgs = None,
    values_files: ValuesFiles = None,
    clusters: Clusters = None,
    override_definitions: Override = False,
    skip_version_validating: SkipVersion = False,
    dry_run: DryRunOpt = None,
    wait: Wait = True,
    timeout: Timeout = "10m",
    force_conflicts: ForceConflicts = False,
    reset_values: ResetValues = False,
    yes: Yes = False,
    version: RegistryVersion = None,
    refresh: Refresh = False,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
) -> None:
    """Upgrade an enabled addon, keeping its stored parameters (new ones override)."""
    _run(
        ctx, path, values, set_args, values_files, clusters, kubeconfig, context, wait, timeout, yes,
        version=version, refresh=refresh, upgrade=True, override_definitions=override_definitions,
        skip_version_check=skip_version_validating, dry_run=dry_run.value if dry_run else None,
        force_conflicts=force_conflicts, reset_values=reset_values,
    )  # fmt: skip


def _run(
    ctx: typer.Context,
    target: str,
    values: list[str] | None,
    set_args: list[str] | None,
    values_files: list[Path] | None,
    clusters: str | None,
    kubeconfig: str | None,
    context: str | None,
    wait: bool,
    timeout: str,
    yes: bool,
    *,
    version: str | None = None,
    refresh: bool = False,
    **kwargs: Any,
) -> None:
    from veladdon.addon.yamlutil import dump_yaml
    from veladdon.cue.evaluator import default_evaluator
    from veladdon.kube.catalog import enable_from_registry
    from veladdon.kube.enable import Listener, enable

    term: Terminal = ctx.obj
    seconds = parse_duration(timeout)
    path = Path(target)
    from_registry = _is_name(target)
    if not from_registry:
        _check_path(target)
        if version:
            raise InputError(
                "--version applies to addons from a registry, not to a folder", hint="drop --version"
            )
    options = _options(values, set_args, values_files, clusters, **kwargs)
    options.wait = wait
    evaluator = default_evaluator(term.cue_path)
    evaluator.warm()
    # The objects are this command's result: one line each on stdout, printed as each is applied (so
    # an interrupted enable has shown what it did); progress and warnings go to stderr.
    suffix = " (server dry run)" if options.dry_run == "server" else ""
    dependencies: list[str] = []

    def enabled(dep: EnableReport) -> None:
        dependencies.append(dep.addon)
        term.write(f"Addon {dep.addon} enabled successfully.\n")

    listener = Listener(
        progress=term.info,
        warn=term.warn,
        applied=lambda outcome: term.write(f"{outcome}{suffix}\n"),
        enabled=enabled,
    )
    waiting: EnableReport | None = None
    try:
        with _connect(kubeconfig, context) as cluster:
            if from_registry:
                report = enable_from_registry(
                    cluster,
                    target,
                    options,
                    evaluator=evaluator,
                    version=version,
                    refresh=refresh,
                    listener=listener,
                )
            else:
                _confirm_clusters(term, cluster, path, options, yes)
                report = enable(cluster, path, options, evaluator=evaluator, listener=listener)
            if options.dry_run == "client":
                assert report.rendered is not None
                term.write("---\n".join(dump_yaml(obj) for obj in report.rendered.objects()))
                return
            if options.dry_run == "server":
                term.write(f"Addon {report.addon}: server dry run, nothing was changed.\n")
                return
            if wait:
                waiting = report
                _wait(term, cluster, report, options.system_namespace, seconds)
                waiting = None
    except KeyboardInterrupt:
        # Ctrl-C outside the apply itself (which raises PartialApply, naming every object).
        raise Interrupted(_interrupted(waiting, dependencies, options.system_namespace)) from None
    verb = "upgraded" if options.upgrade else "enabled"
    term.write(f"Addon {report.addon} {verb} successfully.\n")
    if report.notes:
        term.write(report.notes.rstrip("\n") + "\n")


def _interrupted(waiting: EnableReport | None, dependencies: list[str], namespace: str) -> str:
    """What an enable interrupted before or after applying had done."""
    if waiting is not None:
        return (
            f"interrupted while waiting for {namespace}/{waiting.app_name} to run; every object was "
            f"applied ({len(waiting.outcomes)}), and KubeVela carries on installing the addon: "
            f"`veladdon status {waiting.addon}` shows how far it got"
        )
    if dependencies:
        return f"interrupted; dependencies enabled: {', '.join(dependencies)}; nothing else was applied"
    return "interrupted; nothing was applied"


def _wait(term: Terminal, cluster: Cluster, report: EnableReport, namespace: str, seconds: float) -> None:
    from veladdon.kube.enable import wait_running

    interactive = sys.stderr.isatty() and term.color is not False
    if interactive:
        with term.err.status(f"Waiting for {report.app_name} to run…") as status:
            result = wait_running(
                cluster, report.app_name, namespace, timeout=seconds,
                progress=lambda phase, left: status.update(
                    f"Waiting for {report.app_name}: phase {phase} ({left:.0f}s left)"
                ),
            )  # fmt: skip
    else:
        last: list[str] = []

        def progress(phase: str, _left: float) -> None:
            if not last or last[-1] != phase:
                term.info(f"waiting for {report.app_name}: phase {phase}")
                last.append(phase)

        result = wait_running(cluster, report.app_name, namespace, timeout=seconds, progress=progress)
    if result.message:
        term.info(result.message)


def _confirm_clusters(
    term: Terminal, cluster: Cluster, path: Path, options: EnableOptions, yes: bool
) -> None:
    """Upstream §6.1: narrowing `clusters` uninstalls the addon from the ones left out; ask first."""
    new = options.args.get("clusters")
    if not isinstance(new, list) or yes:
        return
    from veladdon.addon.loader import load_addon
    from veladdon.kube.records import find_app

    app = find_app(cluster, load_addon(path).name, options.system_namespace)
    if app is None:
        return
    resources = (app.get("status") or {}).get("appliedResources") or []
    current = sorted({str(r.get("cluster") or "local") for r in resources})
    dropped = [c for c in current if c not in new]
    if not dropped:
        return
    message = (
        f"the addon is installed on clusters [{', '.join(current)}]; this will uninstall it from "
        f"[{', '.join(dropped)}]"
    )
    if not sys.stdin.isatty():
        raise InputError(message, hint="pass -y to confirm")
    if not typer.confirm(message + ". Continue?", default=False):
        raise typer.Exit(int(ExitCode.FAILED))


def diff_cmd(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="PATH", help="The addon folder.", show_default=False)],
    values: Values = None,
    set_args: SetArgs = None,
    values_files: ValuesFiles = None,
    clusters: Clusters = None,
    override_definitions: Override = False,
    skip_version_validating: SkipVersion = False,
    reset_values: ResetValues = False,
    show_secrets: Annotated[bool, typer.Option("--show-secrets", help="Show Secret values.")] = False,
    output: Output = OutputFormat.text,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
) -> None:
    """Show what `enable` would change. Exit 0: nothing; 3: changes pending."""
    from veladdon.cue.evaluator import default_evaluator
    from veladdon.kube.diff import Change, diff_addon

    term: Terminal = ctx.obj
    _check_path(str(path))
    options = _options(
        values, set_args, values_files, clusters,
        override_definitions=override_definitions, skip_version_check=skip_version_validating,
        reset_values=reset_values,
    )  # fmt: skip
    evaluator = default_evaluator(term.cue_path)
    evaluator.warm()
    with _connect(kubeconfig, context) as cluster:
        diffs = diff_addon(cluster, path, options, evaluator=evaluator, show_secrets=show_secrets)
    changed = [d for d in diffs if d.action is not Change.UNCHANGED]
    if output is OutputFormat.text:
        for item in diffs:
            term.info(f"{item.ref} {item.action}")
        for item in changed:
            term.write(item.diff)
    else:
        from veladdon.addon.yamlutil import dump_json, dump_yaml

        data = {
            "changes": len(changed),
            "objects": [d.to_json() for d in diffs],
        }
        term.write(dump_json(data) if output is OutputFormat.json else dump_yaml(data))
    if changed:
        raise typer.Exit(int(ExitCode.CHANGES))

"""`enable` and `upgrade`: install a local addon folder into a cluster (upstream §6).

The order of work, each step in a module of its own: the checks (veladdon.kube.checks: KubeVela
present, system requirements, definition conflicts) and the dependencies (veladdon.kube.dependencies)
before anything is written; then the writes (veladdon.kube.writes: the Application, then every
auxiliary object with a controller owner reference to it, then the parameter Secret, then deletes of
what the previous version created and this one does not), made by veladdon.kube.apply (server-side
applies as field manager `veladdon`; `PartialApply` when it stops part-way), which restarts the
workflow when an upgrade changed something (veladdon.kube.workflow). Waiting for the Application to
run is veladdon.kube.wait. What happens is told as it happens through a `Listener`: one `applied` call
per object, which the CLI prints as the result (stdout), and progress and warnings (stderr), each once.

This module keeps the names its callers import (`enable`, `EnableOptions`, `Applied`,
`wait_running`, …) whichever module holds them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from veladdon.addon.loader import load_addon
from veladdon.addon.model import SystemRequirements
from veladdon.addon.values import deep_merge
from veladdon.cue.evaluator import Evaluator
from veladdon.kube.apply import Applied, Outcome, PartialApply, apply_writes
from veladdon.kube.checks import (
    DefinitionConflict,
    RequirementError,
    check_definition_conflicts,
    check_requirements,
    controller_problem,
    vela_core,
    vela_core_version,
)
from veladdon.kube.cluster import Cluster
from veladdon.kube.dependencies import DependencyMissing, enable_sibling_dependencies
from veladdon.kube.live import LiveObjects, without_volatile
from veladdon.kube.records import AddonNotEnabled, ObjectRef, args_from_secret, find_app, secret_name
from veladdon.kube.wait import (
    WaitFailed,
    WaitResult,
    WaitTimeout,
    failure_reason,
    wait_running,
    where_it_stands,
)
from veladdon.kube.workflow import nudge_workflow, publish_version
from veladdon.kube.writes import Writes, owner_reference, planned_writes, with_owner
from veladdon.render import RenderOptions, RenderResult, notes_for, render_addon

Reporter = Callable[[str], None]


@dataclass
class EnableOptions:
    args: dict[str, Any] = field(default_factory=dict)
    system_namespace: str = "vela-system"
    upgrade: bool = False
    reset_values: bool = False
    override_definitions: bool = False
    skip_version_check: bool = False
    dry_run: str | None = None  # None, "client" or "server"
    force_conflicts: bool = False
    enable_dependencies: bool = True
    registry: str = "local"
    # Requirements from a Helm registry's index (upstream §9.4); None: those of metadata.yaml.
    system: SystemRequirements | None = None
    # The caller waits for the Application to run afterwards: warn first if KubeVela's controller is
    # not running, since then it never will (dependencies are not waited for: this addon only).
    wait: bool = False


def _ignore(_event: Any) -> None:
    return None


@dataclass(frozen=True)
class Listener:
    """What `enable` tells its caller while it works, each thing once: `progress` and `warn` (notices, for
    stderr), `applied` (each object right after it is applied: the result, for stdout, so an interrupted
    run has shown what it did) and `enabled` (a dependency enabled on the way)."""

    progress: Reporter = _ignore
    warn: Reporter = _ignore
    applied: Callable[[Outcome], None] = _ignore
    enabled: Callable[[EnableReport], None] = _ignore


@dataclass
class EnableReport:
    addon: str
    version: str
    app_name: str
    outcomes: list[Outcome] = field(default_factory=list)
    rendered: RenderResult | None = None
    args: dict[str, Any] = field(default_factory=dict)
    notes: str | None = None
    warnings: list[str] = field(default_factory=list)
    dependencies: list[EnableReport] = field(default_factory=list)
    upgraded: bool = False

    @property
    def changed(self) -> bool:
        return any(o.action is not Applied.UNCHANGED for o in self.outcomes)


def enable(
    cluster: Cluster,
    path: str | Path,
    options: EnableOptions,
    *,
    evaluator: Evaluator,
    listener: Listener = Listener(),
    _visiting: frozenset[str] = frozenset(),
) -> EnableReport:
    """Enable (or upgrade) the addon folder at `path`. Nothing is written with a dry run."""
    addon = load_addon(path)
    name = addon.name
    warnings: list[str] = []
    if Path(path).resolve().name != name:
        warnings.append(
            f"the folder is named {Path(path).resolve().name!r} but metadata.yaml names the addon {name!r}; "
            f"the addon is installed as {name!r}"
        )
    cluster.require_kubevela()
    ns = options.system_namespace
    existing = find_app(cluster, name, ns)
    if options.upgrade and existing is None:
        raise AddonNotEnabled(name, ns, hint=f"enable it first: `veladdon enable {path}`")
    if options.wait and not options.dry_run:
        problem = controller_problem(cluster)
        if problem:
            listener.warn(
                f"{problem}: the addon cannot become ready, so waiting for it ends at the --timeout; "
                "--no-wait does not wait"
            )

    live = LiveObjects(cluster)
    args = dict(options.args)
    if existing is not None and not options.reset_values:
        stored = args_from_secret(live.get(ObjectRef("v1", "Secret", secret_name(name), ns)))
        if stored and not options.upgrade and args != stored:
            warnings.append(
                "kept the parameters stored by the previous enable (new values override them); "
                "--reset-values starts from the addon's defaults"
            )
        args = deep_merge(stored, args)

    if not options.skip_version_check:
        check_requirements(cluster, addon, options.system)
    render_options = RenderOptions(
        args=args,
        system_namespace=ns,
        registry=options.registry,
        upgrade=existing is not None or options.upgrade,
    )
    # Upstream (pkg/addon/addon.go: enableAddon) installs the dependencies first and renders after, so
    # an addon that does not render leaves its dependencies enabled; rendering first changes nothing
    # that is applied and writes nothing for an addon that cannot be enabled.
    rendered = render_addon(addon, render_options, evaluator=evaluator)
    warnings.extend(rendered.warnings)
    visiting = _visiting | {name}

    def enable_one(folder: Path, dep_options: EnableOptions) -> EnableReport:
        return enable(
            cluster, folder, dep_options, evaluator=evaluator, listener=listener, _visiting=visiting
        )

    dependencies = enable_sibling_dependencies(
        cluster, addon, Path(path), options, listener, visiting, enable_one
    )
    if not options.override_definitions:
        check_definition_conflicts(live, rendered, _app_name(existing, name))

    result = EnableReport(
        addon=name,
        version=addon.metadata.version,
        app_name=_app_name(existing, name),
        rendered=rendered,
        args=args,
        warnings=warnings,
        dependencies=dependencies,
        upgraded=existing is not None,
    )
    notes, notes_warning = notes_for(addon, render_options, evaluator)
    if notes_warning:
        warnings.append(notes_warning)
    result.notes = notes
    for warning in warnings:
        listener.warn(warning)
    if options.dry_run == "client":
        return result
    todo = planned_writes(live, rendered, existing, addon=name, namespace=ns, notes=result.notes)

    def applied(outcome: Outcome) -> None:
        result.outcomes.append(outcome)
        listener.applied(outcome)

    apply_writes(
        live,
        todo,
        existing,
        namespace=ns,
        dry_run=options.dry_run == "server",
        force=options.force_conflicts,
        applied=applied,
    )
    return result


def _app_name(existing: dict[str, Any] | None, addon: str) -> str:
    if existing is not None:
        return str(existing["metadata"]["name"])
    return f"addon-{addon}"


__all__ = [
    "Applied",
    "DefinitionConflict",
    "DependencyMissing",
    "EnableOptions",
    "EnableReport",
    "Listener",
    "LiveObjects",
    "Outcome",
    "PartialApply",
    "RequirementError",
    "WaitFailed",
    "WaitResult",
    "WaitTimeout",
    "Writes",
    "check_definition_conflicts",
    "check_requirements",
    "controller_problem",
    "enable",
    "failure_reason",
    "nudge_workflow",
    "owner_reference",
    "planned_writes",
    "publish_version",
    "vela_core",
    "vela_core_version",
    "wait_running",
    "where_it_stands",
    "with_owner",
    "without_volatile",
]

"""`enable` and `upgrade`: install a local addon folder into a cluster (upstream §6).

Order of work: cluster checks (KubeVela present, system requirements, dependencies, definition
conflicts) before anything is written; then the Application, then every auxiliary object with a
controller owner reference to it, then the parameter Secret; then objects the previous version
created and this one does not are deleted. Every write is a server-side apply as field manager
`veladdon`, so running enable twice changes nothing, and a field someone else changed is a
reported conflict. A failure part-way (or Ctrl-C) raises `PartialApply`, which says what was and was
not done; the next enable repairs it. What happens is told as it happens through a `Listener`: one
`applied` call per object, which the CLI prints as the result (stdout), and progress and warnings
(stderr), each once.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from veladdon.addon.loader import load_addon
from veladdon.addon.model import Addon, SystemRequirements
from veladdon.addon.values import deep_merge
from veladdon.addon.versions import Constraint, VersionError, check_semver, is_semver
from veladdon.cue.evaluator import Evaluator
from veladdon.errors import InputError, Interrupted, TimedOut, VeladdonError
from veladdon.kube.cluster import Cluster, Conflict
from veladdon.kube.records import (
    AddonNotEnabled,
    ObjectRef,
    args_from_secret,
    encode_objects,
    find_app,
    installed_addons,
    recorded_objects,
    secret_name,
)
from veladdon.render import RenderOptions, RenderResult, notes_for, render_addon
from veladdon.wire import (
    APP_API_VERSION,
    CONTROLLER_LABEL,
    NOTES_ANNOTATION,
    OBJECTS_ANNOTATION,
    PUBLISH_VERSION,
)

Reporter = Callable[[str], None]
# Fields the server sets or that say nothing about what an object is: left out when deciding whether
# an apply changed anything (a dry run returns the old resourceVersion, so that cannot tell).
VOLATILE_METADATA = ("managedFields", "resourceVersion", "generation", "creationTimestamp", "uid", "selfLink")


def without_volatile(obj: dict[str, Any] | None) -> dict[str, Any]:
    """The object without status and server-set metadata, for change detection and diffs."""
    if not obj:
        return {}
    out = {k: copy.deepcopy(v) for k, v in obj.items() if k != "status"}
    meta = out.get("metadata")
    if isinstance(meta, dict):
        for key in VOLATILE_METADATA:
            meta.pop(key, None)
    return out


class LiveObjects:
    """Each live object read once per run (the conflict check, adoption and apply share reads)."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._seen: dict[ObjectRef, dict[str, Any] | None] = {}

    def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        if ref not in self._seen:
            self._seen[ref] = self.cluster.get(ref.api_version, ref.kind, ref.name, ref.namespace)
        return self._seen[ref]


class RequirementError(VeladdonError):
    """The cluster does not meet the addon's `system` requirements."""


class DependencyMissing(VeladdonError):
    pass


class DefinitionConflict(VeladdonError):
    pass


class PartialApply(VeladdonError):
    """Applying stopped part-way: `done` were applied, `pending` were not."""

    def __init__(self, cause: VeladdonError, done: list[ObjectRef], pending: list[ObjectRef]) -> None:
        summary = f"{cause.one_line()}; applied: {', '.join(map(str, done)) or 'nothing'}"
        summary += f"; not applied: {', '.join(map(str, pending)) or 'nothing'}"
        again = "run the same command again: it repairs the rest"
        hint = again if isinstance(cause, Interrupted) else f"fix the cause and {again}"
        super().__init__(summary, hint=hint)
        self.exit_code = cause.exit_code
        self.done = done
        self.pending = pending


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


class Applied(StrEnum):
    """What enable did to one object (the word kubectl prints after the object)."""

    CREATED = "created"
    CONFIGURED = "configured"
    UNCHANGED = "unchanged"
    DELETED = "deleted"  # applied by the previous enable, not rendered any more
    KEPT = "kept (owned by someone else)"  # not rendered any more, but another owner took it over


@dataclass
class Outcome:
    ref: ObjectRef
    action: Applied

    def __str__(self) -> str:
        return f"{self.ref} {self.action}"


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
    dependencies = _dependencies(cluster, addon, Path(path), options, evaluator, listener, _visiting | {name})
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
    _apply_all(live, rendered, existing, result, options, listener)
    return result


def _app_name(existing: dict[str, Any] | None, addon: str) -> str:
    if existing is not None:
        return str(existing["metadata"]["name"])
    return f"addon-{addon}"


# --- checks before anything is written ---------------------------------------------------------


def vela_core(cluster: Cluster) -> dict[str, Any] | None:
    """KubeVela's controller Deployment (labelled `controller.oam.dev/name=vela-core`, else
    `vela-system/kubevela-vela-core`), None when there is none."""
    deployments = cluster.list("apps/v1", "Deployment", label_selector=f"{CONTROLLER_LABEL}=vela-core")
    if deployments:
        return deployments[0]
    return cluster.get("apps/v1", "Deployment", "kubevela-vela-core", "vela-system")


def controller_problem(cluster: Cluster) -> str | None:
    """Why no KubeVela controller can reconcile Applications now (no vela-core Deployment, or none of
    its replicas ready); None when one runs."""
    deployment = vela_core(cluster)
    if deployment is None:
        return "KubeVela's controller is not running (no vela-core Deployment in the cluster)"
    ready = (deployment.get("status") or {}).get("readyReplicas") or 0
    if isinstance(ready, int) and ready > 0:
        return None
    meta = deployment.get("metadata") or {}
    return (
        f"KubeVela's controller is not running "
        f"(Deployment {meta.get('namespace')}/{meta.get('name')} has 0 ready replicas)"
    )


def vela_core_version(cluster: Cluster) -> str | None:
    """The image tag of vela-core's `kubevela` container (upstream §6.4), None when not found.

    Upstream splits the image on the first `:`, which breaks on registries with a port
    (`reg:5000/vela-core:v1.9.0`); the tag is what follows the last `:` after the last `/`.
    """
    deployment = vela_core(cluster)
    if deployment is None:
        return None
    containers = deployment.get("spec", {}).get("template", {}).get("spec", {}).get("containers") or []
    for container in containers:
        if container.get("name") == "kubevela":
            image = str(container.get("image", ""))
            last = image.rsplit("/", 1)[-1]
            return last.split(":", 1)[1].split("@", 1)[0] if ":" in last else "latest"
    return ""


def check_requirements(cluster: Cluster, addon: Addon, system: SystemRequirements | None = None) -> None:
    """`system.vela` against the vela-core image tag and `system.kubernetes` against the server."""
    system = system if system is not None else addon.metadata.system
    if system is None or not (system.vela or system.kubernetes):
        return
    name, version = addon.name, addon.metadata.version
    if system.vela:
        tag = vela_core_version(cluster)
        if tag is None:
            raise RequirementError(
                "can't find a running KubeVela instance, please install it first",
                hint="or skip the requirement check with -s",
            )
        if is_semver(tag) and not _satisfies(tag, system.vela):
            raise RequirementError(
                f"{name} {version} requires KubeVela {system.vela}, but the cluster runs {tag} "
                "(the vela-core image tag)",
                hint="upgrade KubeVela, pick another addon version, or skip the check with -s",
            )
    if system.kubernetes:
        kube_version = cluster.server_version()
        if is_semver(kube_version) and not _satisfies(kube_version, system.kubernetes):
            raise RequirementError(
                f"{name} {version} requires Kubernetes {system.kubernetes}, "
                f"but the cluster runs {kube_version}",
                hint="skip the check with -s if you know better",
            )


def _satisfies(actual: str, constraint: str) -> bool:
    try:
        return check_semver(actual, constraint)
    except VersionError as exc:
        raise InputError(
            f"metadata.yaml: system requirement {constraint!r} is not a constraint: {exc}"
        ) from exc


def _dependencies(
    cluster: Cluster,
    addon: Addon,
    path: Path,
    options: EnableOptions,
    evaluator: Evaluator,
    listener: Listener,
    visiting: frozenset[str],
) -> list[EnableReport]:
    """Upstream §6.6, fixed: every missing dependency found as a sibling folder is enabled first (all of
    them, not just the first); the rest are listed together."""
    deps = [d for d in addon.metadata.dependencies if d.name]
    if not deps:
        return []
    installed = installed_addons(cluster, options.system_namespace)
    problems: list[str] = []
    to_enable: list[Path] = []
    for dep in deps:
        if dep.name in visiting:
            problems.append(f"{dep.name} (a dependency cycle: {' → '.join([*sorted(visiting), dep.name])})")
            continue
        if dep.name in installed:
            if dep.version and not _constraint_ok(installed[dep.name], dep.version):
                problems.append(f"{dep.name} {dep.version} (the cluster has {installed[dep.name]})")
            continue
        sibling = path.resolve().parent / dep.name
        if options.enable_dependencies and (sibling / "metadata.yaml").is_file():
            to_enable.append(sibling)
        else:
            want = f" {dep.version}" if dep.version else ""
            problems.append(f"{dep.name}{want} (not enabled, and no folder {sibling})")
    if problems and options.dry_run:
        listener.progress(
            "dry run: dependencies are not enabled; make sure these are: " + "; ".join(problems)
        )
        return []
    if problems:
        raise DependencyMissing(
            f"{addon.name} needs addons that are not enabled: {'; '.join(problems)}",
            hint="enable them first (`veladdon enable DIR`), or keep their folders beside this one",
        )
    if options.dry_run:
        if to_enable:
            listener.progress(
                "dry run: dependencies are not enabled; they would be: "
                + ", ".join(p.name for p in to_enable)
            )
        return []
    reports = []
    clusters = options.args.get("clusters")
    for folder in to_enable:
        listener.progress(f"enabling dependency {folder.name} from {folder}")
        dep_options = copy.copy(options)
        dep_options.args = {"clusters": clusters} if clusters else {}
        dep_options.upgrade = False
        dep_options.wait = False
        enabled = enable(
            cluster, folder, dep_options, evaluator=evaluator, listener=listener, _visiting=visiting
        )
        listener.enabled(enabled)
        reports.append(enabled)
    return reports


def _constraint_ok(version: str, constraint: str) -> bool:
    try:
        return Constraint.parse(constraint).check(version)
    except VersionError:
        return False


def check_definition_conflicts(objects: LiveObjects, rendered: RenderResult, app_name: str) -> None:
    """Upstream §6.8 step 4: a definition that exists and belongs to nobody or to another addon."""
    messages = []
    for obj in rendered.definitions():
        meta = obj["metadata"]
        live = objects.get(ObjectRef.of(obj))
        if live is None:
            continue
        owner = _controller(live)
        if owner is None or owner.get("kind") != "Application":
            messages.append(f"definition: {meta['name']} already exist and not belong to any addon")
        elif owner.get("name") != app_name:
            other = str(owner.get("name", "")).removeprefix("addon-")
            messages.append(f"definition: {meta['name']} in this addon already exist in {other}")
    if messages:
        raise DefinitionConflict("; ".join(messages), hint="use --override-definitions to take them over")


def _controller(obj: dict[str, Any]) -> dict[str, Any] | None:
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


# --- applying --------------------------------------------------------------------------------


@dataclass
class Writes:
    """What an enable writes, in order, before any owner uid is known."""

    app: dict[str, Any]  # the Application with veladdon's bookkeeping annotations
    items: list[tuple[ObjectRef, dict[str, Any]]]  # auxiliary objects, then the Secret
    prune: list[ObjectRef]  # applied by the previous enable, not rendered any more
    old_publish: str | None


def planned_writes(
    live: LiveObjects,
    rendered: RenderResult,
    existing: dict[str, Any] | None,
    *,
    addon: str,
    namespace: str,
    notes: str | None,
) -> Writes:
    previous = {r: r for r in recorded_objects(existing)}
    aux = rendered.auxiliary()
    adopted = _adopted(live, aux, previous)
    items = [(ObjectRef.of(o, adopted=ObjectRef.of(o) in adopted), o) for o in aux]
    if rendered.secret is not None:
        items.append((ObjectRef.of(rendered.secret), rendered.secret))
    refs = [ref for ref, _ in items]
    app = copy.deepcopy(rendered.application)
    annotations = app["metadata"].setdefault("annotations", {})
    annotations[OBJECTS_ANNOTATION] = encode_objects(refs)
    if notes:
        annotations[NOTES_ANNOTATION] = notes
    old_publish = (existing or {}).get("metadata", {}).get("annotations", {}).get(PUBLISH_VERSION)
    annotations[PUBLISH_VERSION] = old_publish or publish_version()
    current = set(refs)
    prune = [
        ref for ref in sorted(previous, key=ObjectRef.sort_key) if ref not in current and not ref.adopted
    ]
    secret = ObjectRef("v1", "Secret", secret_name(addon), namespace)
    if rendered.secret is None and secret not in previous and live.get(secret) is not None:
        prune.append(secret)  # enabled without parameters now: the stored ones go (upstream §6.7)
    return Writes(app, items, prune, old_publish)


def owner_reference(app: dict[str, Any], uid: str) -> dict[str, Any]:
    return {
        "apiVersion": APP_API_VERSION,
        "kind": "Application",
        "name": app["metadata"]["name"],
        "uid": uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def with_owner(
    cluster: Cluster, obj: dict[str, Any], ref: ObjectRef, owner: dict[str, Any], namespace: str
) -> dict[str, Any]:
    """The object as applied: namespaced objects default to the system namespace, and get a controller
    owner reference where Kubernetes allows one (same namespace as the Application). Cluster-scoped
    and other-namespace objects cannot be garbage-collected through it; `disable` deletes them."""
    body = copy.deepcopy(obj)
    meta = body.setdefault("metadata", {})
    namespaced = cluster.namespaced(body["apiVersion"], body["kind"])
    if namespaced and not meta.get("namespace"):
        meta["namespace"] = namespace
    if namespaced and meta.get("namespace") == namespace and not ref.adopted:
        refs = [r for r in meta.get("ownerReferences") or [] if r.get("uid") != owner["uid"]]
        meta["ownerReferences"] = [*refs, owner]
    return body


def _apply_all(
    live: LiveObjects,
    rendered: RenderResult,
    existing: dict[str, Any] | None,
    result: EnableReport,
    options: EnableOptions,
    listener: Listener,
) -> None:
    ns = options.system_namespace
    todo = planned_writes(live, rendered, existing, addon=result.addon, namespace=ns, notes=result.notes)
    app = todo.app
    planned = [ObjectRef.of(app), *(ref for ref, _ in todo.items), *todo.prune]
    done: list[ObjectRef] = []

    def step(ref: ObjectRef, fn: Callable[[], Applied]) -> None:
        try:
            action = fn()
        except VeladdonError as exc:
            pending = [r for r in planned if r not in done and r != ref]
            raise PartialApply(exc, done, [ref, *pending]) from exc
        done.append(ref)
        outcome = Outcome(ref, action)
        result.outcomes.append(outcome)
        listener.applied(outcome)

    try:
        _apply_steps(live, app, todo, existing, result, options, step)
    except KeyboardInterrupt:
        # Anywhere in the apply, including between two objects and the workflow restart after them.
        pending = [r for r in planned if r not in done]
        raise PartialApply(Interrupted(), done, pending) from None


def _apply_steps(
    live: LiveObjects,
    app: dict[str, Any],
    todo: Writes,
    existing: dict[str, Any] | None,
    result: EnableReport,
    options: EnableOptions,
    step: Callable[[ObjectRef, Callable[[], Applied]], None],
) -> None:
    cluster = live.cluster
    dry = options.dry_run == "server"
    ns = options.system_namespace
    live_app: dict[str, Any] = {}

    def apply_app() -> Applied:
        nonlocal live_app
        live_app = cluster.apply(app, dry_run=dry, force=options.force_conflicts)
        return _action(existing, live_app, ignore_annotations=(PUBLISH_VERSION,))

    step(ObjectRef.of(app), apply_app)
    uid = live_app.get("metadata", {}).get("uid", "")
    owner = owner_reference(app, uid)

    def apply_one(ref: ObjectRef, obj: dict[str, Any]) -> Applied:
        body = with_owner(cluster, obj, ref, owner, ns)
        before = live.get(ObjectRef.of(body))
        return _action(before, cluster.apply(body, dry_run=dry, force=options.force_conflicts))

    for ref, obj in todo.items:
        step(ref, functools.partial(apply_one, ref, obj))
    for ref in todo.prune:
        step(ref, functools.partial(_delete, cluster, ref, dry, owner_uid=uid))

    if not dry and existing is not None and result.changed and todo.old_publish:
        # Something changed: a fresh publishVersion makes KubeVela run the workflow again.
        app["metadata"]["annotations"][PUBLISH_VERSION] = publish_version()
        cluster.apply(app, force=options.force_conflicts)
    if not dry and existing is not None and result.changed:  # a new Application's workflow starts anyway
        nudge_workflow(cluster, app["metadata"]["name"], ns)


def _adopted(
    live: LiveObjects, aux: list[dict[str, Any]], previous: dict[ObjectRef, ObjectRef]
) -> set[ObjectRef]:
    """Cluster-scoped Namespaces that exist without having been created by this addon: veladdon
    manages them but never deletes them."""
    refs = set()
    for obj in aux:
        ref = ObjectRef.of(obj)
        if obj["kind"] != "Namespace" or obj["apiVersion"] != "v1":
            continue
        if ref in previous:
            if previous[ref].adopted:
                refs.add(ref)
            continue
        if live.get(ref) is not None:
            refs.add(ref)
    return refs


def _action(
    before: dict[str, Any] | None, after: dict[str, Any], *, ignore_annotations: tuple[str, ...] = ()
) -> Applied:
    if before is None:
        return Applied.CREATED
    old, new = without_volatile(before), without_volatile(after)
    for obj in (old, new):
        annotations = obj.get("metadata", {}).get("annotations") or {}
        for key in ignore_annotations:
            annotations.pop(key, None)
    return Applied.UNCHANGED if old == new else Applied.CONFIGURED


def _delete(cluster: Cluster, ref: ObjectRef, dry: bool, owner_uid: str | None = None) -> Applied:
    live = cluster.get(ref.api_version, ref.kind, ref.name, ref.namespace)
    if live is None:
        return Applied.DELETED  # already gone: nothing to do, as asked
    if owner_uid is not None and ref.kind != "Secret":
        owners = {r.get("uid") for r in live.get("metadata", {}).get("ownerReferences") or []}
        namespaced_here = bool(live.get("metadata", {}).get("namespace"))
        if namespaced_here and owners and owner_uid not in owners:
            return Applied.KEPT
    cluster.delete(ref.api_version, ref.kind, ref.name, ref.namespace, dry_run=dry)
    return Applied.DELETED


def publish_version() -> str:
    """`addon-` + local time `YYYYMMDDhhmmss` + milliseconds (upstream §0)."""
    now = datetime.now()
    return f"addon-{now:%Y%m%d%H%M%S}{now.microsecond // 1000:03d}"


def nudge_workflow(cluster: Cluster, name: str, namespace: str) -> None:
    """Upstream §6.8 step 11: rerun a finished workflow (to reach new clusters) or resume a suspended one."""

    def attempt() -> None:
        app = cluster.get(APP_API_VERSION, "Application", name, namespace)
        if app is None:
            return
        status = app.get("status") or {}
        workflow = status.get("workflow")
        if status.get("status") == "running" and workflow is not None:
            cluster.patch_status(
                APP_API_VERSION,
                "Application",
                name,
                namespace,
                [
                    {
                        "op": "test",
                        "path": "/metadata/resourceVersion",
                        "value": app["metadata"]["resourceVersion"],
                    },
                    {"op": "remove", "path": "/status/workflow"},
                ],
            )
        elif isinstance(workflow, dict) and workflow.get("suspend"):
            cluster.patch_status(
                APP_API_VERSION,
                "Application",
                name,
                namespace,
                [
                    {"op": "replace", "path": "/status/workflow/suspend", "value": False},
                ],
            )

    with contextlib.suppress(Conflict):  # the controller is busy with it: it runs the new revision anyway
        cluster.retry_conflicts(attempt)


# --- waiting ---------------------------------------------------------------------------------


class WaitTimeout(TimedOut):
    pass


class WaitFailed(VeladdonError):
    pass


@dataclass
class WaitResult:
    phase: str
    message: str = ""


def wait_running(
    cluster: Cluster,
    name: str,
    namespace: str,
    *,
    timeout: float,
    interval: float = 1.0,
    progress: Callable[[str, float], None] = lambda _p, _t: None,
) -> WaitResult:
    """Upstream §6.10 with an enforced timeout: poll until the Application is `running`."""
    deadline = time.monotonic() + timeout
    last_phase = "starting"
    while True:
        app = cluster.get(APP_API_VERSION, "Application", name, namespace)
        if app is None:
            return WaitResult("gone")
        status = app.get("status") or {}
        last_phase = str(status.get("status") or "starting")
        generation = app.get("metadata", {}).get("generation", 0) or 0
        observed = status.get("observedGeneration", 0) or 0
        if generation > observed and last_phase == "running":
            last_phase = "starting"
        if last_phase == "running":
            return WaitResult("running")
        if last_phase == "workflowSuspending":
            return WaitResult(
                "workflowSuspending",
                f'Enabling suspend, please run "vela workflow resume {name} -n {namespace}" to continue',
            )
        if last_phase in ("workflowTerminated", "workflowFailed"):
            raise WaitFailed(
                f"enabling failed: the Application {namespace}/{name} is {last_phase}: {failure_reason(app)}",
                hint=f"run `vela status {name} -n {namespace}` for details",
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            problem = controller_problem(cluster)
            if problem:
                hint = "every object is applied: the addon starts once KubeVela's controller runs"
            else:
                hint = f"run `vela status {name} -n {namespace}`, or wait longer with --timeout"
            raise WaitTimeout(
                f"timed out after {timeout:g}s waiting for {namespace}/{name}: {where_it_stands(app)}"
                + (f"; {problem}" if problem else ""),
                hint=hint,
            )
        progress(last_phase, remaining)
        time.sleep(min(interval, max(remaining, 0.01)))


def where_it_stands(app: dict[str, Any]) -> str:
    """An Application that is not running yet: its phase (`status.status`) and its last workflow step
    (name, phase, message), or that no controller has written a status at all."""
    status = app.get("status") or {}
    phase = status.get("status")
    if not phase:
        return "the Application has no status yet (no KubeVela controller has reconciled it)"
    text = f"phase {phase}"
    generation = app.get("metadata", {}).get("generation", 0) or 0
    if phase == "running" and generation > (status.get("observedGeneration", 0) or 0):
        text += " (of an earlier revision: the controller has not reconciled this one yet)"
    steps = (status.get("workflow") or {}).get("steps") or []
    if steps and isinstance(steps[-1], dict):
        step = steps[-1]
        why = step.get("message") or step.get("reason") or "no message"
        text += f"; last workflow step {step.get('name')} ({step.get('phase') or 'no phase'}): {why}"
    elif (reason := failure_reason(app)) != "no message":
        text += f"; {reason}"
    return text


def failure_reason(app: dict[str, Any]) -> str:
    """The message of the first failing workflow step or unhealthy component."""
    status = app.get("status") or {}
    for step in (status.get("workflow") or {}).get("steps") or []:
        if step.get("phase") in ("failed", "stopped") or step.get("reason"):
            why = step.get("message") or step.get("reason") or step.get("phase")
            return f"workflow step {step.get('name')}: {why}"
    for service in status.get("services") or []:
        if not service.get("healthy", True):
            return f"component {service.get('name')}: {service.get('message') or 'not healthy'}"
    message = (status.get("workflow") or {}).get("message")
    return str(message) if message else "no message"


__all__ = [
    "Applied",
    "DefinitionConflict",
    "DependencyMissing",
    "EnableOptions",
    "EnableReport",
    "Outcome",
    "PartialApply",
    "RequirementError",
    "WaitFailed",
    "WaitTimeout",
    "check_requirements",
    "enable",
    "wait_running",
]

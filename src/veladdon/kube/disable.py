"""`disable`: the in-use check, then delete the addon's Application and wait until what it owned is gone
(upstream §7).

Upstream deletes only the Application and trusts garbage collection. That leaves behind what owner
references cannot reach (cluster-scoped objects, objects in other namespaces), so veladdon deletes those
itself, from the record `enable` keeps on the Application, and never touches what existed before the
addon (`adopted`) or a namespace it did not create.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from veladdon.errors import ExitCode, TimedOut, VeladdonError
from veladdon.jsonable import Jsonable, json_field
from veladdon.kube.cluster import Cluster, NotFound
from veladdon.kube.records import (
    AddonNotEnabled,
    ObjectRef,
    definitions_of,
    recorded_objects,
    require_app,
    secret_name,
)
from veladdon.wire import APP_API_VERSION, APP_PREFIX, DEFINITION_KINDS, LABEL_NAME, LABEL_REGISTRY
from veladdon.wording import plural

# How many users the refusal names before "and other N more" (upstream's limit).
USERS_SHOWN = 3
# Poll quickly first (garbage collection usually takes milliseconds), then back off.
POLL_FIRST = 0.05
POLL_MAX = 1.0


class Disposal(StrEnum):
    """What disabling does to one object of the addon."""

    COLLECT = "collect"  # garbage collection removes it once the Application is gone
    DELETE = "delete"  # veladdon deletes it: garbage collection cannot reach it
    KEEP = "keep"  # left in place (the reason says why)
    GONE = "gone"  # already absent


class AddonInUse(VeladdonError):
    """Applications still use a definition the addon provides (upstream refuses too)."""

    def __init__(self, addon: str, users: list[str]) -> None:
        them = "it" if len(users) == 1 else "them"
        super().__init__(
            in_use_message(addon, users), hint=f"delete {them} first, or pass --force to disable anyway"
        )
        self.users = users


class DisableTimeout(TimedOut):
    pass


class DisableInterrupted(VeladdonError):
    """Ctrl-C after the first delete: the message says what was and was not done."""

    exit_code = ExitCode.INTERRUPTED


@dataclass(frozen=True)
class Target(Jsonable):
    """One object of the addon and what disabling does to it. `uid` is the live object's, so a
    re-created object is not mistaken for ours."""

    ref: ObjectRef = field(metadata=json_field(inline=True, omit=("adopted",)))
    action: Disposal
    reason: str = field(default="", metadata=json_field(omitempty=True))
    uid: str = field(default="", metadata=json_field(skip=True))


@dataclass
class DisablePlan(Jsonable):
    """What disabling the addon would do; computed with reads only (this is `--dry-run`)."""

    addon: str
    application: ObjectRef
    uid: str = field(metadata=json_field(skip=True))
    targets: list[Target] = field(metadata=json_field("objects"))
    users: list[str] = field(default_factory=list, metadata=json_field("usedBy"))  # non-empty only with force
    unchecked: str = field(default="", metadata=json_field(skip=True))  # why the in-use check could not run

    def of(self, action: Disposal) -> list[Target]:
        return [t for t in self.targets if t.action == action]


@dataclass
class DisableResult:
    plan: DisablePlan
    deleted: list[ObjectRef] = field(default_factory=list)  # delete requests veladdon sent (app first)
    waited: bool = False  # True when every object was confirmed gone


Report = Callable[[str], None]
Progress = Callable[[list[ObjectRef], float], None]


def in_use_message(addon: str, users: list[str]) -> str:
    """`addon NAME is used by Applications a/x, b/y, c/z and 2 more`: at most three named, as upstream."""
    names = ", ".join(users[:USERS_SHOWN])
    if len(users) > USERS_SHOWN:
        names += f" and {len(users) - USERS_SHOWN} more"
    return f"addon {addon} is used by {'Application' if len(users) == 1 else 'Applications'} {names}"


def addon_users(cluster: Cluster, app: dict[str, Any], definitions: dict[str, list[str]]) -> list[str]:
    """`ns/name` of every Application (any namespace) whose component, trait, top-level workflow step
    or policy type is one of `definitions` (upstream §7 step 2). The addon's own Application is not
    counted: it cannot block its own removal."""
    if not definitions:
        return []
    wanted = {kind: set(names) for kind, names in definitions.items()}
    own = app.get("metadata", {}).get("uid")
    users = []
    for other in cluster.list(APP_API_VERSION, "Application"):
        meta = other.get("metadata", {})
        if own and meta.get("uid") == own:
            continue
        if _uses(other.get("spec") or {}, wanted):
            users.append(f"{meta.get('namespace', '')}/{meta.get('name', '')}")
    return sorted(users)


def _uses(spec: dict[str, Any], wanted: dict[str, set[str]]) -> bool:
    def typed(items: Any, kind: str) -> bool:
        names = wanted.get(kind, set())
        return any(isinstance(i, dict) and i.get("type") in names for i in items or [])

    for component in spec.get("components") or []:
        if not isinstance(component, dict):
            continue
        if typed([component], "ComponentDefinition") or typed(component.get("traits"), "TraitDefinition"):
            return True
    steps = (spec.get("workflow") or {}).get("steps") if isinstance(spec.get("workflow"), dict) else None
    return typed(steps, "WorkflowStepDefinition") or typed(spec.get("policies"), "PolicyDefinition")


def plan_disable(
    cluster: Cluster, addon: str, namespace: str, *, force: bool = False, check_usage: bool = True
) -> DisablePlan:
    """Reads only. Raises AddonNotEnabled, or AddonInUse unless `force` (then the users are in the plan)."""
    cluster.require_kubevela()
    app = require_app(cluster, addon, namespace)
    meta = app.get("metadata", {})
    app_ref = ObjectRef(
        APP_API_VERSION, "Application", meta.get("name", ""), meta.get("namespace", namespace)
    )
    uid = str(meta.get("uid", ""))
    recorded = recorded_objects(app)

    definitions = definitions_of(app)
    if not definitions:  # an addon enabled before the annotations existed: use veladdon's own record
        for ref in recorded:
            if ref.kind in DEFINITION_KINDS.values():
                definitions.setdefault(ref.kind, []).append(ref.name)
    unchecked = ""
    users: list[str] = []
    if check_usage:
        registry = (meta.get("labels") or {}).get(LABEL_REGISTRY, "")
        if not definitions and registry not in ("", "local"):
            unchecked = (
                f"{app_ref.name} records no definitions, so veladdon could not check whether "
                "Applications still use the addon"
            )
        users = addon_users(cluster, app, definitions)
        if users and not force:
            raise AddonInUse(addon, users)

    targets = [_target(cluster, ref, app_ref, uid, recorded=bool(recorded)) for ref in _refs(app, app_ref)]
    return DisablePlan(addon, app_ref, uid, targets, users, unchecked)


def _refs(app: dict[str, Any], app_ref: ObjectRef) -> list[ObjectRef]:
    """The objects to account for: the record (or, for addons enabled by `vela`, the definitions named
    in the annotations) plus the parameter Secret, without the Application itself."""
    ns = app_ref.namespace
    refs = {r: r for r in recorded_objects(app) if r != app_ref}
    if not refs:
        for kind, names in definitions_of(app).items():
            for name in names:
                ref = ObjectRef(APP_API_VERSION, kind, name, ns)
                refs[ref] = ref
    labels = app.get("metadata", {}).get("labels") or {}
    addon = labels.get(LABEL_NAME) or app_ref.name.removeprefix(APP_PREFIX)
    secret = ObjectRef("v1", "Secret", secret_name(addon), ns)
    refs.setdefault(secret, secret)
    return sorted(refs.values(), key=ObjectRef.key)


def _target(cluster: Cluster, ref: ObjectRef, app_ref: ObjectRef, uid: str, *, recorded: bool) -> Target:
    if ref.kind == "Namespace" and ref.api_version == "v1" and ref.name == app_ref.namespace:
        return Target(ref, Disposal.KEEP, "the Application's own namespace")
    if ref.adopted:
        return Target(ref, Disposal.KEEP, "existed before the addon was enabled")
    try:
        namespaced = cluster.namespaced(ref.api_version, ref.kind)
    except NotFound:
        return Target(ref, Disposal.GONE, f"the cluster no longer serves {ref.kind}")
    namespace = (ref.namespace or app_ref.namespace) if namespaced else None
    ref = dataclasses.replace(ref, namespace=namespace)
    live = cluster.get_object(ref)
    if live is None:
        return Target(ref, Disposal.GONE, "already gone")
    meta = live.get("metadata", {})
    live_uid = str(meta.get("uid", ""))
    owners = [o for o in meta.get("ownerReferences") or [] if isinstance(o, dict)]
    if uid and any(o.get("uid") == uid for o in owners):
        if namespace == app_ref.namespace:
            return Target(ref, Disposal.COLLECT, "owned by the Application", live_uid)
        # Garbage collection cannot follow an owner reference across namespaces.
        return Target(
            ref, Disposal.DELETE, f"in namespace {namespace}, out of garbage collection's reach", live_uid
        )
    controller = next((o for o in owners if o.get("controller")), None)
    if controller is not None:
        return Target(ref, Disposal.KEEP, f"now owned by {controller.get('kind')}/{controller.get('name')}")
    if not recorded and ref.kind != "Secret":
        return Target(ref, Disposal.KEEP, "not owned by the Application (enabled by vela, no record)")
    if namespace is None:
        return Target(ref, Disposal.DELETE, "cluster-scoped, out of garbage collection's reach", live_uid)
    return Target(ref, Disposal.DELETE, "no owner reference to the Application", live_uid)


def execute_disable(
    cluster: Cluster,
    plan: DisablePlan,
    *,
    wait: bool = True,
    timeout: float = 300.0,
    report: Report = lambda _m: None,
    progress: Progress = lambda _r, _t: None,
    dry_run: bool = False,
) -> DisableResult:
    """Delete the Application (Background propagation) and what garbage collection cannot reach; with
    `wait`, poll until all of it is gone (DisableTimeout after `timeout` seconds). Ctrl-C raises
    DisableInterrupted, which says what was done. `dry_run`: the same delete requests with
    `dryRun=All` (the API server checks permissions and admission; nothing changes, no wait)."""
    result = DisableResult(plan)
    app = plan.application
    explicit = plan.of(Disposal.DELETE)
    verb = "deleted" if not dry_run else "would delete (server dry run)"
    try:
        if _delete(cluster, app, dry_run):
            report(f"{verb} {app.located()}")
        else:
            report(f"{app.located()} was already gone")
        result.deleted.append(app)
        for target in explicit:
            # Re-read first: an object re-created under the same name since the plan is not ours.
            if _live(cluster, target.ref, target.uid) is not None and _delete(cluster, target.ref, dry_run):
                report(f"{verb} {target.ref.located()}")
            result.deleted.append(target.ref)
        if wait and not dry_run:
            _wait_gone(cluster, plan, timeout, report, progress)
            result.waited = True
    except KeyboardInterrupt:
        raise DisableInterrupted(_interrupted(plan, result), hint=_check_hint(plan)) from None
    return result


def disable(
    cluster: Cluster,
    addon: str,
    namespace: str,
    *,
    force: bool = False,
    dry_run: str | None = None,
    wait: bool = True,
    timeout: float = 300.0,
    report: Report = lambda _m: None,
    progress: Progress = lambda _r, _t: None,
) -> DisableResult:
    """plan_disable, then execute_disable. `dry_run`: `client` stops after the plan (reads only);
    `server` also sends the deletes with `dryRun=All`."""
    plan = plan_disable(cluster, addon, namespace, force=force)
    if dry_run == "client":
        return DisableResult(plan)
    return execute_disable(
        cluster,
        plan,
        wait=wait,
        timeout=timeout,
        report=report,
        progress=progress,
        dry_run=dry_run == "server",
    )


def _delete(cluster: Cluster, ref: ObjectRef, dry_run: bool = False) -> bool:
    try:
        return cluster.delete_object(ref, propagation="Background", dry_run=dry_run)
    except NotFound:  # the kind itself is gone (its CRD was removed)
        return False


def _live(cluster: Cluster, ref: ObjectRef, uid: str) -> dict[str, Any] | None:
    try:
        obj = cluster.get_object(ref)
    except NotFound:
        return None
    if obj is None or (uid and obj.get("metadata", {}).get("uid") != uid):
        return None  # gone, or a different object of the same name
    return obj


def _wait_gone(
    cluster: Cluster, plan: DisablePlan, timeout: float, report: Report, progress: Progress
) -> None:
    began = time.monotonic()
    deadline = began + timeout
    pending: list[tuple[ObjectRef, str]] = [(plan.application, plan.uid)]
    pending += [(t.ref, t.uid) for t in plan.targets if t.action in (Disposal.COLLECT, Disposal.DELETE)]
    interval = POLL_FIRST
    last: dict[ObjectRef, dict[str, Any]] = {}
    while True:
        still: list[tuple[ObjectRef, str]] = []
        for index, (ref, uid) in enumerate(pending):
            obj = _live(cluster, ref, uid)
            if obj is not None:
                last[ref] = obj
                if ref == plan.application:
                    # Owned objects go only after their owner: no need to ask about them yet.
                    still = pending[index:]
                    break
                still.append((ref, uid))
        pending = still
        if not pending:
            report(f"addon {plan.addon} disabled: all its objects are gone")
            return
        now = time.monotonic()
        if now >= deadline:
            stuck = ", ".join(_stuck(ref, last.get(ref)) for ref, _ in pending)
            raise DisableTimeout(
                f"timed out after {timeout:g}s waiting for the objects of addon {plan.addon} to be removed; "
                f"still present: {stuck}",
                hint=_check_hint(plan) + ", or wait longer with --timeout",
            )
        progress([ref for ref, _ in pending], now - began)
        _sleep(min(interval, max(deadline - now, 0.01)))
        interval = min(interval * 2, POLL_MAX)


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def _stuck(ref: ObjectRef, obj: dict[str, Any] | None) -> str:
    text = ref.located()
    meta = (obj or {}).get("metadata", {})
    finalizers = meta.get("finalizers") or []
    if finalizers:
        text += f" (finalizers: {', '.join(finalizers)})"
    return text


def _check_hint(plan: DisablePlan) -> str:
    app = plan.application
    return (
        f"check with `kubectl get application {app.name} -n {app.namespace}` "
        f"or `veladdon status {plan.addon}`; running `veladdon disable {plan.addon}` again is safe"
    )


def _interrupted(plan: DisablePlan, result: DisableResult) -> str:
    if not result.deleted:
        return f"interrupted: nothing was deleted, addon {plan.addon} is still enabled"
    done = ", ".join(r.located() for r in result.deleted)
    text = f"interrupted while disabling addon {plan.addon}: deleted {done}"
    not_sent = [t.ref for t in plan.of(Disposal.DELETE) if t.ref not in result.deleted]
    if not_sent:
        text += f"; not deleted: {', '.join(r.located() for r in not_sent)}"
    collected = plan.of(Disposal.COLLECT)
    if collected:
        text += (
            f"; garbage collection goes on removing {plural(len(collected), 'owned object')} in the cluster"
        )
    return text


__all__ = [
    "AddonInUse",
    "AddonNotEnabled",
    "DisableInterrupted",
    "DisablePlan",
    "DisableResult",
    "DisableTimeout",
    "Disposal",
    "Target",
    "addon_users",
    "disable",
    "execute_disable",
    "in_use_message",
    "plan_disable",
]

"""Making an enable's writes (`Writes`): every write a server-side apply as field manager `veladdon`,
so running enable twice changes nothing; each object's `Applied` told as soon as it is done; a
failure part-way (or Ctrl-C) raises `PartialApply`, which says what was and was not done; and, when
an upgrade changed something, the workflow restarted."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from veladdon.errors import Interrupted, VeladdonError
from veladdon.kube.cluster import Cluster
from veladdon.kube.live import LiveObjects, without_volatile
from veladdon.kube.records import ObjectRef
from veladdon.kube.workflow import restart_workflow
from veladdon.kube.writes import Writes, owner_reference, with_owner
from veladdon.wire import PUBLISH_VERSION


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


def apply_writes(
    live: LiveObjects,
    todo: Writes,
    existing: dict[str, Any] | None,
    *,
    namespace: str,
    dry_run: bool = False,
    force: bool = False,
    applied: Callable[[Outcome], None] = lambda _o: None,
) -> list[Outcome]:
    """Apply `todo` in order (`dry_run`: as server-side dry runs), telling `applied` about each object
    right after it is done; PartialApply when it stops part-way."""
    planned = [ObjectRef.of(todo.app), *(ref for ref, _ in todo.items), *todo.prune]
    outcomes: list[Outcome] = []

    def step(ref: ObjectRef, fn: Callable[[], Applied]) -> None:
        done = [o.ref for o in outcomes]
        try:
            action = fn()
        except VeladdonError as exc:
            pending = [r for r in planned if r not in done and r != ref]
            raise PartialApply(exc, done, [ref, *pending]) from exc
        outcome = Outcome(ref, action)
        outcomes.append(outcome)
        applied(outcome)

    try:
        _apply_steps(live, todo, existing, namespace, dry_run, force, step)
        if not dry_run and existing is not None and any(o.action is not Applied.UNCHANGED for o in outcomes):
            # An upgrade changed something (a new Application's workflow starts anyway).
            restart_workflow(live.cluster, todo.app, namespace, force=force, republish=bool(todo.old_publish))
    except KeyboardInterrupt:
        # Anywhere in the apply, including between two objects and the workflow restart after them.
        done = [o.ref for o in outcomes]
        raise PartialApply(Interrupted(), done, [r for r in planned if r not in done]) from None
    return outcomes


def _apply_steps(
    live: LiveObjects,
    todo: Writes,
    existing: dict[str, Any] | None,
    ns: str,
    dry: bool,
    force: bool,
    step: Callable[[ObjectRef, Callable[[], Applied]], None],
) -> None:
    cluster = live.cluster
    app = todo.app
    live_app: dict[str, Any] = {}

    def apply_app() -> Applied:
        nonlocal live_app
        live_app = cluster.apply(app, dry_run=dry, force=force)
        return _action(existing, live_app, ignore_annotations=(PUBLISH_VERSION,))

    step(ObjectRef.of(app), apply_app)
    uid = live_app.get("metadata", {}).get("uid", "")
    owner = owner_reference(app, uid)

    def apply_one(ref: ObjectRef, obj: dict[str, Any]) -> Applied:
        body = with_owner(cluster, obj, ref, owner, ns)
        before = live.get(ObjectRef.of(body))
        return _action(before, cluster.apply(body, dry_run=dry, force=force))

    for ref, obj in todo.items:
        step(ref, functools.partial(apply_one, ref, obj))
    for ref in todo.prune:
        step(ref, functools.partial(_delete, cluster, ref, dry, owner_uid=uid))


def _action(
    before: dict[str, Any] | None, after: dict[str, Any], *, ignore_annotations: tuple[str, ...] = ()
) -> Applied:
    if before is None:
        return Applied.CREATED
    old, new = without_volatile(before, ignore_annotations), without_volatile(after, ignore_annotations)
    return Applied.UNCHANGED if old == new else Applied.CONFIGURED


def _delete(cluster: Cluster, ref: ObjectRef, dry: bool, owner_uid: str | None = None) -> Applied:
    live = cluster.get_object(ref)
    if live is None:
        return Applied.DELETED  # already gone: nothing to do, as asked
    if owner_uid is not None and ref.kind != "Secret":
        owners = {r.get("uid") for r in live.get("metadata", {}).get("ownerReferences") or []}
        namespaced_here = bool(live.get("metadata", {}).get("namespace"))
        if namespaced_here and owners and owner_uid not in owners:
            return Applied.KEPT
    cluster.delete_object(ref, dry_run=dry)
    return Applied.DELETED

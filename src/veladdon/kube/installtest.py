"""`veladdon test`: install-test addons on a real cluster, step by step, as chart-testing does for charts.

Each addon goes through the same steps, each a test case with its own time and verdict:

1. render: offline, as `veladdon render`;
2. server dry run: every object veladdon applies and every object of the Application's `k8s-objects`
   components (what KubeVela's controller applies later), sent with dryRun=All, so the API server checks
   them against its schemas and the addon's own CRDs (objects whose CRD or Namespace the addon brings are
   checked once enable has created it);
3. enable: with its dependencies, then wait until the Application runs;
4. owned: every object exists, carries the labels it was rendered with, and is the addon's (an owner
   reference to the Application, veladdon's record of it, or KubeVela's `appliedResources`);
5. examples: each example Application applied in a namespace of its own, waited for, deleted;
6. idempotent: a second enable with the same parameters changes nothing;
7. upgrade: the addon as it was at a git ref enabled, then upgraded to the working copy, its stored
   parameters kept and still declared;
8. disable and collect: disable, wait until every object the addon owned is gone, and check that what
   existed before the run (namespaces, other addons, definitions) is still there.

A step that fails fails its test case with a message naming the object and the cause; what cannot run
after it is skipped, saying why, and the addon is still disabled at the end (unless `keep`), so a failed
run leaves the cluster as it found it. Dependencies this run enabled are disabled after the addon;
dependencies that were enabled before are left alone.
"""

from __future__ import annotations

import contextlib
import copy
import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from veladdon.addon.git import folder_at
from veladdon.addon.loader import load_addon
from veladdon.addon.model import Addon
from veladdon.addon.yamlutil import YamlError, load_yaml_all
from veladdon.cue.evaluator import Evaluator
from veladdon.errors import ExitCode, InputError, Interrupted, VeladdonError
from veladdon.jsonable import Jsonable, json_field
from veladdon.kube.cluster import ApiError, Cluster, NotFound
from veladdon.kube.diff import Change, diff_addon
from veladdon.kube.disable import disable
from veladdon.kube.enable import (
    Applied,
    EnableOptions,
    EnableReport,
    Listener,
    WaitFailed,
    WaitTimeout,
    enable,
    wait_running,
)
from veladdon.kube.records import ObjectRef, find_app, installed_addons, recorded_objects, stored_args
from veladdon.render import RenderOptions, RenderResult, render_addon
from veladdon.render.params import read_parameters
from veladdon.wire import APP_API_VERSION, DEFINITION_ANNOTATIONS, LABEL_NAME
from veladdon.wording import plural

# The label KubeVela's controller puts on every object it dispatches for an Application.
APP_LABEL = "app.oam.dev/name"
APP_NAMESPACE_LABEL = "app.oam.dev/namespace"
POLL = 1.0
# Application policies under which KubeVela's garbage collection keeps objects on purpose.
KEEPING_POLICIES = ("garbage-collect", "apply-once", "shared-resource")


class Step(StrEnum):
    RENDER = "render"
    DRY_RUN = "server dry run"
    ENABLE = "enable"
    OWNED = "owned"
    EXAMPLES = "examples"
    IDEMPOTENT = "idempotent"
    UPGRADE = "upgrade"
    DISABLE = "disable and collect"


class Verdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass
class StepResult(Jsonable):
    """One step of one addon. `message`: why it failed or was skipped, or what a pass checked;
    `details`: one line per object or problem; `seconds` to the millisecond."""

    step: Step = field(metadata=json_field("name"))
    verdict: Verdict = field(default=Verdict.PASSED, metadata=json_field("outcome"))
    seconds: float = 0.0
    message: str = ""
    details: list[str] = field(default_factory=list)


@dataclass
class AddonResult(Jsonable):
    """One addon's steps; its JSON adds `passed` and `seconds`, which it computes from them."""

    addon: str
    path: str
    started: datetime = field(metadata=json_field(skip=True))
    steps: list[StepResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(s.verdict is not Verdict.FAILED for s in self.steps)

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.steps)

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "passed": self.passed, "seconds": round(self.seconds, 3)}


@dataclass
class RunOptions:
    args: dict[str, Any] = field(default_factory=dict)
    examples: tuple[Path, ...] = ()
    upgrade_from: str | None = None
    timeout: float = 600.0
    keep: bool = False  # leave the last addon enabled
    reuse: bool = False  # test addons that are enabled already, in place
    system_namespace: str = "vela-system"


def _ignore(*_args: Any) -> None:
    return None


@dataclass(frozen=True)
class Events:
    """What a run tells its caller as it goes: a step began (`started`), a step's result (`finished`:
    a step can finish twice, when objects it deferred are checked later), and what a wait is waiting
    for (`waiting`, for a spinner)."""

    started: Callable[[str, Step], None] = _ignore
    finished: Callable[[str, StepResult], None] = _ignore
    waiting: Callable[[str], None] = _ignore


class StepFailed(VeladdonError):
    """A step's check found something wrong; `details` name each object."""

    def __init__(self, message: str, lines: list[str] | None = None) -> None:
        super().__init__(message)
        self.lines = lines or []


class AlreadyEnabled(VeladdonError):
    exit_code = ExitCode.FAILED


# --- the run -------------------------------------------------------------------------------------


def check_inputs(paths: list[Path], options: RunOptions) -> list[Path]:
    """Before anything touches the cluster: every folder an addon, every example a readable file."""
    folders = []
    for path in paths:
        load_addon(path)  # InputError (exit 2) naming the folder and what is wrong
        folders.append(path)
    for example in options.examples:
        _example_documents(example)
    return folders


def refuse_enabled(cluster: Cluster, addons: list[Addon], options: RunOptions) -> None:
    """An addon enabled before the run is not touched unless `reuse` (enabled: what enable itself would
    upgrade, `find_app`)."""
    if options.reuse:
        return
    for name in (addon.name for addon in addons):
        if find_app(cluster, name, options.system_namespace) is not None:
            raise AlreadyEnabled(
                f"addon {name} is already enabled in cluster {cluster.label} (namespace "
                f"{options.system_namespace}); veladdon test does not touch it",
                hint=f"disable it first (`veladdon disable {name}`), or pass --reuse to test it in place",
            )


def run_tests(
    cluster: Cluster,
    paths: list[Path],
    options: RunOptions,
    *,
    evaluator: Evaluator,
    events: Events = Events(),
    into: list[AddonResult] | None = None,
) -> list[AddonResult]:
    """Test each addon in turn; each result is appended to `into` as its addon starts, so an interrupted
    run still has the steps that ran. Ctrl-C disables what this run enabled (unless `keep`) and raises
    Interrupted saying so."""
    cluster.require_kubevela()
    addons = [load_addon(path) for path in paths]
    refuse_enabled(cluster, addons, options)
    results: list[AddonResult] = [] if into is None else into
    for index, (path, addon) in enumerate(zip(paths, addons, strict=True)):
        last = index == len(paths) - 1
        run = _AddonRun(cluster, path, addon, options, evaluator, events, keep=options.keep and last)
        results.append(run.result)
        try:
            run.all_steps()
        except KeyboardInterrupt:
            raise Interrupted(run.interrupted()) from None
    return results


class _AddonRun:
    """The steps of one addon, and what they leave for the next: the render, the enable report, the
    objects the addon owns."""

    def __init__(
        self,
        cluster: Cluster,
        path: Path,
        addon: Addon,
        options: RunOptions,
        evaluator: Evaluator,
        events: Events,
        *,
        keep: bool,
    ) -> None:
        self.cluster = cluster
        self.path = path
        self.options = options
        self.evaluator = evaluator
        self.events = events
        self.keep = keep
        self.ns = options.system_namespace
        self.addon = addon
        self.name = addon.name
        self.result = AddonResult(self.name, str(path), datetime.now(UTC))
        self.rendered: RenderResult | None = None
        self.report: EnableReport | None = None
        self.deferred: list[dict[str, Any]] = []
        self.enabled_before = find_app(cluster, self.name, self.ns) is not None
        self.touched = False  # this run applied the addon (so it disables it)
        self.dependencies: list[str] = []  # enabled by this run, in the order they were
        self.policies: list[dict[str, Any]] = []  # the Application's, as it was before disable
        self.kept_on_purpose: list[ObjectRef] = []  # what KubeVela's garbage collection skips (skipGC)

    # --- driving ---------------------------------------------------------------------------------

    def all_steps(self) -> None:
        before = _snapshot(self.cluster, self.ns)
        ok = True
        for step, body in (
            (Step.RENDER, self.render),
            (Step.DRY_RUN, self.dry_run),
            (Step.ENABLE, self.enable),
            # The checks of an enabled addon do not depend on each other: each runs whatever the others say.
            (Step.OWNED, self.owned),
            (Step.EXAMPLES, self.examples),
            (Step.IDEMPOTENT, self.idempotent),
            (Step.UPGRADE, self.upgrade),
        ):
            if not ok:
                self.skip(step, "an earlier step failed")
            elif not self.step(step, body) and step in (Step.RENDER, Step.DRY_RUN, Step.ENABLE):
                ok = False
        self.step(Step.DISABLE, lambda result: self.disable_and_collect(result, before))

    def step(self, step: Step, body: Callable[[StepResult], None]) -> bool:
        """Run one step; False when it failed. A VeladdonError fails the step with its own line."""
        self.events.started(self.name, step)
        result = StepResult(step)
        began = time.monotonic()
        try:
            body(result)
        except StepFailed as exc:
            result.verdict, result.message = Verdict.FAILED, exc.message
            result.details[:0] = exc.lines  # why first, then what the step had done
        except _Skip as exc:
            result.verdict, result.message = Verdict.SKIPPED, str(exc)
        except VeladdonError as exc:
            if exc.exit_code == ExitCode.INTERRUPTED:  # Ctrl-C inside enable or disable
                raise KeyboardInterrupt from None
            if exc.exit_code == ExitCode.CLUSTER:  # the cluster went away: no later step can run either
                raise
            result.verdict, result.message = Verdict.FAILED, exc.one_line()
            result.details.extend(str(d) for d in exc.details)
        result.seconds = round(time.monotonic() - began, 3)
        self.result.steps.append(result)
        self.events.finished(self.name, result)
        return result.verdict is not Verdict.FAILED

    def skip(self, step: Step, why: str) -> None:
        result = StepResult(step, Verdict.SKIPPED, message=why)
        self.result.steps.append(result)
        self.events.finished(self.name, result)

    def enable_options(self, *, upgrade: bool = False, args: dict[str, Any] | None = None) -> EnableOptions:
        return EnableOptions(
            args=dict(self.options.args if args is None else args),
            system_namespace=self.ns,
            upgrade=upgrade,
            wait=True,
        )

    def wait(self, app: str, namespace: str) -> None:
        """Until the Application runs; a timeout or a failed workflow fails the step with the
        Application's phase and step message, and each component or workload that is not ready."""
        self.events.waiting(f"waiting for Application {namespace}/{app} to run")
        try:
            wait_running(
                self.cluster,
                app,
                namespace,
                timeout=self.options.timeout,
                progress=lambda phase, left: self.events.waiting(
                    f"waiting for Application {namespace}/{app}: phase {phase} ({left:.0f}s left)"
                ),
            )
        except (WaitTimeout, WaitFailed) as exc:
            live = self.cluster.get(APP_API_VERSION, "Application", app, namespace)
            raise StepFailed(exc.message, not_running(self.cluster, live) if live else []) from None

    def interrupted(self) -> str:
        """Ctrl-C: disable what this run enabled (without waiting), and say what was done."""
        if not self.touched and not self.dependencies:
            return f"interrupted while testing addon {self.name}; nothing of it was enabled"
        if self.keep:
            return f"interrupted while testing addon {self.name}; left enabled (--keep)"
        done = []
        for name in [self.name, *reversed(self.dependencies)] if self.touched else self.dependencies:
            with contextlib.suppress(VeladdonError):
                disable(self.cluster, name, self.ns, force=True, wait=False)
                done.append(name)
        return (
            f"interrupted while testing addon {self.name}; disabled {', '.join(done) or 'nothing'} "
            "(garbage collection removes the rest)"
        )

    # --- 1. render -------------------------------------------------------------------------------

    def render(self, result: StepResult) -> None:
        options = RenderOptions(args=dict(self.options.args), system_namespace=self.ns)
        self.rendered = render_addon(self.addon, options, evaluator=self.evaluator)
        objects = self.rendered.objects(include_secret=True)
        result.message = f"{plural(len(objects), 'object')} rendered"
        result.details.extend(f"warning: {w}" for w in self.rendered.warnings)

    # --- 2. server dry run -----------------------------------------------------------------------

    def dry_run(self, result: StepResult) -> None:
        assert self.rendered is not None
        objects = [
            *self.rendered.objects(include_secret=True),
            *dispatched_objects(self.rendered.application),
        ]
        brought = _brought(objects)
        checked, failures = 0, []
        for obj in objects:
            if _needs_brought(
                self.cluster, obj, brought, dependencies=bool(self.addon.metadata.dependencies)
            ):
                self.deferred.append(obj)
                continue
            checked += 1
            if problem := self.dry_run_one(obj):
                failures.append(problem)
        if failures:
            raise StepFailed(_first(failures, "the API server refused"), failures)
        result.message = f"{plural(checked, 'object')} accepted by the API server"
        if self.deferred:
            result.message += (
                f"; {plural(len(self.deferred), 'object')} whose CRD or Namespace the addon (or a "
                "dependency) brings checked after enable"
            )
            result.details.extend(f"deferred: {_describe(o)}" for o in self.deferred)

    def dry_run_one(self, obj: dict[str, Any]) -> str | None:
        body = copy.deepcopy(obj)
        body.get("metadata", {}).pop("resourceVersion", None)
        try:
            if self.cluster.namespaced(body["apiVersion"], body["kind"]):
                body.setdefault("metadata", {}).setdefault("namespace", self.ns)
            self.cluster.apply(body, dry_run=True, force=True)
        except ApiError as exc:
            return f"{_describe(body)}: {exc.message}"
        return None

    def deferred_dry_run(self) -> None:
        """The objects the dry run left for later, now that their CRDs and Namespaces exist."""
        if not self.deferred:
            return
        result = next(s for s in self.result.steps if s.step is Step.DRY_RUN)
        began = time.monotonic()
        failures = [p for obj in self.deferred if (p := self.dry_run_one(obj))]
        result.seconds = round(result.seconds + time.monotonic() - began, 3)
        if failures:
            result.verdict = Verdict.FAILED
            result.message = _first(failures, "after enable, the API server refused")
            result.details.extend(failures)
        else:
            result.message += ": accepted"
        self.events.finished(self.name, result)

    # --- 3. enable -------------------------------------------------------------------------------

    def enable(self, result: StepResult) -> None:
        def enabled(dep: EnableReport) -> None:
            self.dependencies.append(dep.addon)
            result.details.append(f"dependency {dep.addon} {dep.version} enabled")

        listener = Listener(
            applied=lambda outcome: result.details.append(f"{outcome.ref} {outcome.action}"),
            enabled=enabled,
        )
        self.touched = not self.enabled_before
        self.report = enable(
            self.cluster, self.path, self.enable_options(), evaluator=self.evaluator, listener=listener
        )
        self.wait(self.report.app_name, self.ns)
        result.message = f"Application {self.ns}/{self.report.app_name} running"
        if self.dependencies:
            result.message += f"; enabled {plural(len(self.dependencies), 'dependency')} first"
        self.deferred_dry_run()

    # --- 4. owned --------------------------------------------------------------------------------

    def owned(self, result: StepResult) -> None:
        assert self.rendered is not None and self.report is not None
        app = self.live_app()
        uid = app["metadata"]["uid"]
        recorded = {self.namespaced_ref(r) for r in recorded_objects(app)}
        app_name = app["metadata"]["name"]
        problems = []
        if (app["metadata"].get("labels") or {}).get(LABEL_NAME) != self.name:
            problems.append(f"Application {self.ns}/{app_name}: no label {LABEL_NAME}={self.name}")
        adopted = {o.ref for o in self.report.outcomes if o.ref.adopted}
        mine = [o for o in self.rendered.objects(include_secret=True)[1:] if ObjectRef.of(o) not in adopted]

        def veladdons(live: dict[str, Any]) -> list[str]:
            if _owned_by(live, uid) or ObjectRef.of(live) in recorded:
                return []
            return [f"not owned by Application {self.ns}/{app_name} (no owner reference, no record of it)"]

        managed = managed_resources(self.cluster, app)

        def kubevelas(live: dict[str, Any]) -> list[str]:
            why = [] if ObjectRef.of(live) in managed else ["not in the Application's ResourceTrackers"]
            if (live["metadata"].get("labels") or {}).get(APP_LABEL) != app_name:
                why.insert(0, f"no label {APP_LABEL}={app_name}")
            return why

        for obj in mine:
            problems += self.ownership(obj, "not in the cluster after enable", veladdons)
        dispatched = dispatched_objects(self.rendered.application)
        for obj in dispatched:
            problems += self.ownership(obj, "KubeVela did not apply it (not in the cluster)", kubevelas)
        if problems:
            raise StepFailed(_first(problems, "not the addon's"), problems)
        result.message = (
            f"{plural(len(mine), 'object')} veladdon applied and {plural(len(dispatched), 'object')} "
            "KubeVela applied are the addon's"
        )

    def live_app(self) -> dict[str, Any]:
        assert self.report is not None
        app = self.cluster.get(APP_API_VERSION, "Application", self.report.app_name, self.ns)
        if app is None:
            raise StepFailed(f"Application {self.ns}/{self.report.app_name} is gone")
        return app

    def ownership(
        self, obj: dict[str, Any], missing: str, owned: Callable[[dict[str, Any]], list[str]]
    ) -> list[str]:
        """What is wrong with one rendered object in the cluster: absent, a label it was rendered with
        not there, or not the addon's by `owned`'s rule."""
        live = self.live(obj)
        if live is None:
            return [f"{_describe(obj)}: {missing}"]
        return [*_label_problems(obj, live), *(f"{_describe(live)}: {why}" for why in owned(live))]

    def namespaced_ref(self, ref: ObjectRef) -> ObjectRef:
        """`ref` with the namespace enable gave it (namespaced objects default to the system namespace)."""
        if ref.namespace:
            return ref
        try:
            namespaced = self.cluster.namespaced(ref.api_version, ref.kind)
        except NotFound:
            return ref
        return ObjectRef(ref.api_version, ref.kind, ref.name, self.ns, ref.adopted) if namespaced else ref

    def live(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        return self._get(ObjectRef.of(obj))

    # --- 5. examples -----------------------------------------------------------------------------

    def examples(self, result: StepResult) -> None:
        if not self.options.examples:
            raise _Skip("no --example given")
        failures = []
        for example in self.options.examples:
            try:
                self.example(example, result)
            except VeladdonError as exc:
                failures.append(f"{example}: {exc.one_line()}")
        if failures:
            raise StepFailed(_first(failures, "an example failed"), failures)
        count = len(self.options.examples)
        result.message = f"{plural(count, 'example')} ran and {'was' if count == 1 else 'were'} deleted"

    def example(self, file: Path, result: StepResult) -> None:
        namespace = f"veladdon-test-{secrets.token_hex(3)}"
        self.cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        applied: list[dict[str, Any]] = []
        try:
            for doc in _example_documents(file):
                body = copy.deepcopy(doc)
                if self.cluster.namespaced(body["apiVersion"], body["kind"]):
                    body.setdefault("metadata", {})["namespace"] = namespace
                applied.append(self.cluster.apply(body))
            for obj in applied:
                if obj.get("kind") == "Application":
                    self.wait(obj["metadata"]["name"], namespace)
                    result.details.append(
                        f"{file}: Application {namespace}/{obj['metadata']['name']} running"
                    )
        finally:
            for obj in reversed(applied):
                meta = obj["metadata"]
                with contextlib.suppress(NotFound):
                    self.cluster.delete(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))
            self.cluster.delete("v1", "Namespace", namespace)
        self.wait_gone([ObjectRef("v1", "Namespace", namespace)], f"namespace {namespace} of example {file}")

    # --- 6. idempotent ---------------------------------------------------------------------------

    def idempotent(self, result: StepResult) -> None:
        diffs = diff_addon(self.cluster, self.path, self.enable_options(), evaluator=self.evaluator)
        problems = [f"{d.ref} {d.action} (diff)" for d in diffs if d.action is not Change.UNCHANGED]
        again = enable(self.cluster, self.path, self.enable_options(), evaluator=self.evaluator)
        problems += [
            f"{o.ref} {o.action} (second enable)" for o in again.outcomes if o.action is not Applied.UNCHANGED
        ]
        if problems:
            raise StepFailed(_first(problems, "a second enable with the same parameters changed"), problems)
        result.message = f"a second enable changed none of {plural(len(again.outcomes), 'object')}"

    # --- 7. upgrade ------------------------------------------------------------------------------

    def upgrade(self, result: StepResult) -> None:
        ref = self.options.upgrade_from
        if ref is None:
            raise _Skip("no --upgrade-from given")
        if self.enabled_before:
            raise _Skip("enabled before this run (--reuse): not disabled to install the old version")
        with tempfile.TemporaryDirectory(prefix="veladdon-upgrade-") as tmp:
            old = folder_at(self.path, ref, Path(tmp))
            if old is None:
                raise _Skip(f"the addon did not exist at {ref}")
            version = load_addon(old).metadata.version
            disable(self.cluster, self.name, self.ns, wait=True, timeout=self.options.timeout)
            self.report = enable(self.cluster, old, self.enable_options(), evaluator=self.evaluator)
            self.wait(self.report.app_name, self.ns)
            result.details.append(f"{self.name} {version} (at {ref}) enabled and running")
        stored = stored_args(self.cluster, self.name, self.ns)
        self.report = enable(
            self.cluster, self.path, self.enable_options(upgrade=True, args={}), evaluator=self.evaluator
        )
        self.wait(self.report.app_name, self.ns)
        kept = stored_args(self.cluster, self.name, self.ns)
        declared = {p.name.split(".")[0] for p in read_parameters(self.addon, self.evaluator).parameters}
        problems = []
        for key, value in sorted(stored.items()):
            if key == "clusters":
                continue
            if kept.get(key) != value:
                problems.append(
                    f"parameter {key}: stored {value!r} by {version}, {kept.get(key)!r} after the upgrade"
                )
            elif key not in declared:
                problems.append(
                    f"parameter {key}={_short_value(value)}, stored by {version} (at {ref}), is not a "
                    f"parameter of {self.addon.metadata.version}: the upgrade drops its value"
                )
        if problems:
            raise StepFailed(_first(problems, "the upgrade lost parameters"), problems)
        result.message = (
            f"upgraded from {version} (at {ref}) to {self.addon.metadata.version}, "
            f"{plural(len(stored), 'stored parameter')} kept"
        )

    # --- 8. disable and collect ------------------------------------------------------------------

    def disable_and_collect(self, result: StepResult, before: _Snapshot) -> None:
        if not self.touched and not self.dependencies:
            raise _Skip("nothing was enabled")
        if self.keep:
            raise _Skip("--keep: left enabled")
        if self.enabled_before:
            raise _Skip("enabled before this run (--reuse): left enabled")
        app = find_app(self.cluster, self.name, self.ns)
        owned = self.owned_objects(app) if app is not None else []
        self.policies = [p for p in (app or {}).get("spec", {}).get("policies") or [] if isinstance(p, dict)]
        problems = []
        if app is not None:
            try:
                disable(self.cluster, self.name, self.ns, force=True, wait=True, timeout=self.options.timeout)
            except VeladdonError as exc:
                problems.append(exc.one_line())
        problems += self.survivors(owned)
        # What KubeVela marked to outlive the Application (skipGC) is not waited for: it stays by design.
        problems += [
            f"{_describe(live)} survived: {_holds(live, self.policies)}"
            for key in self.kept_on_purpose
            if (live := self._get(key)) is not None
        ]
        for dep in reversed(self.dependencies):
            try:
                disable(self.cluster, dep, self.ns, force=True, wait=True, timeout=self.options.timeout)
                result.details.append(f"dependency {dep} disabled (this run enabled it)")
            except VeladdonError as exc:
                problems.append(f"dependency {dep}: {exc.one_line()}")
        problems += _missing(before, _snapshot(self.cluster, self.ns), self.name)
        if problems:
            raise StepFailed(_first(problems, "disable left the cluster changed"), problems)
        result.message = f"disabled; all {plural(len(owned), 'object')} the addon owned are gone"

    def owned_objects(self, app: dict[str, Any]) -> list[ObjectRef]:
        """What the addon's Application owns now: itself, the objects veladdon recorded (not adopted) and
        the objects KubeVela applied for it in this cluster."""
        owned = [ObjectRef(APP_API_VERSION, "Application", app["metadata"]["name"], self.ns)]
        owned += [ref for ref in map(self.namespaced_ref, recorded_objects(app)) if not ref.adopted]
        managed = managed_resources(self.cluster, app)
        owned += sorted((ref for ref, skip in managed.items() if not skip), key=ObjectRef.key)
        self.kept_on_purpose = sorted((ref for ref, skip in managed.items() if skip), key=ObjectRef.key)
        return list(dict.fromkeys(owned))

    def survivors(self, owned: list[ObjectRef]) -> list[str]:
        try:
            self.wait_gone(owned, f"the objects of addon {self.name}")
        except StepFailed as exc:
            return exc.lines
        return []

    def wait_gone(self, objects: list[ObjectRef], what: str) -> None:
        """Poll until none of `objects` exists; StepFailed naming each survivor and what holds it."""
        deadline = time.monotonic() + self.options.timeout
        pending = list(objects)
        while True:
            last: dict[ObjectRef, dict[str, Any]] = {}
            for item in pending:
                if (live := self._get(item)) is not None:
                    last[item] = live
            pending = list(last)
            left = deadline - time.monotonic()
            if not pending:
                return
            if left <= 0:
                lines = [f"{_describe(obj)} survived: {_holds(obj, self.policies)}" for obj in last.values()]
                raise StepFailed(f"timed out after {self.options.timeout:g}s waiting for {what} to go", lines)
            self.events.waiting(
                f"waiting for {plural(len(pending), 'object')} of {what} to go ({left:.0f}s left)"
            )
            time.sleep(min(POLL, left))

    def _get(self, ref: ObjectRef) -> dict[str, Any] | None:
        try:
            namespaced = self.cluster.namespaced(ref.api_version, ref.kind)
        except NotFound:
            return None  # the kind itself is gone (its CRD was collected)
        return self.cluster.get(
            ref.api_version, ref.kind, ref.name, (ref.namespace or self.ns) if namespaced else None
        )


class _Skip(Exception):
    pass


# --- what the steps look at ----------------------------------------------------------------------


def dispatched_objects(app: dict[str, Any]) -> list[dict[str, Any]]:
    """The objects inside the Application's `k8s-objects` components: KubeVela's controller applies them."""
    out = []
    for component in app.get("spec", {}).get("components") or []:
        if isinstance(component, dict) and component.get("type") == "k8s-objects":
            objects = (component.get("properties") or {}).get("objects") or []
            out += [o for o in objects if isinstance(o, dict) and o.get("kind") and o.get("apiVersion")]
    return out


def _brought(objects: list[dict[str, Any]]) -> tuple[set[tuple[str, str]], set[str]]:
    """The (group, kind)s of the CRDs and the names of the Namespaces among `objects`."""
    kinds, namespaces = set(), set()
    for obj in objects:
        if obj.get("kind") == "CustomResourceDefinition":
            spec = obj.get("spec") or {}
            kinds.add((str(spec.get("group", "")), str((spec.get("names") or {}).get("kind", ""))))
        elif obj.get("kind") == "Namespace" and obj.get("apiVersion") == "v1":
            namespaces.add(str(obj.get("metadata", {}).get("name", "")))
    return kinds, namespaces


def _needs_brought(
    cluster: Cluster,
    obj: dict[str, Any],
    brought: tuple[set[tuple[str, str]], set[str]],
    *,
    dependencies: bool,
) -> bool:
    """True when `obj` can only be checked once a CRD or Namespace the addon brings exists: one among its
    own objects, or (when it has dependencies, which enable enables first) a kind the cluster does not
    serve yet."""
    kinds, namespaces = brought
    group = obj["apiVersion"].rpartition("/")[0]
    if (group, obj["kind"]) in kinds or dependencies:
        try:
            cluster.resource(obj["apiVersion"], obj["kind"])
        except NotFound:
            return True
    namespace = obj.get("metadata", {}).get("namespace")
    return bool(namespace in namespaces and cluster.get("v1", "Namespace", namespace) is None)


def managed_resources(cluster: Cluster, app: dict[str, Any]) -> dict[ObjectRef, bool]:
    """What KubeVela applied for `app` in this cluster, and whether its garbage collection skips it: the
    `managedResources` of the Application's ResourceTrackers (KubeVela's own record of what an Application
    owns, which its garbage collection works from; `status.appliedResources` leaves out what it skips)."""
    meta = app["metadata"]
    selector = f"{APP_LABEL}={meta['name']},{APP_NAMESPACE_LABEL}={meta.get('namespace', '')}"
    applied = (app.get("status") or {}).get("appliedResources") or []
    out: dict[ObjectRef, bool] = {_entry_ref(item): False for item in _local(applied)}
    with contextlib.suppress(NotFound):
        for tracker in cluster.list(APP_API_VERSION, "ResourceTracker", label_selector=selector):
            for item in _local((tracker.get("spec") or {}).get("managedResources") or []):
                if not item.get("deleted"):
                    ref = _entry_ref(item)
                    out[ref] = out.get(ref, False) or bool(item.get("skipGC"))
    return out


def _local(items: list[Any]) -> list[dict[str, Any]]:
    """KubeVela's resource entries for this cluster (`cluster` empty or `local`)."""
    return [i for i in items if isinstance(i, dict) and i.get("cluster") in (None, "", "local")]


def _entry_ref(item: dict[str, Any]) -> ObjectRef:
    return ObjectRef(
        str(item.get("apiVersion")), str(item.get("kind")), str(item.get("name")), item.get("namespace")
    )


def _owned_by(obj: dict[str, Any], uid: str) -> bool:
    return any(o.get("uid") == uid for o in obj.get("metadata", {}).get("ownerReferences") or [])


def _label_problems(rendered: dict[str, Any], live: dict[str, Any]) -> list[str]:
    want = rendered.get("metadata", {}).get("labels") or {}
    have = live.get("metadata", {}).get("labels") or {}
    return [
        f"{_describe(live)}: label {key}={value} missing (it has {key}={have[key]})"
        if key in have
        else f"{_describe(live)}: label {key}={value} missing"
        for key, value in sorted(want.items())
        if have.get(key) != value
    ]


def _describe(obj: dict[str, Any]) -> str:
    """`Kind namespace/name`, as the other cluster commands name an object."""
    return ObjectRef.of(obj).located()


def _holds(obj: dict[str, Any], policies: list[dict[str, Any]]) -> str:
    """Why an object outlived its addon, as far as the object and the Application's policies tell."""
    meta = obj.get("metadata", {})
    if finalizers := meta.get("finalizers"):
        return f"held by finalizer {', '.join(finalizers)}" + (
            " (deletion requested)" if meta.get("deletionTimestamp") else ""
        )
    if meta.get("deletionTimestamp"):
        return "deleted, not yet removed"
    owners = [f"{o.get('kind')}/{o.get('name')}" for o in meta.get("ownerReferences") or []]
    if owners:
        return f"owned by {', '.join(owners)}"
    keeping = [
        f"{p.get('type')} policy {p.get('name')}" for p in policies if p.get("type") in KEEPING_POLICIES
    ]
    if keeping:
        policy = ", ".join(keeping)
        return f"not deleted: KubeVela's garbage collection kept it, as the Application's {policy} says"
    return "not deleted: KubeVela's garbage collection kept it (a resource-policy or a policy of the addon)"


def not_running(cluster: Cluster, app: dict[str, Any]) -> list[str]:
    """What keeps an Application from running: its unhealthy components, and each Deployment KubeVela
    applied for it that has fewer ready replicas than it wants, with why its Pods wait."""
    status = app.get("status") or {}
    lines = [
        f"component {s.get('name')}: {s.get('message') or 'not healthy'}"
        for s in status.get("services") or []
        if isinstance(s, dict) and not s.get("healthy", True)
    ]
    for ref in sorted(managed_resources(cluster, app), key=ObjectRef.key):
        if (ref.api_version, ref.kind) != ("apps/v1", "Deployment"):
            continue
        deployment = cluster.get_object(ref)
        if deployment is None:
            continue
        want = (deployment.get("spec") or {}).get("replicas", 1)
        ready = (deployment.get("status") or {}).get("readyReplicas", 0) or 0
        if ready >= want:
            continue
        line = f"{ref.located()}: {ready}/{want} replicas ready"
        selector = ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        if selector:
            labels = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
            for pod in cluster.list("v1", "Pod", namespace=ref.namespace, label_selector=labels)[:3]:
                line += f"; {_pod_waits(pod)}"
        lines.append(line)
    return lines


def _pod_waits(pod: dict[str, Any]) -> str:
    status = pod.get("status") or {}
    text = f"Pod {pod['metadata']['name']} {status.get('phase') or 'Pending'}"
    for condition in status.get("conditions") or []:
        if condition.get("status") == "False" and condition.get("message"):
            return f"{text}: {condition.get('reason') or condition.get('type')}: {condition['message']}"
    return text


def _first(problems: list[str], what: str) -> str:
    more = len(problems) - 1
    return problems[0] + (f" (and {plural(more, 'more problem')})" if more else "") if problems else what


def _short_value(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _example_documents(file: Path) -> list[dict[str, Any]]:
    try:
        text = file.read_text()
    except OSError as exc:
        raise InputError(
            f"--example {file}: {exc.strerror or exc}", hint="give an Application YAML file"
        ) from None
    try:
        docs = [d for d in load_yaml_all(text) if d is not None]
    except YamlError as exc:
        raise InputError(f"--example {file}: not YAML: {exc}", path=file) from None
    if not any(isinstance(d, dict) and d.get("kind") == "Application" for d in docs):
        raise InputError(
            f"--example {file} holds no Application", hint="an example is an Application that uses the addon"
        )
    bad = [d for d in docs if not isinstance(d, dict) or not d.get("apiVersion") or not d.get("kind")]
    if bad:
        raise InputError(f"--example {file}: every document needs apiVersion and kind", path=file)
    return docs


# --- what existed before ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Snapshot:
    namespaces: frozenset[str]
    addons: frozenset[str]
    definitions: frozenset[tuple[str, str]]  # (kind, name) in the system namespace


def _snapshot(cluster: Cluster, namespace: str) -> _Snapshot:
    definitions = set()
    for kind in DEFINITION_ANNOTATIONS:
        with contextlib.suppress(NotFound):
            for obj in cluster.list(APP_API_VERSION, kind, namespace=namespace):
                definitions.add((kind, obj["metadata"]["name"]))
    return _Snapshot(
        frozenset(o["metadata"]["name"] for o in cluster.list("v1", "Namespace")),
        frozenset(installed_addons(cluster, namespace)),
        frozenset(definitions),
    )


def _missing(before: _Snapshot, after: _Snapshot, addon: str) -> list[str]:
    """What existed before the run and is gone now (the addon's own addon record aside)."""
    lines = [
        f"namespace {n} existed before the run and is gone"
        for n in sorted(before.namespaces - after.namespaces)
    ]
    lines += [
        f"addon {a} was enabled before the run and is gone"
        for a in sorted(before.addons - after.addons)
        if a != addon
    ]
    lines += [
        f"{k} {n} existed before the run and is gone"
        for k, n in sorted(before.definitions - after.definitions)
    ]
    return lines

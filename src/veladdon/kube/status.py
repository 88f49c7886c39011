"""`list` and `status`: what the cluster says about enabled addons (upstream §8), as dataclasses whose
`to_json()` (veladdon.jsonable) is the documented `-o json|yaml` shape (docs/list-status.md). The CLI
only prints them.

Differences from upstream, on purpose: `list` shows the real phase of every addon (upstream prints
`enabled` for locally installed ones whatever their state), and `status` of a suspended addon still
shows its parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from veladdon.jsonable import Jsonable, json_field
from veladdon.kube.cluster import Cluster
from veladdon.kube.records import definitions_of, phase, require_app, stored_args
from veladdon.render.notes import MASK
from veladdon.wire import APP_API_VERSION, LABEL_NAME, LABEL_REGISTRY, LABEL_VERSION, NOTES_ANNOTATION

LOCAL_CLUSTER = "local"


@dataclass(frozen=True)
class AddonSummary(Jsonable):
    """One row of `veladdon list`."""

    name: str
    version: str
    registry: str
    phase: str
    application: str
    namespace: str
    definitions: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class AddonList(Jsonable):
    namespace: str  # where veladdon looked: the system namespace
    addons: list[AddonSummary]


@dataclass(frozen=True)
class ComponentHealth(Jsonable):
    """One entry of the Application's `status.services`."""

    name: str
    cluster: str
    namespace: str
    healthy: bool
    message: str


@dataclass(frozen=True)
class FailedStep(Jsonable):
    name: str
    type: str
    phase: str
    reason: str
    message: str


@dataclass(frozen=True)
class WorkflowState(Jsonable):
    """`status.workflow` reduced to what tells a user why an addon is not enabled yet."""

    status: str  # executing | suspending | succeeded | failed | terminated | …, as KubeVela reports it
    suspended: bool
    terminated: bool
    finished: bool
    message: str
    failed_step: FailedStep | None


@dataclass(frozen=True)
class AddonStatus(Jsonable):
    """`veladdon status NAME`. `parameters` are masked unless asked for (`parameters_masked`)."""

    name: str
    phase: str
    version: str
    registry: str
    application: str = field(metadata=json_field("application.name"))
    namespace: str = field(metadata=json_field("application.namespace"))
    # The Application's own `status.status` (running, runningWorkflow, …).
    application_status: str = field(metadata=json_field("application.status"))
    clusters: list[str]
    parameters: dict[str, Any]
    parameters_masked: bool
    components: list[ComponentHealth]
    workflow: WorkflowState | None
    definitions: dict[str, list[str]]
    notes: str | None


def list_addons(cluster: Cluster, namespace: str) -> AddonList:
    """Addons enabled in `namespace` (the system namespace): Applications labelled
    `addons.oam.dev/name`, sorted by addon name. Upstream also shows locally installed addons from any
    namespace; addons live in the system namespace, so veladdon looks only there and says so."""
    cluster.require_kubevela()
    rows = []
    for app in cluster.list(APP_API_VERSION, "Application", namespace=namespace, label_selector=LABEL_NAME):
        meta = app.get("metadata", {})
        labels = meta.get("labels") or {}
        if not labels.get(LABEL_NAME):
            continue
        rows.append(
            AddonSummary(
                name=str(labels[LABEL_NAME]),
                version=str(labels.get(LABEL_VERSION, "")),
                registry=str(labels.get(LABEL_REGISTRY, "")),
                phase=phase(app),
                application=str(meta.get("name", "")),
                namespace=str(meta.get("namespace", namespace)),
                definitions=_sorted_definitions(app),
            )
        )
    rows.sort(key=lambda r: (r.name, r.application))
    return AddonList(namespace, rows)


def addon_status(cluster: Cluster, addon: str, namespace: str, *, show_secrets: bool = False) -> AddonStatus:
    """Upstream §8.1 plus what a user needs to see why an addon is stuck: component health, the workflow
    and its failing step, and the NOTES `enable` stored. AddonNotEnabled when it is not enabled."""
    cluster.require_kubevela()
    app = require_app(cluster, addon, namespace)
    meta = app.get("metadata", {})
    labels = meta.get("labels") or {}
    status = app.get("status") or {}
    args = stored_args(cluster, addon, str(meta.get("namespace", namespace)))
    notes = (meta.get("annotations") or {}).get(NOTES_ANNOTATION)
    return AddonStatus(
        name=addon,
        phase=phase(app),
        version=str(labels.get(LABEL_VERSION, "")),
        registry=str(labels.get(LABEL_REGISTRY, "")),
        application=str(meta.get("name", "")),
        namespace=str(meta.get("namespace", namespace)),
        application_status=str(status.get("status", "")),
        clusters=clusters_of(app),
        parameters=args if show_secrets else mask_values(args),
        parameters_masked=not show_secrets,
        components=components_of(app),
        workflow=workflow_of(app),
        definitions=_sorted_definitions(app),
        notes=str(notes) if notes else None,
    )


def clusters_of(app: dict[str, Any]) -> list[str]:
    """Upstream §8.1 step 4: the clusters of `status.appliedResources` (no cluster means `local`), sorted.
    Upstream also drops clusters that are no longer registered; veladdon shows what the status says."""
    resources = (app.get("status") or {}).get("appliedResources") or []
    return sorted({str(r.get("cluster") or LOCAL_CLUSTER) for r in resources if isinstance(r, dict)})


def components_of(app: dict[str, Any]) -> list[ComponentHealth]:
    services = (app.get("status") or {}).get("services") or []
    out = [
        ComponentHealth(
            name=str(s.get("name", "")),
            cluster=str(s.get("cluster") or LOCAL_CLUSTER),
            namespace=str(s.get("namespace") or ""),
            healthy=bool(s.get("healthy", False)),
            message=str(s.get("message") or ""),
        )
        for s in services
        if isinstance(s, dict)
    ]
    return sorted(out, key=lambda c: (c.name, c.cluster, c.namespace))


def workflow_of(app: dict[str, Any]) -> WorkflowState | None:
    workflow = (app.get("status") or {}).get("workflow")
    if not isinstance(workflow, dict):
        return None
    suspended = bool(workflow.get("suspend"))
    terminated = bool(workflow.get("terminated"))
    finished = bool(workflow.get("finished"))
    state = str(workflow.get("status") or "")
    if not state:  # KubeVela before 1.6 has only the booleans
        state = (
            "terminated"
            if terminated
            else "suspending"
            if suspended
            else "succeeded"
            if finished
            else "executing"
        )
    return WorkflowState(
        status=state,
        suspended=suspended,
        terminated=terminated,
        finished=finished,
        message=str(workflow.get("message") or ""),
        failed_step=_failed_step(workflow.get("steps") or []),
    )


def _failed_step(steps: list[Any]) -> FailedStep | None:
    """The first step (or sub-step, named `step/sub`) that failed or reports a reason without success."""
    for step in steps:
        if not isinstance(step, dict):
            continue
        sub = _failed_step(step.get("subSteps") or [])
        if sub is not None:
            return FailedStep(
                f"{step.get('name', '')}/{sub.name}", sub.type, sub.phase, sub.reason, sub.message
            )
        step_phase = str(step.get("phase") or "")
        reason = str(step.get("reason") or "")
        if step_phase == "failed" or (reason and step_phase not in ("succeeded", "skipped")):
            return FailedStep(
                name=str(step.get("name", "")),
                type=str(step.get("type", "")),
                phase=step_phase,
                reason=reason,
                message=str(step.get("message") or ""),
            )
    return None


def mask_values(value: Any) -> Any:
    """Keys kept, every value replaced by `***` (the parameter Secret may hold passwords)."""
    if isinstance(value, dict):
        return {str(k): mask_values(v) for k, v in value.items()}
    return MASK


def _sorted_definitions(app: dict[str, Any]) -> dict[str, list[str]]:
    return {kind: sorted(names) for kind, names in sorted(definitions_of(app).items())}


__all__ = [
    "AddonList",
    "AddonStatus",
    "AddonSummary",
    "ComponentHealth",
    "FailedStep",
    "WorkflowState",
    "addon_status",
    "clusters_of",
    "components_of",
    "list_addons",
    "mask_values",
    "workflow_of",
]

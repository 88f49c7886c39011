"""Making KubeVela run an addon's workflow again after an enable changed something (upstream §0,
upstream §6.8 step 11): a fresh `publishVersion`, and a finished workflow rerun or a suspended one resumed."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from veladdon.kube.cluster import Cluster, Conflict
from veladdon.wire import APP_API_VERSION, PUBLISH_VERSION


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


def restart_workflow(
    cluster: Cluster, app: dict[str, Any], namespace: str, *, force: bool, republish: bool
) -> None:
    """After an upgrade changed something: with `republish` (the Application has a publishVersion), a
    fresh one makes KubeVela run the workflow again; then a finished workflow is rerun or a suspended
    one resumed (a new Application's workflow starts anyway, so this is for upgrades only)."""
    if republish:
        app["metadata"]["annotations"][PUBLISH_VERSION] = publish_version()
        cluster.apply(app, force=force)
    nudge_workflow(cluster, app["metadata"]["name"], namespace)

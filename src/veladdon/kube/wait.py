"""Waiting for an enabled addon's Application to run (upstream §6.10, with an enforced timeout), and
saying where it stands when it does not."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from veladdon.errors import TimedOut, VeladdonError
from veladdon.kube.checks import controller_problem
from veladdon.kube.cluster import Cluster
from veladdon.wire import APP_API_VERSION


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

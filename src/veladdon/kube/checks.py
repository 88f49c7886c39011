"""The checks `enable` makes before anything is written (upstream §6.4, §6.8 step 4): KubeVela's
controller and its version, the addon's `system` requirements, and definitions another owner has."""

from __future__ import annotations

from typing import Any

from veladdon.addon.model import Addon, SystemRequirements
from veladdon.addon.versions import VersionError, check_semver, is_semver
from veladdon.errors import InputError, VeladdonError
from veladdon.kube.cluster import Cluster
from veladdon.kube.live import LiveObjects
from veladdon.kube.records import ObjectRef
from veladdon.render import RenderResult
from veladdon.wire import CONTROLLER_LABEL


class RequirementError(VeladdonError):
    """The cluster does not meet the addon's `system` requirements."""


class DependencyMissing(VeladdonError):
    pass


class DefinitionConflict(VeladdonError):
    pass


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

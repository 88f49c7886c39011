"""The cluster's record of an enabled addon: its Application, stored parameters, phase, and
the objects veladdon applied for it (upstream §0, §6.7, §8.1)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from veladdon.errors import VeladdonError
from veladdon.jsonable import Jsonable, json_field
from veladdon.kube.cluster import Cluster
from veladdon.wire import (
    APP_API_VERSION,
    APP_PREFIX,
    DEFINITION_KINDS,
    LABEL_NAME,
    LABEL_VERSION,
    OBJECTS_ANNOTATION,
    SECRET_KEY,
)


@dataclass(frozen=True)
class ObjectRef(Jsonable):
    """The identity of one Kubernetes object: API group and version (`api_version`, as the object
    spells it), kind, namespace (None: cluster-scoped, or the default namespace of wherever it is
    applied) and name. Two refs are equal when these are, so refs are the keys of every map and set
    in veladdon.kube; `Kind/name` is only how a ref is shown (`str(ref)`, kubectl's words).

    `adopted` is not part of the identity: an object veladdon applied for an addon that existed before
    (a Namespace, say), left in place when the addon is disabled."""

    api_version: str
    kind: str
    name: str
    namespace: str | None = field(default=None, metadata=json_field(omitempty=True))
    adopted: bool = field(default=False, compare=False, metadata=json_field(omitempty=True))

    def __post_init__(self) -> None:
        if not self.namespace:  # "" and None are the same: no namespace
            object.__setattr__(self, "namespace", None)

    @classmethod
    def of(cls, obj: dict[str, Any], *, adopted: bool = False) -> ObjectRef:
        meta = obj.get("metadata", {})
        return cls(obj["apiVersion"], obj["kind"], meta.get("name", ""), meta.get("namespace"), adopted)

    @property
    def group(self) -> str:
        """The API group (`apps`; "" for the core group of `v1`)."""
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    def key(self) -> tuple[str, str, str, str]:
        """`(api_version, kind, namespace, name)`: the order refs are sorted and recorded in."""
        return (self.api_version, self.kind, self.namespace or "", self.name)

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"

    def located(self) -> str:
        """`Kind namespace/name` (`Kind name` when cluster-scoped), as disable's messages say it."""
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    def path(self) -> str:
        """`Kind/namespace/name` (`Kind/name` when cluster-scoped), as diff's file names say it."""
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{where}{self.name}"


def app_name(addon: str) -> str:
    return APP_PREFIX + addon


def secret_name(addon: str) -> str:
    return f"addon-secret-{addon}"


def find_app(cluster: Cluster, addon: str, namespace: str) -> dict[str, Any] | None:
    """`addon-<name>`, else the legacy KubeVela 1.1 name `<name>` (upstream §7 step 1)."""
    app = cluster.get(APP_API_VERSION, "Application", app_name(addon), namespace)
    if app is None:
        legacy = cluster.get(APP_API_VERSION, "Application", addon, namespace)
        if legacy is not None and (legacy.get("metadata", {}).get("labels") or {}).get(LABEL_NAME):
            return legacy
    return app


class AddonNotEnabled(VeladdonError):
    """The addon has no Application in the cluster (never enabled, or disabled): one message and one
    exit code (1, as kubectl's NotFound) for `status`, `disable`, `upgrade` and `diff --upgrade` alike."""

    def __init__(self, addon: str, namespace: str, *, hint: str | None = None) -> None:
        super().__init__(
            f"addon '{addon}' is not enabled: no Application addon-{addon} in namespace {namespace}",
            hint=hint or "`veladdon list` shows the enabled addons",
        )


def require_app(cluster: Cluster, addon: str, namespace: str, *, hint: str | None = None) -> dict[str, Any]:
    """find_app, or AddonNotEnabled."""
    app = find_app(cluster, addon, namespace)
    if app is None:
        raise AddonNotEnabled(addon, namespace, hint=hint)
    return app


def phase(app: dict[str, Any] | None) -> str:
    """Upstream §8.1: disabled, suspend, enabled, disabling or enabling."""
    if app is None:
        return "disabled"
    status = app.get("status") or {}
    if (status.get("workflow") or {}).get("suspend"):
        return "suspend"
    return {"running": "enabled", "deleting": "disabling"}.get(str(status.get("status", "")), "enabling")


def recorded_objects(app: dict[str, Any] | None) -> list[ObjectRef]:
    """The objects the last `veladdon enable` applied (empty for addons enabled by `vela`)."""
    if app is None:
        return []
    raw = (app.get("metadata", {}).get("annotations") or {}).get(OBJECTS_ANNOTATION)
    if not raw:
        return []
    try:
        items = json.loads(raw)
    except ValueError:
        return []
    refs = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and {"apiVersion", "kind", "name"} <= item.keys():
            refs.append(
                ObjectRef(
                    str(item["apiVersion"]),
                    str(item["kind"]),
                    str(item["name"]),
                    item.get("namespace"),
                    bool(item.get("adopted", False)),
                )
            )
    return refs


def encode_objects(refs: list[ObjectRef]) -> str:
    return json.dumps([r.to_json() for r in sorted(refs, key=ObjectRef.key)], separators=(",", ":"))


def definitions_of(app: dict[str, Any]) -> dict[str, list[str]]:
    """Definition kind → names, from the `addon.oam.dev/*Definitions` annotations (upstream §5.13)."""
    annotations = app.get("metadata", {}).get("annotations") or {}
    out: dict[str, list[str]] = {}
    for key, kind in DEFINITION_KINDS.items():
        names = [n for n in str(annotations.get(key, "")).split(",") if n]
        if names:
            out[kind] = names
    return out


def stored_args(cluster: Cluster, addon: str, namespace: str) -> dict[str, Any]:
    """The parameters stored by the last enable (upstream §6.7: JSON, or the legacy one-key-per-value one)."""
    return args_from_secret(cluster.get("v1", "Secret", secret_name(addon), namespace))


def args_from_secret(secret: dict[str, Any] | None) -> dict[str, Any]:
    if secret is None:
        return {}
    data = secret.get("data") or {}
    decoded: dict[str, str] = {}
    for key, value in data.items():
        try:
            decoded[key] = base64.b64decode(value or "").decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            continue
    if SECRET_KEY in decoded:
        try:
            args = json.loads(decoded[SECRET_KEY])
        except ValueError:
            return {}
        return args if isinstance(args, dict) else {}
    return dict(decoded)


def installed_addons(cluster: Cluster, namespace: str) -> dict[str, str]:
    """Addon name → version, for Applications with both addon labels (upstream §6.6 step 1)."""
    out: dict[str, str] = {}
    for app in cluster.list(APP_API_VERSION, "Application", namespace=namespace, label_selector=LABEL_NAME):
        labels = app.get("metadata", {}).get("labels") or {}
        if labels.get(LABEL_NAME) and labels.get(LABEL_VERSION):
            out[labels[LABEL_NAME]] = labels[LABEL_VERSION]
    return out

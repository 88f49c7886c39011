"""Addon registries stored in the cluster exactly as KubeVela stores them (upstream §9.1), so `vela` and
`veladdon` share one list: ConfigMap `vela-addon-registry`, key `registries`, a JSON object keyed by
registry name; git/gitee/gitlab tokens in Secrets `addon-registry-<name>` (`tokenSecretRef`)."""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

from veladdon.errors import InputError
from veladdon.kube.cluster import Cluster
from veladdon.registry import RegistryError, RegistryNotConfigured, RegistrySpec
from veladdon.registry.model import GitSource

CONFIGMAP = "vela-addon-registry"
KEY = "registries"


def token_secret_name(registry: str) -> str:
    return f"addon-registry-{registry}"


def _configmap(cluster: Cluster, namespace: str) -> dict[str, Any] | None:
    return cluster.get("v1", "ConfigMap", CONFIGMAP, namespace)


def _entries(cm: dict[str, Any] | None) -> dict[str, Any]:
    if cm is None:
        return {}
    data = cm.get("data") or {}
    if KEY not in data:
        raise RegistryError(f"error addon registry configmap registry-key not exist (ConfigMap {CONFIGMAP})")
    try:
        entries = json.loads(data[KEY] or "{}")
    except ValueError as exc:
        raise RegistryError(f"the ConfigMap {CONFIGMAP} holds invalid JSON under `{KEY}`: {exc}") from exc
    if not isinstance(entries, dict):
        raise RegistryError(f"the ConfigMap {CONFIGMAP} must hold a JSON object under `{KEY}`")
    return entries


def list_registries(cluster: Cluster, namespace: str) -> tuple[list[RegistrySpec], list[str]]:
    """Every registry (sorted by name) and warnings (entries that do not parse, inline tokens)."""
    warnings: list[str] = []
    specs: list[RegistrySpec] = []
    for name, entry in sorted(_entries(_configmap(cluster, namespace)).items()):
        try:
            spec = RegistrySpec.from_json(entry, name)
        except InputError as exc:
            warnings.append(f"registry {name}: {exc.message}")
            continue
        spec = _with_token(cluster, spec, namespace, warnings)
        specs.append(spec)
    return specs, warnings


def _with_token(cluster: Cluster, spec: RegistrySpec, namespace: str, warnings: list[str]) -> RegistrySpec:
    source = spec.source
    if not isinstance(source, GitSource):
        return spec
    if source.token_secret_ref:
        secret = cluster.get("v1", "Secret", source.token_secret_ref, namespace)
        token = ""
        if secret is not None:
            raw = (secret.get("data") or {}).get("token", "")
            token = base64.b64decode(raw).decode("utf-8", "replace") if raw else ""
        return dataclasses.replace(spec, source=dataclasses.replace(source, token=token))
    if source.token:
        warnings.append(
            f"addon registry {spec.name} keeps its token in the registry ConfigMap, unencrypted; run "
            f"`veladdon registry update {spec.name}` with its settings to move the token to a Secret"
        )
    return spec


def get_registry(cluster: Cluster, namespace: str, name: str) -> RegistrySpec:
    specs, _ = list_registries(cluster, namespace)
    for spec in specs:
        if spec.name == name:
            return spec
    raise RegistryNotConfigured(f'Registry.addons.kubevela.io "{name}" not found')


def save_registry(cluster: Cluster, namespace: str, spec: RegistrySpec, *, must_exist: bool = False) -> None:
    """add (creates the ConfigMap if needed) or update (`must_exist`); tokens move to a Secret."""
    cm = _configmap(cluster, namespace)
    entries = _entries(cm)
    if must_exist and spec.name not in entries:
        raise RegistryNotConfigured(f"addon registry {spec.name} not exist")
    body = spec.to_json()
    for kind in ("git", "gitee", "gitlab"):
        block = body.get(kind)
        if isinstance(block, dict) and block.get("token"):
            secret = token_secret_name(spec.name)
            cluster.apply(
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {"name": secret, "namespace": namespace},
                    "type": "Opaque",
                    "stringData": {"token": block.pop("token")},
                }
            )
            block["tokenSecretRef"] = secret
    entries[spec.name] = body
    _write(cluster, namespace, entries)


def delete_registry(cluster: Cluster, namespace: str, name: str) -> bool:
    """Remove the entry and its token Secret; False when there was nothing to remove."""
    cm = _configmap(cluster, namespace)
    if cm is None:
        return False
    entries = _entries(cm)
    entry = entries.pop(name, None)
    if entry is None:
        return False
    _write(cluster, namespace, entries)
    for kind in ("git", "gitee", "gitlab"):
        ref = (entry.get(kind) or {}).get("tokenSecretRef") if isinstance(entry, dict) else None
        if ref:
            cluster.delete("v1", "Secret", ref, namespace)
    return True


def _write(cluster: Cluster, namespace: str, entries: dict[str, Any]) -> None:
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": CONFIGMAP, "namespace": namespace},
            "data": {KEY: json.dumps(entries, sort_keys=True, separators=(",", ":"))},
        },
        force=True,  # the ConfigMap is shared with `vela`, which writes it with updates
    )

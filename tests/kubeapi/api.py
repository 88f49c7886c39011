"""The API semantics behind the HTTP layer: create, read, update, patch, apply and delete."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from . import errors
from .apply import server_side_apply, track_update
from .discovery import Registry, ResourceType, crd_types
from .errors import APIError
from .patch import json_patch, merge_patch, strategic_merge_patch
from .selectors import FieldGetter, parse_field_selector, parse_label_selector
from .store import Store

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_LABEL_KEY_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")

_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
_DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
    "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)

PATCH_TYPES = [
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
]
CUSTOM_PATCH_TYPES = [t for t in PATCH_TYPES if "strategic" not in t]

# Finalizers the emulated controllers own.
NAMESPACE_FINALIZER = "kubernetes"
CRD_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"
FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"

EXTRA_FIELDS: dict[str, dict[str, FieldGetter]] = {
    "namespaces": {"status.phase": lambda o: o.get("status", {}).get("phase")},
    "secrets": {"type": lambda o: o.get("type")},
}

MODIFIED = "the object has been modified; please apply your changes to the latest version and try again"
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_body(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    if "protobuf" in content_type or ("json" not in content_type and "yaml" not in content_type):
        raise APIError(
            415,
            f"the body of the request was in an unknown format - accepted media types include: "
            f'application/json, application/yaml (got "{content_type}")',
            "UnsupportedMediaType",
        )
    try:
        return json.loads(raw)
    except ValueError:
        pass
    if "yaml" in content_type:
        try:
            return yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise errors.bad_request(f"error decoding YAML: {exc}") from exc
    raise errors.bad_request("the request body could not be decoded as JSON")


@dataclass
class Options:
    """Query parameters shared by the write verbs."""

    dry_run: bool = False
    field_manager: str = ""
    force: bool = False

    @classmethod
    def parse(cls, query: dict[str, str], user_agent: str) -> Options:
        dry = query.get("dryRun")
        if dry not in (None, "", "All"):
            raise APIError(400, f'Invalid value: "{dry}": supported values: "All"', "BadRequest")
        manager = query.get("fieldManager", "")
        if len(manager) > 128:
            raise errors.bad_request("fieldManager: Too long: may not be longer than 128")
        force = query.get("force", "false").lower() == "true"
        return cls(dry == "All", manager, force)

    def manager_or(self, user_agent: str) -> str:
        # The API server names an anonymous writer after its user agent's product token.
        return self.field_manager or (user_agent.split("/", 1)[0] or "unknown")


class API:
    def __init__(self, store: Store, registry: Registry) -> None:
        self.store = store
        self.registry = registry
        self.lock = store.lock
        self.wake_controllers: Callable[[], None] = lambda: None
        for name in DEFAULT_NAMESPACES:
            self._create_namespace_object(name)

    # ----------------------------------------------------------------- helpers

    def _view(self, rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        """The object as seen through `rt`'s version (no conversion: only apiVersion changes)."""
        if obj.get("apiVersion") != rt.api_version:
            return {**obj, "apiVersion": rt.api_version}
        return obj

    def _require(self, rt: ResourceType, namespace: str, name: str) -> dict[str, Any]:
        obj = self.store.get(rt.store_key, namespace if rt.namespaced else "", name)
        if obj is None:
            raise errors.not_found(rt.plural, rt.group, name)
        return obj

    def _check_namespace(self, rt: ResourceType, namespace: str, creating: bool, name: str) -> None:
        if not rt.namespaced:
            return
        ns = self.store.get(("", "namespaces"), "", namespace)
        if ns is None:
            raise errors.not_found("namespaces", "", namespace)
        if creating and ns["metadata"].get("deletionTimestamp"):
            raise APIError(
                403,
                f'{rt.plural}{"." + rt.group if rt.group else ""} "{name}" is forbidden: unable to create '
                "new "
                f"content in namespace {namespace} because it is being terminated",
                "Forbidden",
                {
                    "name": name,
                    **({"group": rt.group} if rt.group else {}),
                    "kind": rt.plural,
                    "causes": [
                        {
                            "reason": "NamespaceTerminating",
                            "message": f"namespace {namespace} is being terminated",
                            "field": "metadata.namespace",
                        }
                    ],
                },
            )

    def _validate(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        name = meta.get("name", "")
        causes: list[tuple[str, str, str]] = []
        if not name:
            causes.append(
                ("metadata.name", "FieldValueRequired", "Required value: name or generateName is required")
            )
        else:
            if rt.plural == "namespaces":
                pattern, msg, limit = _LABEL, _LABEL_MSG, 63
            elif rt.plural == "services":
                pattern, msg, limit = _DNS1035, _DNS1035_MSG, 63
            else:
                pattern, msg, limit = _SUBDOMAIN, _SUBDOMAIN_MSG, 253
            if len(name) > limit:
                causes.append(
                    (
                        "metadata.name",
                        "FieldValueInvalid",
                        f'Invalid value: "{name}": must be no more than {limit} characters',
                    )
                )
            elif not pattern.match(name):
                causes.append(("metadata.name", "FieldValueInvalid", f'Invalid value: "{name}": {msg}'))
        for key, value in (meta.get("labels") or {}).items():
            prefix, _, local = key.rpartition("/")
            if (
                not _LABEL_KEY_NAME.match(local)
                or len(local) > 63
                or (prefix and not _SUBDOMAIN.match(prefix))
            ):
                causes.append(
                    (
                        "metadata.labels",
                        "FieldValueInvalid",
                        f'Invalid value: "{key}": name part must consist of alphanumeric characters, '
                        "'-', '_' or '.', and must start and end with an alphanumeric character",
                    )
                )
            if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
                causes.append(
                    (
                        "metadata.labels",
                        "FieldValueInvalid",
                        f'Invalid value: "{value}": a valid label must be an empty string or consist of '
                        "alphanumeric characters, '-', '_' or '.', and must start and end with an "
                        "alphanumeric character",
                    )
                )
        if rt.plural == "customresourcedefinitions" and name:
            spec = obj.get("spec", {})
            expected = f"{spec.get('names', {}).get('plural', '')}.{spec.get('group', '')}"
            if name != expected:
                causes.append(
                    (
                        "metadata.name",
                        "FieldValueInvalid",
                        f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group',
                    )
                )
            if not spec.get("versions"):
                causes.append(
                    (
                        "spec.versions",
                        "FieldValueRequired",
                        "Required value: must have exactly one version marked as storage version",
                    )
                )
        if causes:
            raise errors.invalid(rt.kind, rt.group, name, causes)

    def _check_type(self, rt: ResourceType, body: Any, what: str = "object") -> dict[str, Any]:
        if not isinstance(body, dict):
            raise errors.bad_request(f"the body of the request could not be decoded as a {rt.kind} {what}")
        api_version = body.get("apiVersion")
        kind = body.get("kind")
        if api_version and api_version != rt.api_version:
            raise errors.bad_request(
                f"the API version in the data ({api_version}) does not match the expected API version "
                f"({rt.api_version})"
            )
        if kind and kind != rt.kind:
            raise errors.bad_request(
                f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})"
            )
        return body

    def _normalise(self, rt: ResourceType, obj: dict[str, Any], namespace: str) -> dict[str, Any]:
        obj["apiVersion"] = rt.api_version
        obj["kind"] = rt.kind
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            meta = obj["metadata"] = {}
        if rt.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if rt.plural == "secrets" and "stringData" in obj:
            data = obj.setdefault("data", {}) or {}
            for key, value in (obj.pop("stringData") or {}).items():
                data[key] = base64.b64encode(str(value).encode()).decode()
            obj["data"] = data
        return obj

    # ----------------------------------------------------------------- read

    def get(self, rt: ResourceType, namespace: str, name: str, subresource: str = "") -> dict[str, Any]:
        self._check_subresource(rt, subresource)
        return self._view(rt, self._require(rt, namespace, name))

    def list_objects(self, rt: ResourceType, namespace: str | None, query: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            items = self._select(rt, namespace, query)
            rv = self.store.resource_version
        return {
            "kind": f"{rt.kind}List",
            "apiVersion": rt.api_version,
            "metadata": {"resourceVersion": str(rv)},
            "items": [self._view(rt, o) for o in items],
        }

    def matcher(self, rt: ResourceType, query: dict[str, str]) -> Callable[[dict[str, Any]], bool]:
        labels = parse_label_selector(query.get("labelSelector", ""))
        fields = parse_field_selector(query.get("fieldSelector", ""), EXTRA_FIELDS.get(rt.plural))
        return lambda o: labels.matches(o["metadata"].get("labels")) and fields.matches(o)

    def _select(self, rt: ResourceType, namespace: str | None, query: dict[str, str]) -> list[dict[str, Any]]:
        match = self.matcher(rt, query)
        # Pagination is a documented gap: `limit` is answered in full (allowed by the API contract,
        # which lets a server ignore it), but a continue token cannot be honoured.
        if query.get("continue"):
            raise APIError(400, "continue tokens are not supported by the emulator", "BadRequest")
        objects = self.store.list_objects(rt.store_key, namespace if rt.namespaced else None)
        return [o for o in objects if match(o)]

    def _check_subresource(self, rt: ResourceType, subresource: str) -> None:
        if subresource and not (subresource == "status" and rt.status_subresource):
            raise errors.resource_not_found()

    # ----------------------------------------------------------------- writes

    def create(
        self, rt: ResourceType, namespace: str, body: Any, query: dict[str, str], user_agent: str
    ) -> tuple[int, dict[str, Any]]:
        opts = Options.parse(query, user_agent)
        obj = copy.deepcopy(self._check_type(rt, body))
        obj = self._normalise(rt, obj, namespace)
        meta = obj["metadata"]
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + "".join(random.choices("bcdfghjklmnpqrstvwxz2456789", k=5))
        with self.lock:
            self._check_namespace(rt, namespace, True, meta.get("name", ""))
            self._validate(rt, obj)
            if self.store.get(rt.store_key, meta.get("namespace", ""), meta["name"]) is not None:
                raise errors.already_exists(rt.plural, rt.group, meta["name"])
            result = self._commit(rt, None, obj, opts.manager_or(user_agent), "", opts, apply=False)
        return 201, self._view(rt, result)

    def update(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        body: Any,
        query: dict[str, str],
        user_agent: str,
        subresource: str = "",
    ) -> tuple[int, dict[str, Any]]:
        self._check_subresource(rt, subresource)
        opts = Options.parse(query, user_agent)
        obj = copy.deepcopy(self._check_type(rt, body))
        obj = self._normalise(rt, obj, namespace)
        if obj["metadata"].get("name") != name:
            raise errors.bad_request(
                f"the name of the object ({obj['metadata'].get('name')}) does not match the name on the URL "
                f"({name})"
            )
        with self.lock:
            old = self._require(rt, namespace, name)
            rv = obj["metadata"].get("resourceVersion")
            if not rv and rt.custom:
                raise errors.invalid(
                    rt.kind,
                    rt.group,
                    name,
                    [
                        (
                            "metadata.resourceVersion",
                            "FieldValueInvalid",
                            "Invalid value: 0x0: must be specified for an update",
                        )
                    ],
                )
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise errors.conflict(
                    rt.plural,
                    rt.group,
                    name,
                    MODIFIED,
                )
            result = self._commit(rt, old, obj, opts.manager_or(user_agent), subresource, opts, apply=False)
        return 200, self._view(rt, result)

    def patch(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        raw: bytes,
        content_type: str,
        query: dict[str, str],
        user_agent: str,
        subresource: str = "",
    ) -> tuple[int, dict[str, Any]]:
        self._check_subresource(rt, subresource)
        opts = Options.parse(query, user_agent)
        media = content_type.split(";", 1)[0].strip().lower()
        accepted = CUSTOM_PATCH_TYPES if rt.custom else PATCH_TYPES
        if media not in accepted:
            raise errors.unsupported_patch(accepted)
        body = parse_body(raw, media)
        if media == "application/apply-patch+yaml":
            return self._apply(rt, namespace, name, body, opts, subresource)
        with self.lock:
            old = self._require(rt, namespace, name)
            current = copy.deepcopy(old)
            if media == "application/json-patch+json":
                patched = json_patch(current, body)
            elif not isinstance(body, dict):
                raise errors.bad_request(
                    "json: cannot unmarshal array into Go value of type map[string]interface {}"
                )
            elif media == "application/merge-patch+json":
                patched = merge_patch(current, body)
            else:
                patched = strategic_merge_patch(current, body)
            if not isinstance(patched, dict):
                raise errors.bad_request("the patched object is not a JSON object")
            patched = self._check_type(rt, patched)
            patched = self._normalise(rt, patched, namespace)
            if patched["metadata"].get("name") != name:
                raise errors.bad_request(
                    "metadata.name: Invalid value: the name may not be changed by a patch"
                )
            rv = patched["metadata"].get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise errors.conflict(
                    rt.plural,
                    rt.group,
                    name,
                    MODIFIED,
                )
            result = self._commit(
                rt, old, patched, opts.manager_or(user_agent), subresource, opts, apply=False
            )
        return 200, self._view(rt, result)

    def _apply(
        self, rt: ResourceType, namespace: str, name: str, body: Any, opts: Options, subresource: str
    ) -> tuple[int, dict[str, Any]]:
        if not opts.field_manager:
            raise errors.invalid(
                "PatchOptions",
                "meta.k8s.io",
                "",
                [("fieldManager", "FieldValueRequired", "Required value: is required for apply patch")],
            )
        if not isinstance(body, dict):
            raise errors.bad_request("error decoding YAML: the apply configuration is not an object")
        if not body.get("apiVersion") or not body.get("kind"):
            raise errors.bad_request(
                f"invalid object type: {body.get('apiVersion', '')}, Kind={body.get('kind', '')}"
            )
        applied = copy.deepcopy(self._check_type(rt, body))
        if applied.get("metadata", {}).get("name", name) != name:
            raise errors.bad_request(
                f"the name of the object ({applied['metadata']['name']}) does not match the name on the URL "
                f"({name})"
            )
        applied = self._normalise(rt, applied, namespace)
        applied["metadata"]["name"] = name
        with self.lock:
            old = self.store.get(rt.store_key, namespace if rt.namespaced else "", name)
            if old is None:
                self._check_namespace(rt, namespace, True, name)
                if subresource:
                    raise errors.not_found(rt.plural, rt.group, name)
            merged = server_side_apply(
                old,
                applied,
                opts.field_manager,
                opts.force,
                rt.api_version,
                now(),
                subresource=subresource,
                ignore_status=rt.status_subresource and not subresource,
            )
            merged.setdefault("metadata", {})["name"] = name
            merged = self._normalise(rt, merged, namespace)
            if old is None:
                self._validate(rt, merged)
            result = self._commit(rt, old, merged, opts.field_manager, subresource, opts, apply=True)
        return (201 if old is None else 200), self._view(rt, result)

    def _commit(
        self,
        rt: ResourceType,
        old: dict[str, Any] | None,
        new: dict[str, Any],
        manager: str,
        subresource: str,
        opts: Options,
        apply: bool,
    ) -> dict[str, Any]:
        """Set server fields, track managers, store. Caller holds the lock."""
        stamp = now()
        meta = new["metadata"]
        if rt.status_subresource:
            if subresource == "status" and old is not None:
                status = new.get("status")
                fields = meta.get("managedFields")
                new = copy.deepcopy(old)
                meta = new["metadata"]
                if status is None:
                    new.pop("status", None)
                else:
                    new["status"] = status
                if apply:
                    meta["managedFields"] = fields
            elif old is not None and "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            else:
                new.pop("status", None)
        if old is None:
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = stamp
            meta.pop("deletionTimestamp", None)
            meta.pop("resourceVersion", None)
            if rt.has_generation:
                meta["generation"] = 1
            self._defaults(rt, new)
        else:
            ometa = old["metadata"]
            for key in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
                if key in ometa:
                    meta[key] = ometa[key]
                else:
                    meta.pop(key, None)
            if rt.has_generation:
                spec_changed = {k: v for k, v in new.items() if k not in ("metadata", "status")} != {
                    k: v for k, v in old.items() if k not in ("metadata", "status")
                }
                meta["generation"] = ometa.get("generation", 1) + (1 if spec_changed else 0)
            if ometa.get("deletionTimestamp"):
                added = set(meta.get("finalizers") or []) - set(ometa.get("finalizers") or [])
                if added:
                    raise errors.invalid(
                        rt.kind,
                        rt.group,
                        meta["name"],
                        [
                            (
                                "metadata.finalizers",
                                "FieldValueForbidden",
                                "Forbidden: no new finalizers can be added if the object is being deleted",
                            )
                        ],
                    )
        if rt.plural == "customresourcedefinitions":
            self._crd_status(new)
        if not apply:
            track_update(
                old,
                new,
                manager,
                rt.api_version,
                stamp,
                subresource,
                ignore_status=rt.status_subresource and subresource != "status",
            )
        if not meta.get("managedFields"):
            meta.pop("managedFields", None)
        self._validate(rt, new)
        if old is not None and _same(old, new):
            return old
        if opts.dry_run:
            if old is None:
                meta.pop("resourceVersion", None)
            return new
        if (
            old is not None
            and rt.plural != "namespaces"
            and meta.get("deletionTimestamp")
            and not meta.get("finalizers")
        ):
            gone = self.store.remove(rt.store_key, new)
            self._after_delete(rt, gone)
            return gone
        event = "ADDED" if old is None else "MODIFIED"
        stored = self.store.put(rt.store_key, new, event)
        self._after_write(rt, old, stored)
        return stored

    def _defaults(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        if rt.plural == "namespaces":
            obj.setdefault("spec", {})["finalizers"] = [NAMESPACE_FINALIZER]
            obj["status"] = {"phase": "Active"}
        elif rt.plural == "secrets":
            obj.setdefault("type", "Opaque")
        elif rt.plural == "services":
            spec = obj.setdefault("spec", {})
            spec.setdefault("type", "ClusterIP")
            spec.setdefault("clusterIP", f"10.96.{random.randint(0, 255)}.{random.randint(1, 254)}")
            spec.setdefault("sessionAffinity", "None")

    def _crd_status(self, crd: dict[str, Any]) -> None:
        spec = crd.get("spec", {})
        names = dict(spec.get("names", {}))
        names.setdefault("singular", names.get("kind", "").lower())
        names.setdefault("listKind", names.get("kind", "") + "List")
        storage = [v["name"] for v in spec.get("versions", []) if v.get("storage")]
        status = crd.get("status") or {}
        stamp = now()
        conditions = [
            {
                "type": "NamesAccepted",
                "status": "True",
                "reason": "NoConflicts",
                "message": "no conflicts found",
                "lastTransitionTime": stamp,
            },
            {
                "type": "Established",
                "status": "True",
                "reason": "InitialNamesAccepted",
                "message": "the initial names have been accepted",
                "lastTransitionTime": stamp,
            },
        ]
        if crd["metadata"].get("deletionTimestamp"):
            conditions.append(
                {
                    "type": "Terminating",
                    "status": "True",
                    "reason": "InstanceDeletionInProgress",
                    "message": "CustomResource deletion is in progress",
                    "lastTransitionTime": stamp,
                }
            )
        old_conditions = {c.get("type"): c for c in status.get("conditions") or []}
        for c in conditions:
            previous = old_conditions.get(c["type"])
            if previous and previous.get("status") == c["status"]:
                c["lastTransitionTime"] = previous.get("lastTransitionTime", stamp)
        stored = list(status.get("storedVersions") or [])
        stored += [v for v in storage if v not in stored]
        crd["status"] = {"conditions": conditions, "acceptedNames": names, "storedVersions": stored}

    def _after_write(self, rt: ResourceType, old: dict[str, Any] | None, obj: dict[str, Any]) -> None:
        if rt.plural == "customresourcedefinitions" and not obj["metadata"].get("deletionTimestamp"):
            self.registry.set_crd_types(obj["metadata"]["name"], crd_types(obj))
        if rt.plural == "namespaces" and old is None:
            # The root-CA publisher and service-account controllers fill every new namespace.
            ns = obj["metadata"]["name"]
            self._system_create(
                ("", "configmaps"),
                "v1",
                "ConfigMap",
                ns,
                "kube-root-ca.crt",
                {"data": {"ca.crt": "-----BEGIN CERTIFICATE-----\nemulator\n-----END CERTIFICATE-----\n"}},
            )
            self._system_create(("", "serviceaccounts"), "v1", "ServiceAccount", ns, "default", {})
        if obj["metadata"].get("deletionTimestamp") or old is None:
            self.wake_controllers()

    def _after_delete(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        if rt.plural == "customresourcedefinitions":
            self.registry.set_crd_types(obj["metadata"]["name"], [])
        self.wake_controllers()

    def _system_create(
        self,
        key: tuple[str, str],
        api_version: str,
        kind: str,
        namespace: str,
        name: str,
        rest: dict[str, Any],
    ) -> None:
        stamp = now()
        meta: dict[str, Any] = {"name": name, "uid": str(uuid.uuid4()), "creationTimestamp": stamp}
        if namespace:
            meta["namespace"] = namespace
        obj = {"apiVersion": api_version, "kind": kind, "metadata": meta, **copy.deepcopy(rest)}
        self.store.put(key, obj, "ADDED")

    def _create_namespace_object(self, name: str) -> None:
        rt = self.registry.lookup("", "v1", "namespaces")
        assert rt is not None
        obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        self._commit(rt, None, obj, "kube-apiserver", "", Options(), apply=False)

    # ----------------------------------------------------------------- delete

    def delete(
        self, rt: ResourceType, namespace: str, name: str, body: Any, query: dict[str, str], user_agent: str
    ) -> tuple[int, dict[str, Any]]:
        opts = Options.parse({**query, **_dry_run_from_body(body)}, user_agent)
        options = body if isinstance(body, dict) else {}
        policy = query.get("propagationPolicy") or options.get("propagationPolicy") or "Background"
        if options.get("orphanDependents") is True:
            policy = "Orphan"
        if policy not in ("Background", "Foreground", "Orphan"):
            raise errors.invalid(
                "DeleteOptions",
                "meta.k8s.io",
                "",
                [
                    (
                        "propagationPolicy",
                        "FieldValueNotSupported",
                        f'Unsupported value: "{policy}": supported values: '
                        '"Foreground", "Background", "Orphan"',
                    )
                ],
            )
        with self.lock:
            obj = self._require(rt, namespace, name)
            pre = options.get("preconditions") or {}
            meta = obj["metadata"]
            if pre.get("uid") and pre["uid"] != meta["uid"]:
                raise errors.conflict(
                    rt.plural,
                    rt.group,
                    name,
                    f"Precondition failed: UID in precondition: {pre['uid']}, "
                    f"UID in object meta: {meta['uid']}",
                )
            if pre.get("resourceVersion") and pre["resourceVersion"] != meta["resourceVersion"]:
                raise errors.conflict(
                    rt.plural,
                    rt.group,
                    name,
                    f"Precondition failed: ResourceVersion in precondition: {pre['resourceVersion']}, "
                    f"ResourceVersion in object meta: {meta['resourceVersion']}",
                )
            return self.delete_object(rt, obj, policy, opts.dry_run)

    def delete_object(
        self, rt: ResourceType, obj: dict[str, Any], policy: str = "Background", dry_run: bool = False
    ) -> tuple[int, dict[str, Any]]:
        """Delete (or start deleting) `obj`; also used by the controllers. Caller holds the lock."""
        new = copy.deepcopy(obj)
        meta = new["metadata"]
        finalizers: list[str] = list(meta.get("finalizers") or [])
        extra = None
        if rt.plural == "namespaces":
            extra = NAMESPACE_FINALIZER
            new["status"] = {**(new.get("status") or {}), "phase": "Terminating"}
        elif rt.plural == "customresourcedefinitions":
            extra = CRD_FINALIZER
        elif policy == "Foreground":
            extra = FOREGROUND
        elif policy == "Orphan":
            extra = ORPHAN
        if (
            extra
            and extra not in finalizers
            and not meta.get("deletionTimestamp")
            and rt.plural != "namespaces"
        ):
            finalizers.append(extra)
        pending = finalizers or (rt.plural == "namespaces")
        if not pending:
            if dry_run:
                return 200, self._success(rt, obj)
            gone = self.store.remove(rt.store_key, obj)
            self._after_delete(rt, gone)
            return 200, self._success(rt, gone)
        if meta.get("deletionTimestamp") and finalizers == list(obj["metadata"].get("finalizers") or []):
            return 200, self._view(rt, obj)
        meta.setdefault("deletionTimestamp", now())
        meta["deletionGracePeriodSeconds"] = 0
        if finalizers:
            meta["finalizers"] = finalizers
        if rt.has_generation:
            meta["generation"] = meta.get("generation", 1) + 1
        if rt.plural == "customresourcedefinitions":
            self._crd_status(new)
        if dry_run:
            return 200, self._view(rt, new)
        stored = self.store.put(rt.store_key, new, "MODIFIED")
        self.wake_controllers()
        return 200, self._view(rt, stored)

    def _success(self, rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        details: dict[str, Any] = {"name": obj["metadata"]["name"]}
        if rt.group:
            details["group"] = rt.group
        details["kind"] = rt.plural
        details["uid"] = obj["metadata"].get("uid", "")
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}

    def delete_collection(
        self, rt: ResourceType, namespace: str | None, body: Any, query: dict[str, str], user_agent: str
    ) -> tuple[int, dict[str, Any]]:
        opts = Options.parse({**query, **_dry_run_from_body(body)}, user_agent)
        options = body if isinstance(body, dict) else {}
        policy = query.get("propagationPolicy") or options.get("propagationPolicy") or "Background"
        with self.lock:
            if rt.namespaced and namespace is not None:
                self._check_namespace(rt, namespace, False, "")
            for obj in self._select(rt, namespace, query):
                self.delete_object(rt, obj, policy, opts.dry_run)
        return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}


def _same(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """A write that changes nothing but timestamps keeps the old resourceVersion, as in a real server."""

    def strip(o: dict[str, Any]) -> dict[str, Any]:
        meta = dict(o.get("metadata", {}))
        meta.pop("resourceVersion", None)
        meta["managedFields"] = [
            {k: v for k, v in e.items() if k != "time"} for e in meta.get("managedFields") or []
        ]
        return {**o, "metadata": meta}

    return strip(old) == strip(new)


def _dry_run_from_body(body: Any) -> dict[str, str]:
    if isinstance(body, dict) and body.get("dryRun"):
        return {"dryRun": ",".join(body["dryRun"])}
    return {}

"""The one connection to a cluster: kubeconfig loading, discovery, typed errors, retries, and
server-side apply with the field manager `veladdon`.

Everything above this module speaks plain dicts (the objects `render` produces) and the typed
errors below; nothing else in veladdon imports `kubernetes`.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from veladdon.errors import ClusterError, ExitCode, VeladdonError
from veladdon.paths import cache_dir
from veladdon.wire import APP_API_VERSION

if TYPE_CHECKING:
    from veladdon.kube.records import ObjectRef

FIELD_MANAGER = "veladdon"
REQUEST_TIMEOUT = 30
RETRIES_5XX = 2
RETRIES_CONFLICT = 3
DISCOVERY_TTL = 600

T = TypeVar("T")


class ApiError(VeladdonError):
    """The API server answered with an error Status."""

    exit_code = ExitCode.FAILED

    def __init__(self, message: str, *, status: int, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class NotFound(ApiError):
    pass


class Conflict(ApiError):
    pass


class NotInstalled(VeladdonError):
    """KubeVela's CRDs are missing."""


@dataclass
class RequestStats:
    """What a run cost: for benchmarks and the `--verbose` summary."""

    requests: int = 0
    retries: int = 0
    discoveries: int = 0
    by_verb: dict[str, int] = field(default_factory=dict)


class Cluster:
    """A connected cluster. Create with `Cluster.connect()`; use as a context manager to close it."""

    def __init__(self, api_client: Any, *, name: str, server: str) -> None:
        self.api_client = api_client
        self.name = name
        self.server = server
        self.stats = RequestStats()
        self._dynamic: Any = None
        self._wrap_client()

    @classmethod
    def connect(cls, kubeconfig: str | None = None, context: str | None = None) -> Cluster:
        """--kubeconfig, else $KUBECONFIG, else ~/.kube/config, else the in-cluster service account."""
        from kubernetes import client, config
        from kubernetes.config.config_exception import ConfigException

        from_env = os.environ.get("KUBECONFIG")
        path = kubeconfig or from_env or str(Path.home() / ".kube" / "config")
        first = path.split(os.pathsep)[0]
        use_file = bool(kubeconfig) or Path(first).expanduser().exists()
        if not kubeconfig and from_env and not use_file:
            raise ClusterError(
                f"KUBECONFIG names {first}, which does not exist",
                hint="point KUBECONFIG at your kubeconfig, or pass --kubeconfig FILE",
            )
        try:
            if use_file:
                if kubeconfig and not Path(kubeconfig).expanduser().exists():
                    raise ClusterError(f"kubeconfig {kubeconfig} does not exist", hint="check --kubeconfig")
                _check_kubeconfig(Path(first).expanduser())
                configuration = client.Configuration()
                config.load_kube_config(config_file=path, context=context, client_configuration=configuration)
                _, active = config.list_kube_config_contexts(config_file=path)
                name = context or (active or {}).get("name", "")
            elif os.environ.get("KUBERNETES_SERVICE_HOST"):
                configuration = client.Configuration()
                config.load_incluster_config(client_configuration=configuration)
                name = "in-cluster"
            else:
                raise ClusterError(
                    "no kubeconfig found ($KUBECONFIG, ~/.kube/config) and not running in a cluster",
                    hint="pass --kubeconfig FILE or set KUBECONFIG",
                )
        except ConfigException as exc:
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ClusterError(
                f"cannot load the kubeconfig {path}: {message}",
                hint="check --kubeconfig and --context (`kubectl config get-contexts` lists them)",
            ) from exc
        except (OSError, ValueError, TypeError, KeyError, yaml.YAMLError) as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ClusterError(
                f"cannot load the kubeconfig {path}: {first_line}", hint="check the file"
            ) from exc
        configuration.retries = 0  # veladdon retries itself, and only what is safe to retry
        return cls(client.ApiClient(configuration), name=name or "default", server=configuration.host)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.api_client.close()

    @property
    def label(self) -> str:
        return f"{self.name} ({self.server})"

    def _wrap_client(self) -> None:
        """Count every request the client sends (benchmarks assert on these numbers)."""
        original = self.api_client.call_api
        stats = self.stats

        def call_api(first: str, second: str, *args: Any, **kwargs: Any) -> Any:
            # The typed APIs pass (path, method); the low-level request path passes (method, url).
            method, path = (first, second) if first.isupper() else (second, first)
            stats.requests += 1
            stats.by_verb[method] = stats.by_verb.get(method, 0) + 1
            if path.split("?")[0].endswith("/apis") and method == "GET":  # a discovery round starts here
                stats.discoveries += 1
            return original(first, second, *args, **kwargs)

        self.api_client.call_api = call_api

    # --- discovery ---------------------------------------------------------------------------

    @property
    def dynamic(self) -> Any:
        """A DynamicClient with its own discovery cache file per API server (one discovery round)."""
        if self._dynamic is None:
            from kubernetes.dynamic import DynamicClient

            key = hashlib.sha256(self.server.encode()).hexdigest()[:16]
            folder = cache_dir("discovery")
            folder.mkdir(parents=True, exist_ok=True)
            cache_file = folder / f"{key}.json"
            # Like kubectl's discovery cache: trusted for 10 minutes, so CRDs that appeared or went
            # away since are noticed; a kind missing from the cache refreshes it at once.
            if cache_file.exists() and time.time() - cache_file.stat().st_mtime > DISCOVERY_TTL:
                cache_file.unlink(missing_ok=True)
            self._dynamic = self.call(lambda: DynamicClient(self.api_client, cache_file=str(cache_file)))
        return self._dynamic

    def resource(self, api_version: str, kind: str) -> Any:
        """The API resource serving `kind` (NotFound when the cluster does not know it)."""
        from kubernetes.dynamic.exceptions import ResourceNotFoundError

        try:
            return self.call(lambda: self.dynamic.resources.get(api_version=api_version, kind=kind))
        except ResourceNotFoundError as exc:
            raise NotFound(f"the cluster does not serve {kind} ({api_version})", status=404) from exc

    def require_kubevela(self) -> None:
        """Asked of the server itself, not the discovery cache: an uninstalled KubeVela must say so."""
        try:
            served = _plain(
                self.call(
                    lambda: self.dynamic.request(
                        "get", f"/apis/{APP_API_VERSION}", _request_timeout=REQUEST_TIMEOUT
                    ),
                    what=f"discover {APP_API_VERSION}",
                )
            )
        except NotFound:
            served = {}
        kinds = {r.get("kind") for r in (served or {}).get("resources", []) if isinstance(r, dict)}
        if "Application" not in kinds:
            raise NotInstalled(
                f"KubeVela is not installed in this cluster (no {APP_API_VERSION} Application), "
                f"cluster {self.label}",
                hint="install KubeVela first (https://kubevela.io/docs/install)",
            )

    def namespaced(self, api_version: str, kind: str) -> bool:
        return bool(self.resource(api_version, kind).namespaced)

    # --- calls -------------------------------------------------------------------------------

    def call(self, fn: Callable[[], T], *, what: str = "") -> T:
        """Run one API call: 5xx and 429 retried (bounded), connection errors → ClusterError (exit 5),
        401/403 → ClusterError, other error Statuses → ApiError subclasses."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError as Urllib3Error

        attempt = 0
        while True:
            try:
                return fn()
            except ApiException as exc:
                status = int(exc.status or 0)
                if (status >= 500 or status == 429) and attempt < RETRIES_5XX:
                    attempt += 1
                    self.stats.retries += 1
                    time.sleep(0.2 * attempt)
                    continue
                raise self._translate(exc, what) from exc
            except Urllib3Error as exc:
                raise ClusterError(
                    f"cannot reach the cluster {self.label}: {_short(exc)}",
                    hint="check that the API server is running and --kubeconfig/--context point at it",
                ) from exc

    def _translate(self, exc: Any, what: str) -> VeladdonError:
        status = int(exc.status or 0)
        reason, message = "", str(exc.reason or "")
        try:
            body = json.loads(exc.body or "{}")
            reason = str(body.get("reason", ""))
            message = str(body.get("message", message))
        except (ValueError, TypeError):
            pass
        where = f"{what}: " if what else ""
        if status in (401, 403):
            verb = "unauthorised" if status == 401 else "forbidden"
            return ClusterError(
                f"{verb} by the cluster {self.label}: {where}{message}", hint="check your credentials"
            )
        cls: type[ApiError] = NotFound if status == 404 else Conflict if status == 409 else ApiError
        return cls(f"{where}{message}", status=status, reason=reason)

    def retry_conflicts(self, fn: Callable[[], T]) -> T:
        """Retry a read-modify-write on 409 Conflict with a fresh read each time (bounded)."""
        for attempt in range(RETRIES_CONFLICT):
            try:
                return fn()
            except Conflict:
                if attempt == RETRIES_CONFLICT - 1:
                    raise
                self.stats.retries += 1
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    # --- objects -----------------------------------------------------------------------------

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> dict[str, Any] | None:
        res = self.resource(api_version, kind)
        try:
            obj = self.call(
                lambda: res.get(
                    name=name,
                    namespace=namespace if res.namespaced else None,
                    _request_timeout=REQUEST_TIMEOUT,
                ),
                what=f"get {kind}/{name}",
            )
        except NotFound:
            return None
        return _plain(obj)

    def get_object(self, ref: ObjectRef) -> dict[str, Any] | None:
        """The object `ref` names, None when there is none."""
        return self.get(ref.api_version, ref.kind, ref.name, ref.namespace)

    def list(
        self,
        api_version: str,
        kind: str,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
    ) -> list[dict[str, Any]]:
        res = self.resource(api_version, kind)
        kwargs: dict[str, Any] = {"_request_timeout": REQUEST_TIMEOUT}
        if label_selector:
            kwargs["label_selector"] = label_selector
        ns = namespace if res.namespaced else None
        result = self.call(lambda: res.get(namespace=ns, **kwargs), what=f"list {kind}")
        items = _plain(result).get("items") or []
        for item in items:
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
        return list(items)

    def apply(self, obj: dict[str, Any], *, dry_run: bool = False, force: bool = False) -> dict[str, Any]:
        """Server-side apply with field manager `veladdon` (a conflict is a Conflict unless `force`)."""
        res = self.resource(obj["apiVersion"], obj["kind"])
        meta = obj.get("metadata", {})
        kwargs: dict[str, Any] = {
            "body": obj,
            "name": meta.get("name"),
            "field_manager": FIELD_MANAGER,
            "force_conflicts": force,
            "_request_timeout": REQUEST_TIMEOUT,
        }
        if res.namespaced:
            kwargs["namespace"] = meta.get("namespace")
        if dry_run:
            kwargs["dry_run"] = "All"
        result = self.call(
            lambda: self.dynamic.server_side_apply(res, **kwargs),
            what=f"apply {obj['kind']}/{meta.get('name')}",
        )
        return _plain(result)

    def delete(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        propagation: str = "Background",
        dry_run: bool = False,
    ) -> bool:
        """Delete; False when it was already gone."""
        res = self.resource(api_version, kind)
        body: dict[str, Any] = {"propagationPolicy": propagation}
        kwargs: dict[str, Any] = {"body": body, "_request_timeout": REQUEST_TIMEOUT}
        if dry_run:
            kwargs["dry_run"] = "All"
        try:
            self.call(
                lambda: res.delete(name=name, namespace=namespace if res.namespaced else None, **kwargs),
                what=f"delete {kind}/{name}",
            )
        except NotFound:
            return False
        return True

    def delete_object(
        self, ref: ObjectRef, *, propagation: str = "Background", dry_run: bool = False
    ) -> bool:
        """Delete the object `ref` names; False when it was already gone."""
        return self.delete(
            ref.api_version, ref.kind, ref.name, ref.namespace, propagation=propagation, dry_run=dry_run
        )

    def patch_status(
        self, api_version: str, kind: str, name: str, namespace: str, patch: builtins.list[dict[str, Any]]
    ) -> dict[str, Any]:
        """A JSON patch on the status subresource."""
        res = self.resource(api_version, kind)
        result = self.call(
            lambda: self.dynamic.request(
                "patch",
                res.path(name=name, namespace=namespace) + "/status",
                body=patch,
                content_type="application/json-patch+json",
                _request_timeout=REQUEST_TIMEOUT,
            ),
            what=f"patch {kind}/{name} status",
        )
        return _plain(result)

    def server_version(self) -> str:
        """The Kubernetes gitVersion (e.g. `v1.29.2`), read from `/version` as plain JSON, leniently, as
        kubectl reads it: the typed `VersionInfo` model refuses a document without `buildDate` or
        `goVersion`, which proxies and some distributions leave out."""
        from kubernetes import client

        raw: Any = self.call(
            lambda: client.VersionApi(self.api_client).get_code(
                _preload_content=False, _request_timeout=REQUEST_TIMEOUT
            ),
            what="get /version",
        )
        try:
            info = json.loads(raw.data)
        except (ValueError, TypeError, AttributeError):
            return ""
        version = info.get("gitVersion") if isinstance(info, dict) else None
        return version if isinstance(version, str) else ""


def _check_kubeconfig(path: Path) -> None:
    """What is wrong with a kubeconfig file, in words (the client would say `'str' object does not
    support item assignment`)."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ClusterError(
            f"cannot read the kubeconfig {path}: {exc.strerror}", hint="check the file"
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ClusterError(
            f"the kubeconfig {where} is not valid YAML: {problem}", hint="fix the file, or pass --kubeconfig"
        ) from exc
    if doc is not None and not isinstance(doc, dict):
        what = {str: "a string", list: "a list", int: "a number", float: "a number", bool: "a boolean"}
        raise ClusterError(
            f"the kubeconfig {path} is not a kubeconfig: it holds {what.get(type(doc), 'a single value')}, "
            "not a mapping with clusters, users and contexts",
            hint="point --kubeconfig or KUBECONFIG at a kubeconfig file",
        )


def _plain(obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    if hasattr(obj, "to_dict"):
        data = obj.to_dict()
        return data if isinstance(data, dict) else {}
    return dict(obj)


def _short(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    text = str(reason or exc)
    return text.split("\n")[0][:300]

"""The HTTP layer: routing, content negotiation, watch streams, the request log and fault injection."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import selectors
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import discovery, errors
from .api import API, parse_body
from .discovery import Registry, ResourceType
from .errors import APIError
from .gc import Controllers
from .store import Event, Store

MAX_WATCH_SECONDS = 1800.0


@dataclass
class RequestRecord:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class Fault:
    status: int
    method: str | None = None
    path_contains: str | None = None
    times: int = 1
    reason: str | None = None
    message: str = "injected fault"

    def matches(self, method: str, path: str) -> bool:
        return (
            self.times > 0
            and (self.method is None or self.method.upper() == method)
            and (self.path_contains is None or self.path_contains in path)
        )


@dataclass
class Route:
    rt: ResourceType
    namespace: str | None
    name: str | None
    subresource: str
    watch: bool


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    emulator: KubeAPIServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without this every keep-alive request stalls ~40 ms on delayed ACKs.
    disable_nagle_algorithm = True
    server_version = "kubeapi-emulator"
    timeout = 120
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.emulator._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.emulator._track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_OPTIONS(self) -> None:
        self._handle()

    # ------------------------------------------------------------------

    def _send(self, code: int, body: Any, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _handle(self) -> None:
        emulator = self.server.emulator
        parts = urlsplit(self.path)
        path = parts.path
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type", "application/json")
        record = RequestRecord(self.command, path, query, None)
        try:
            record.body = json.loads(raw) if raw else None
        except ValueError:
            try:
                record.body = parse_body(raw, "application/yaml")
            except APIError:
                record.body = raw.decode("utf-8", "replace")
        emulator._log(record)
        try:
            fault = emulator._take_fault(self.command, path)
            if fault is not None:
                raise APIError(fault.status, fault.message, fault.reason)
            code, body, ctype = self._dispatch(path, query, raw, content_type)
        except APIError as exc:
            code, body, ctype = exc.code, exc.status(), "application/json"
        except Exception as exc:  # an emulator bug must surface as a 500, not a hung client
            code = 500
            body = APIError(500, f"emulator error: {type(exc).__name__}: {exc}", "InternalError").status()
            ctype = "application/json"
        record.status = code
        if code == -1:  # a watch stream already answered
            record.status = 200
            return
        self._send(code, body, ctype)

    def _dispatch(
        self, path: str, query: dict[str, str], raw: bytes, content_type: str
    ) -> tuple[int, Any, str]:
        emulator = self.server.emulator
        registry = emulator.registry
        segs = [s for s in path.split("/") if s]
        accept = self.headers.get("Accept", "")
        if self.command == "GET":
            doc = self._discovery(segs, registry)
            if doc is not None:
                return 200, doc, "application/json"
            if segs and segs[0] in ("healthz", "readyz", "livez"):
                return 200, b"ok", "text/plain; charset=utf-8"
        route = self._route(segs, registry, query)
        if accept and "json" not in accept and "*/*" not in accept:
            # Protobuf is the one encoding the emulator does not speak.
            raise APIError(
                406,
                f"only the following media types are accepted: application/json (got {accept})",
                "NotAcceptable",
            )
        return self._verb(route, query, raw, content_type, accept)

    def _discovery(self, segs: list[str], registry: Registry) -> Any:
        if segs == ["version"]:
            return discovery.version_doc()
        if segs == ["api"]:
            host, port = self.server.server_address[:2]
            return discovery.api_versions(f"{host!s}:{port}")
        if segs == ["api", "v1"]:
            return discovery.api_resource_list(registry, "", "v1")
        if segs == ["apis"]:
            return discovery.api_group_list(registry)
        if len(segs) == 2 and segs[0] == "apis":
            doc = discovery.api_group(registry, segs[1])
            if doc is None:
                raise errors.resource_not_found()
            return doc
        if len(segs) == 3 and segs[0] == "apis":
            doc = discovery.api_resource_list(registry, segs[1], segs[2])
            if doc is None:
                raise errors.resource_not_found()
            return doc
        return None

    def _route(self, segs: list[str], registry: Registry, query: dict[str, str]) -> Route:
        if segs[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", segs[2:]
        elif len(segs) >= 3 and segs[0] == "apis":
            group, version, rest = segs[1], segs[2], segs[3:]
        else:
            raise errors.resource_not_found()
        watch = False
        if rest and rest[0] == "watch":
            watch, rest = True, rest[1:]
        if query.get("watch", "").lower() in ("true", "1"):
            watch = True
        namespace: str | None = None
        if (
            len(rest) >= 3
            and rest[0] == "namespaces"
            and not (group == "" and len(rest) == 3 and rest[2] in ("status", "finalize"))
        ):
            namespace, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3:
            raise errors.resource_not_found()
        rt = registry.lookup(group, version, rest[0])
        if rt is None:
            raise errors.resource_not_found()
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else ""
        if namespace is not None and not rt.namespaced:
            raise errors.resource_not_found()
        if rt.namespaced and namespace is None and name is not None:
            raise errors.resource_not_found()
        return Route(rt, namespace, name, sub, watch)

    def _verb(
        self, route: Route, query: dict[str, str], raw: bytes, content_type: str, accept: str
    ) -> tuple[int, Any, str]:
        api = self.server.emulator.api
        rt, ns, name, sub = route.rt, route.namespace or "", route.name, route.subresource
        method = self.command
        ua = self.headers.get("User-Agent", "")

        def allowed(verb: str) -> None:
            if verb not in rt.verbs:
                raise errors.method_not_allowed(verb, rt.plural)

        if method == "GET" and route.watch:
            allowed("watch")
            self._watch(route, query)
            return -1, None, ""
        if method == "GET":
            if name is None:
                allowed("list")
                listed = api.list_objects(rt, route.namespace, query)
                if "as=Table" in accept:
                    return 200, _table(listed["items"], listed["metadata"], query), "application/json"
                return 200, listed, "application/json"
            allowed("get")
            obj = api.get(rt, ns, name, sub)
            if "as=Table" in accept and not sub:
                return (
                    200,
                    _table([obj], {"resourceVersion": obj["metadata"].get("resourceVersion", "")}, query),
                    "application/json",
                )
            return 200, obj, "application/json"
        if method == "POST" and name is None:
            allowed("create")
            if rt.namespaced and route.namespace is None:
                raise errors.method_not_allowed("create", rt.plural)
            body = parse_body(raw, content_type)
            code, obj = api.create(rt, ns, body, query, ua)
            return code, obj, "application/json"
        if method == "PUT" and name is not None:
            allowed("update")
            code, obj = api.update(rt, ns, name, parse_body(raw, content_type), query, ua, sub)
            return code, obj, "application/json"
        if method == "PATCH" and name is not None:
            allowed("patch")
            code, obj = api.patch(rt, ns, name, raw, content_type, query, ua, sub)
            return code, obj, "application/json"
        if method == "DELETE" and not sub:
            body = parse_body(raw, content_type) if raw else None
            if name is not None:
                allowed("delete")
                code, obj = api.delete(rt, ns, name, body, query, ua)
            else:
                allowed("deletecollection")
                code, obj = api.delete_collection(rt, route.namespace, body, query, ua)
            return code, obj, "application/json"
        raise errors.method_not_allowed(method.lower(), rt.plural)

    # ------------------------------------------------------------------ watch

    def _chunk(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, separators=(",", ":")).encode() + b"\n"
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _watch(self, route: Route, query: dict[str, str]) -> None:
        emulator = self.server.emulator
        api, store, rt = emulator.api, emulator.store, route.rt
        match = api.matcher(rt, query)  # raises 400 before the stream starts
        try:
            timeout = min(float(query.get("timeoutSeconds") or MAX_WATCH_SECONDS), MAX_WATCH_SECONDS)
        except ValueError as exc:
            raise errors.bad_request(f"invalid timeoutSeconds: {query.get('timeoutSeconds')}") from exc
        ns = route.namespace if rt.namespaced else None
        rv_param = query.get("resourceVersion", "")
        initial: list[dict[str, Any]] = []
        with store.lock:
            if rv_param in ("", "0"):
                initial = [o for o in store.list_objects(rt.store_key, ns) if match(o)]
                last = store.resource_version
            else:
                try:
                    last = int(rv_param)
                except ValueError as exc:
                    raise errors.bad_request(f"invalid resource version: {rv_param}") from exc
            expired = store.events_since(last) is None
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        deadline = time.monotonic() + timeout
        try:
            if expired:
                gone = APIError(410, f"too old resource version: {last}", "Expired").status()
                self._chunk({"type": "ERROR", "object": gone})
            else:
                for obj in initial:
                    self._chunk({"type": "ADDED", "object": api._view(rt, obj)})
                while not emulator.stopping and not store.closed:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    events: list[Event] = store.events_since(last) or []
                    for event in events:
                        last = event.rv
                        obj = event.obj
                        if event.store_key != rt.store_key:
                            continue
                        if ns is not None and obj["metadata"].get("namespace") != ns:
                            continue
                        if match(obj):
                            self._chunk({"type": event.type, "object": api._view(rt, obj)})
                    if not events:
                        store.wait(last, min(0.25, remaining))
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True


def _age(timestamp: str) -> str:
    try:
        created = dt.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return "<unknown>"
    seconds = int((dt.datetime.now(dt.UTC) - created).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= 2 * size or (unit == "m" and seconds >= 120):
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def _table(items: list[dict[str, Any]], metadata: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
    """Server-side printing as kubectl asks for it: Name and Age, like a CRD without printer columns."""
    full = query.get("includeObject") == "Object"
    rows = []
    for obj in items:
        meta = obj["metadata"]
        embedded = (
            obj
            if full
            else {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta}
        )
        rows.append({"cells": [meta["name"], _age(meta.get("creationTimestamp", ""))], "object": embedded})
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": [
            {
                "name": "Name",
                "type": "string",
                "format": "name",
                "description": "Name must be unique within a namespace.",
                "priority": 0,
            },
            {
                "name": "Age",
                "type": "date",
                "format": "",
                "description": "CreationTimestamp is the server time when this object was created.",
                "priority": 0,
            },
        ],
        "rows": rows,
    }


class KubeAPIServer:
    """An in-process Kubernetes API emulator on 127.0.0.1; `start()` takes a few milliseconds."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.store = Store()
        self.registry = Registry()
        self.api = API(self.store, self.registry)
        self.controllers = Controllers(self.api)
        self.requests: list[RequestRecord] = []
        self.faults: list[Fault] = []
        self.stopping = False
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self.httpd = _HTTPServer((host, port), _Handler)
        self.httpd.emulator = self
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread = threading.Thread(target=self._serve, name="kubeapi-http", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> KubeAPIServer:
        self._thread.start()
        self.controllers.start()
        return self

    def _serve(self) -> None:
        # serve_forever() polls; a wake-up socket lets stop() return at once instead.
        with selectors.DefaultSelector() as sel:
            sel.register(self.httpd.socket, selectors.EVENT_READ)
            sel.register(self._wake_r, selectors.EVENT_READ)
            while not self.stopping:
                for key, _ in sel.select(timeout=1.0):
                    if key.fileobj is self._wake_r:
                        return
                    self.httpd._handle_request_noblock()  # type: ignore[attr-defined]

    def stop(self) -> None:
        if self.stopping:
            return
        self.stopping = True
        self._wake_w.send(b"x")
        self.store.close()
        self._thread.join(timeout=5)
        self.controllers.stop()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self.httpd.server_close()
        self._wake_r.close()
        self._wake_w.close()

    def __enter__(self) -> KubeAPIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ test hooks

    def inject_fault(
        self,
        *,
        status: int,
        method: str | None = None,
        path_contains: str | None = None,
        times: int = 1,
        reason: str | None = None,
        message: str = "injected fault",
    ) -> Fault:
        fault = Fault(status, method, path_contains, times, reason, message)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    return fault
        return None

    def _log(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests.append(record)

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

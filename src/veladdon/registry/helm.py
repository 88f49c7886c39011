"""Reading a Helm registry (upstream §9.4): `index.yaml` over HTTP(S), version choice, archive download
with URL fallbacks, safe unpacking — and the same for an index.yaml in a folder on disk.

HTTP uses the standard library (`urllib.request` + `ssl`): it is enough for GET with basic auth, a CA
bundle and skip-verify, it keeps `veladdon.registry` free of `requests` (which only arrives with
`kubernetes`, a layer this package must not depend on), and every request has a timeout. Two choices
that differ from upstream, both for safety: basic-auth credentials go only to the registry's own
scheme/host/port (Helm's default without `--pass-credentials`), also across redirects; and a
downloaded archive whose sha256 differs from the index's `digest` counts as a failed URL.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from veladdon import __version__
from veladdon.addon.model import SystemRequirements
from veladdon.addon.versions import (
    VersionError,
    check_semver,
    choose_helm_version,
    is_semver,
    parse_version,
)
from veladdon.errors import InputError
from veladdon.registry.cache import RegistryCache, url_key
from veladdon.registry.model import (
    AddonNotFoundError,
    AvailableAddon,
    ClusterVersions,
    HelmSource,
    RegistryError,
    RegistrySpec,
    RegistryWarning,
    ResolvedAddon,
)
from veladdon.registry.package import unpack_chart

DEFAULT_TIMEOUT = 30.0  # seconds per connect/read; a whole download is bounded by 10x this
DEFAULT_MAX_AGE = 600.0  # seconds a cached index is used without asking the registry again
MAX_INDEX_BYTES = 50 * 1024 * 1024
MAX_PACKAGE_BYTES = 100 * 1024 * 1024


# --------------------------------------------------------------------------------------------------
# The index


@dataclass(frozen=True)
class ChartVersion:
    """One version of one addon in an index."""

    name: str
    version: str
    description: str = ""
    icon: str = ""
    keywords: tuple[str, ...] = ()
    home: str = ""
    annotations: Mapping[str, str] = field(default_factory=dict)
    urls: tuple[str, ...] = ()
    digest: str = ""
    created: str = ""

    @property
    def system(self) -> SystemRequirements | None:
        """Requirements from the index annotations only (upstream §9.4); None when there are none."""
        vela = self.annotations.get("system.vela", "")
        kube = self.annotations.get("system.kubernetes", "")
        return SystemRequirements(vela, kube) if vela or kube else None


@dataclass(frozen=True)
class HelmIndex:
    """Every addon of an index; each one's versions highest first (Helm's ordering)."""

    entries: Mapping[str, tuple[ChartVersion, ...]]

    def addons(self, registry: str) -> list[AvailableAddon]:
        """Upstream's listing: fields of the highest version (even a prerelease), all versions, empty
        entries skipped; sorted by name (upstream follows the map order)."""
        out = []
        for name in sorted(self.entries):
            charts = self.entries[name]
            if not charts:
                continue
            top = charts[0]
            out.append(
                AvailableAddon(
                    name,
                    registry,
                    top.version,
                    top.description,
                    top.icon,
                    top.keywords,
                    tuple(c.version for c in charts),
                )
            )
        return out

    def versions(self) -> dict[str, list[str]]:
        return {name: [c.version for c in charts] for name, charts in self.entries.items() if charts}


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _rank(charts: list[ChartVersion]) -> tuple[ChartVersion, ...]:
    parsed = [c for c in charts if is_semver(c.version)]
    parsed.sort(key=lambda c: parse_version(c.version), reverse=True)
    return tuple(parsed + [c for c in charts if not is_semver(c.version)])


def parse_index(data: bytes, source: str) -> HelmIndex:
    """Decode an index.yaml; RegistryError naming `source` when it is not one. Lenient about unknown
    fields (upstream is strict, which breaks on indexes written by newer Helm versions)."""
    try:
        doc = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise RegistryError(f"parse index file from {source} failure: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("entries") or {}, dict):
        raise RegistryError(f"parse index file from {source} failure: not a Helm repository index")
    entries: dict[str, tuple[ChartVersion, ...]] = {}
    for name, items in (doc.get("entries") or {}).items():
        charts = []
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            raw_ann = item.get("annotations")
            annotations = {str(k): str(v) for k, v in raw_ann.items()} if isinstance(raw_ann, dict) else {}
            charts.append(
                ChartVersion(
                    str(name),
                    str(item.get("version") or ""),
                    str(item.get("description") or ""),
                    str(item.get("icon") or ""),
                    _strings(item.get("keywords")),
                    str(item.get("home") or ""),
                    annotations,
                    _strings(item.get("urls")),
                    str(item.get("digest") or ""),
                    str(item.get("created") or ""),
                )
            )
        entries[str(name)] = _rank(charts)
    return HelmIndex(entries)


# --------------------------------------------------------------------------------------------------
# Choosing a version


def unmet_requirement(system: SystemRequirements | None, cluster: ClusterVersions | None) -> str | None:
    """Why `system` does not suit `cluster` (e.g. `needs vela >=1.6.0`), or None when it does.
    Unknown or non-semver cluster versions are not held against it, as upstream bypasses them."""
    if system is None or cluster is None:
        return None
    for label, wanted, actual in (
        ("vela", system.vela, cluster.vela),
        ("kubernetes", system.kubernetes, cluster.kubernetes),
    ):
        if not wanted or not actual or not is_semver(actual.removeprefix("v")):
            continue
        try:
            ok = check_semver(actual, wanted)
        except VersionError:
            return f"has an invalid {label} requirement {wanted!r}"
        if not ok:
            return f"needs {label} {wanted}"
    return None


def _cluster_text(cluster: ClusterVersions) -> str:
    parts = [
        f"vela {cluster.vela}" if cluster.vela else "",
        f"kubernetes {cluster.kubernetes}" if cluster.kubernetes else "",
    ]
    return ", ".join(p for p in parts if p) or "versions unknown"


def choose_version(
    name: str,
    charts: Sequence[ChartVersion],
    requested: str | None,
    cluster: ClusterVersions | None = None,
) -> tuple[ChartVersion, str, bool]:
    """(chart, one-line reason, suits the cluster) for addon `name`.

    `requested`: exact match ignoring a leading `v` (VersionNotFoundError otherwise). Else, without
    `cluster`, the highest version that is not a prerelease; with it, the highest non-prerelease whose
    index requirements suit the cluster — or, when none does, the highest anyway (suits=False: the
    enable's requirement check then explains, as upstream's would)."""
    by_version = {c.version: c for c in charts}
    available = [c.version for c in charts]
    if requested:
        chosen = by_version[choose_helm_version(available, requested, name)]
        why = unmet_requirement(chosen.system, cluster)
        reason = f"{name} {chosen.version}: as requested"
        if why:
            reason += f" (it {why}; the cluster has {_cluster_text(cluster or ClusterVersions())})"
        return chosen, reason, why is None
    default = by_version[choose_helm_version(available, None, name)]
    if cluster is None or (cluster.vela is None and cluster.kubernetes is None):
        return default, f"{name} {default.version}: the highest version that is not a prerelease", True
    skipped: list[str] = []
    for chart in charts:
        v = parse_version(chart.version) if is_semver(chart.version) else None
        if v is None or v.prerelease:
            continue
        why = unmet_requirement(chart.system, cluster)
        if why is None:
            reason = f"{name} {chart.version}: the highest version whose requirements suit the cluster"
            if skipped:
                reason += f" ({_cluster_text(cluster)}; {'; '.join(skipped)})"
            return chart, reason, True
        skipped.append(f"{chart.version} {why}")
    reason = (
        f"{name} {default.version}: the highest version, though none suits the cluster "
        f"({_cluster_text(cluster)}; {'; '.join(skipped[:3])})"
    )
    return default, reason, False


# --------------------------------------------------------------------------------------------------
# HTTP


@dataclass(frozen=True)
class HttpOptions:
    username: str = ""
    password: str = ""
    ca_file: str = ""
    insecure_skip_tls: bool = False
    timeout: float = DEFAULT_TIMEOUT


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, f"{(parts.hostname or '').lower()}:{port}"


class _SameOriginAuthRedirect(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but drop the Authorization header when one leaves the original origin."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and _origin(newurl) != _origin(req.full_url):
            new.remove_header("Authorization")
        return new


def _ssl_context(opts: HttpOptions) -> ssl.SSLContext:
    try:
        ctx = ssl.create_default_context(cafile=opts.ca_file or None)
    except (OSError, ssl.SSLError) as exc:
        raise InputError(
            f"cannot use CA file {opts.ca_file}: {exc}", path=opts.ca_file, hint="give a PEM CA bundle"
        ) from exc
    if opts.insecure_skip_tls:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def http_get(url: str, opts: HttpOptions, *, send_auth: bool, limit: int) -> bytes:
    """GET `url` (at most `limit` bytes); RegistryError saying what failed and what to try."""
    request = urllib.request.Request(url, headers={"User-Agent": f"veladdon/{__version__}"})
    if send_auth and (opts.username or opts.password):
        token = base64.b64encode(f"{opts.username}:{opts.password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    handlers: list[urllib.request.BaseHandler] = [_SameOriginAuthRedirect()]
    if url.startswith("https:"):
        handlers.append(urllib.request.HTTPSHandler(context=_ssl_context(opts)))
    opener = urllib.request.build_opener(*handlers)
    deadline = time.monotonic() + opts.timeout * 10
    try:
        with opener.open(request, timeout=opts.timeout) as response:
            chunks: list[bytes] = []
            size = 0
            while chunk := response.read(1 << 16):
                size += len(chunk)
                if size > limit:
                    raise RegistryError(f"{url} is larger than {limit // (1024 * 1024)} MiB")
                if time.monotonic() > deadline:
                    raise RegistryError(f"{url}: download took longer than {opts.timeout * 10:.0f}s")
                chunks.append(chunk)
            return b"".join(chunks)
    except urllib.error.HTTPError as exc:
        hint = "check the username and password" if exc.code in (401, 403) else None
        raise RegistryError(f"{url}: HTTP {exc.code} {exc.reason}", hint=hint) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise RegistryError(
                f"{url}: TLS certificate not trusted ({reason.verify_message})",
                hint="give the registry's CA with --ca-file, or --insecure-skip-tls",
            ) from None
        if isinstance(reason, TimeoutError):
            raise RegistryError(f"{url}: no answer within {opts.timeout:.0f}s") from None
        raise RegistryError(f"{url}: {reason}") from None
    except TimeoutError:
        raise RegistryError(f"{url}: no answer within {opts.timeout:.0f}s") from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise RegistryError(f"{url}: {exc}") from None


# --------------------------------------------------------------------------------------------------
# Registries with an index


def _is_remote(url: str) -> bool:
    return urllib.parse.urlsplit(url).scheme in ("http", "https")


def _folder_uri(path: Path) -> str:
    return path.resolve().as_uri().rstrip("/") + "/"


class IndexedRegistry:
    """A registry serving an `index.yaml` and chart archives: Helm over HTTP(S), or a folder on disk
    (a `file://` URL or a path, as upstream treats a helm URL that is not a URL)."""

    def __init__(
        self,
        spec: RegistrySpec,
        *,
        cache: RegistryCache | None = None,
        refresh: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        max_age: float = DEFAULT_MAX_AGE,
        base: str | None = None,
    ) -> None:
        self.spec = spec
        self.name = spec.name
        src = spec.source
        helm = src if isinstance(src, HelmSource) else HelmSource(base or "")
        url = base or helm.url
        if not _is_remote(url):
            path = (
                Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))
                if url.startswith("file:")
                else Path(url)
            )
            url = _folder_uri(path)
        self.base_url = url.rstrip("/") + "/"
        self.remote = _is_remote(self.base_url)
        self.http = HttpOptions(helm.username, helm.password, helm.ca_file, helm.insecure_skip_tls, timeout)
        self.cache = cache or RegistryCache()
        self.refresh = refresh
        self.max_age = max_age
        self.warnings: list[RegistryWarning] = []
        self._index: HelmIndex | None = None
        self._error: RegistryError | None = None

    @property
    def index_url(self) -> str:
        return self.base_url + "index.yaml"

    def _get(self, url: str, limit: int) -> bytes:
        if _is_remote(url):
            return http_get(url, self.http, send_auth=_origin(url) == _origin(self.base_url), limit=limit)
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("file", ""):
            raise RegistryError(f"{url}: unsupported URL scheme {parts.scheme!r}")
        path = Path(urllib.request.url2pathname(parts.path))
        try:
            return path.read_bytes()
        except OSError as exc:
            raise RegistryError(f"cannot read {path}: {exc.strerror}") from None

    def index(self) -> HelmIndex:
        """The index: from the cache while fresh (and not `refresh`), else fetched; when fetching fails,
        a cached copy of any age is used with a warning."""
        if self._index is not None:
            return self._index
        if self._error is not None:  # asked again in the same run: do not wait for a dead host twice
            raise self._error
        try:
            return self._load_index()
        except RegistryError as exc:
            self._error = exc
            raise

    def _load_index(self) -> HelmIndex:
        if not self.remote:
            self._index = parse_index(self._get(self.index_url, MAX_INDEX_BYTES), self.index_url)
            return self._index
        cached = self.cache.read_index(self.index_url)
        if cached is not None and not self.refresh and cached[1] <= self.max_age:
            try:
                self._index = parse_index(cached[0], self.index_url)
                return self._index
            except RegistryError:
                cached = None
        try:
            data = self._get(self.index_url, MAX_INDEX_BYTES)
        except RegistryError as exc:
            problem = RegistryError(
                f"download index file from {self.base_url.rstrip('/')} failure: {exc.message}", hint=exc.hint
            )
        else:
            try:
                self._index = parse_index(data, self.index_url)
                self.cache.write_index(self.index_url, data)
                return self._index
            except RegistryError as exc:
                problem = exc
        if cached is None:
            raise problem
        try:
            self._index = parse_index(cached[0], self.index_url)
        except RegistryError:
            raise problem from None
        self.warnings.append(
            RegistryWarning(
                self.name, f"{problem.message}; using the index cached {_age(cached[1])} ago (offline)"
            )
        )
        return self._index

    def list_addons(self) -> list[AvailableAddon]:
        return self.index().addons(self.name)

    def versions(self) -> dict[str, list[str]]:
        return self.index().versions()

    def fetch(
        self, name: str, version: str | None = None, cluster: ClusterVersions | None = None
    ) -> ResolvedAddon:
        """Choose a version of `name`, download it (trying each URL in order) and unpack it into the
        cache. AddonNotFoundError when the index has no such addon; VersionNotFoundError when it lacks
        that version; RegistryError when no URL gives a valid archive."""
        charts = self.index().entries.get(name)
        if not charts:
            raise AddonNotFoundError(f"addon {name} not exist in registry {self.name}")
        chart, reason, suits = choose_version(name, charts, version, cluster)
        if not chart.urls:
            raise RegistryError(f"the index lists no URL for {name} {chart.version}")
        problems = []
        for raw in chart.urls:
            url = urllib.parse.urljoin(self.base_url, raw)
            key = chart.digest.lower() if len(chart.digest) == 64 else url_key(url)
            try:
                folder = self._materialise(name, chart, url, key)
            except (RegistryError, InputError) as exc:
                problems.append(exc.message)
                continue
            return ResolvedAddon(
                name=name,
                version=chart.version,
                registry=self.name,
                path=folder,
                system=chart.system,
                versions=tuple(c.version for c in charts),
                reason=reason,
                suits_cluster=suits,
                digest=chart.digest,
                warnings=tuple(self.warnings),
            )
        raise RegistryError(
            f"cannot fetch addon package {name} {chart.version} from registry {self.name}: "
            + "; ".join(problems)
        )

    def _materialise(self, name: str, chart: ChartVersion, url: str, key: str) -> Path:
        folder = self.cache.addon_dir(key, name)
        content_addressed = len(chart.digest) == 64
        if folder.is_dir() and (content_addressed or not self.refresh) and (folder / ".complete").exists():
            return folder
        data = None if self.refresh and not content_addressed else self.cache.read_package(key)
        if data is None:
            data = self._get(url, MAX_PACKAGE_BYTES)
            if chart.digest and hashlib.sha256(data).hexdigest() != chart.digest.lower():
                raise RegistryError(f"{url}: sha256 differs from the index's digest")
            self.cache.write_package(key, data)
        return _unpack_into(folder, data, url)


def _unpack_into(folder: Path, data: bytes, source: str) -> Path:
    """Unpack into a fresh sibling folder then swap it in, so readers never see half an addon."""
    import shutil
    import tempfile

    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    except OSError:  # no writable cache: a private temporary folder still serves this run
        staging = Path(tempfile.mkdtemp(prefix="veladdon-addon-"))
        target = staging / folder.name
        target.mkdir()
        unpack_chart(data, target, source=source)
        return target
    try:
        unpack_chart(data, staging, source=source)
        (staging / ".complete").write_text("", encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        staging.replace(folder)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if (folder / ".complete").exists():  # another run won the race
            return folder
        raise RegistryError(f"cannot unpack {source} into {folder}: {exc.strerror}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 86400:.0f}d"


__all__ = [
    "DEFAULT_MAX_AGE",
    "DEFAULT_TIMEOUT",
    "ChartVersion",
    "HelmIndex",
    "HttpOptions",
    "IndexedRegistry",
    "choose_version",
    "http_get",
    "parse_index",
    "unmet_requirement",
]

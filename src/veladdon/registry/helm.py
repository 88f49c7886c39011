"""A registry with an `index.yaml` (upstream §9.4): Helm over HTTP(S), or the same in a folder on disk.
The index is read through the cache (veladdon.registry.cache) and parsed by
veladdon.registry.helm_index; a version is chosen by veladdon.registry.version_choice; archives are
downloaded (veladdon.registry.http) trying each URL in order, and unpacked into the cache.

One choice differs from upstream, for safety: a downloaded archive whose sha256 differs from the
index's `digest` counts as a failed URL.
"""

from __future__ import annotations

import hashlib
import urllib.parse
import urllib.request
from pathlib import Path

from veladdon.errors import InputError
from veladdon.registry.cache import RegistryCache, url_key
from veladdon.registry.helm_index import ChartVersion, HelmIndex, parse_index
from veladdon.registry.http import DEFAULT_TIMEOUT, HttpOptions, http_get, is_remote, origin
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
from veladdon.registry.version_choice import choose_version

DEFAULT_MAX_AGE = 600.0  # seconds a cached index is used without asking the registry again
MAX_INDEX_BYTES = 50 * 1024 * 1024
MAX_PACKAGE_BYTES = 100 * 1024 * 1024


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
        if not is_remote(url):
            path = (
                Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))
                if url.startswith("file:")
                else Path(url)
            )
            url = _folder_uri(path)
        self.base_url = url.rstrip("/") + "/"
        self.remote = is_remote(self.base_url)
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
        if is_remote(url):
            return http_get(url, self.http, send_auth=origin(url) == origin(self.base_url), limit=limit)
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
        content_addressed = len(chart.digest) == 64
        if content_addressed or not self.refresh:
            unpacked = self.cache.unpacked_addon(key, name)
            if unpacked is not None:
                return unpacked
        data = None if self.refresh and not content_addressed else self.cache.read_package(key)
        if data is None:
            data = self._get(url, MAX_PACKAGE_BYTES)
            if chart.digest and hashlib.sha256(data).hexdigest() != chart.digest.lower():
                raise RegistryError(f"{url}: sha256 differs from the index's digest")
            self.cache.write_package(key, data)
        return self.cache.unpack_addon(key, name, data, source=url)


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 86400:.0f}d"


__all__ = ["DEFAULT_MAX_AGE", "IndexedRegistry"]

"""Registries as `vela addon` stores them (upstream §9.1), and what reading one produces.

`RegistrySpec` mirrors upstream's registry JSON field for field, so `veladdon.kube` can round-trip the
`vela-addon-registry` ConfigMap without losing what `vela` wrote. Two extensions, both optional and
ignored by upstream's decoder (unknown keys): `helm.caFile` (a CA bundle for private registries with
their own certificate authority) and a `local` source (`{"path": DIR}`) for a folder on disk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from veladdon.addon.model import SystemRequirements
from veladdon.errors import InputError, VeladdonError
from veladdon.jsonable import Jsonable, json_field

SOURCE_KINDS = ("helm", "local", "git", "gitee", "gitlab", "oss")
UNSUPPORTED_KINDS = frozenset({"git", "gitee", "gitlab", "oss"})


class RegistryError(VeladdonError):
    """A registry that cannot serve: unreachable, refusing us, or publishing a broken index (exit 1)."""


class RegistryNotConfigured(VeladdonError):
    """A registry name the cluster does not know (exit 1, as any named thing that is not there)."""

    def __init__(self, message: str) -> None:
        super().__init__(
            message, hint="`veladdon registry list` shows them; `veladdon registry add` adds one"
        )


class AddonNotFoundError(VeladdonError):
    """No registry (of those asked) has the addon (exit 1): upstream's `addon not exist`."""


class VersionUnavailableError(VeladdonError):
    """`--version` asks for something a registry cannot honour (exit 1, as a version it lacks), never
    silently ignored."""


@dataclass(frozen=True)
class HelmSource(Jsonable):
    url: str
    insecure_skip_tls: bool = field(default=False, metadata=json_field("insecureSkipTLS", omitempty=True))
    username: str = field(default="", metadata=json_field(omitempty=True))
    password: str = field(default="", metadata=json_field(omitempty=True))
    ca_file: str = field(default="", metadata=json_field(omitempty=True))  # veladdon extension (`caFile`)


@dataclass(frozen=True)
class GitSource(Jsonable):
    """`git` and `gitee` share this shape; `gitlab` adds `repo` (written by RegistrySpec)."""

    url: str
    path: str = field(default="", metadata=json_field(omitempty=True))
    token: str = field(default="", metadata=json_field(omitempty=True))
    token_secret_ref: str = field(default="", metadata=json_field(omitempty=True))
    repo: str = field(default="", metadata=json_field(skip=True))


@dataclass(frozen=True)
class OssSource(Jsonable):
    end_point: str = field(metadata=json_field("end_point"))
    bucket: str = ""
    path: str = ""


@dataclass(frozen=True)
class LocalSource(Jsonable):
    path: str


Source = HelmSource | GitSource | OssSource | LocalSource


@dataclass(frozen=True)
class RegistrySpec:
    """One registry: a name and exactly one source. `kind` is the upstream type (`helm`, `git`, …)."""

    name: str
    kind: str
    source: Source

    @classmethod
    def helm(
        cls,
        name: str,
        url: str,
        *,
        username: str = "",
        password: str = "",
        insecure_skip_tls: bool = False,
        ca_file: str = "",
    ) -> RegistrySpec:
        return cls(name, "helm", HelmSource(url, insecure_skip_tls, username, password, ca_file))

    @classmethod
    def local(cls, name: str, path: str | Path) -> RegistrySpec:
        return cls(name, "local", LocalSource(str(path)))

    @property
    def url(self) -> str:
        """What `registry list` shows as URL (upstream §9.2)."""
        src = self.source
        if isinstance(src, HelmSource):
            return src.url
        if isinstance(src, LocalSource):
            return src.path
        if isinstance(src, OssSource):
            if not src.bucket:
                return src.end_point
            parts = urlsplit(src.end_point if "://" in src.end_point else f"https://{src.end_point}")
            return f"{parts.scheme or 'https'}://{src.bucket}.{parts.hostname}"
        if self.kind in ("git", "gitee"):
            return f"{src.url}/tree/master/{src.path}"
        return src.url

    @classmethod
    def from_json(cls, data: Mapping[str, Any], name: str | None = None) -> RegistrySpec:
        """Decode one registry of the ConfigMap's `registries` object; InputError when malformed."""
        reg_name = str(data.get("name") or name or "")
        if not reg_name:
            raise InputError("a registry without a name", hint="every registry needs `name`")
        present = [k for k in SOURCE_KINDS if isinstance(data.get(k), Mapping)]
        if len(present) != 1:
            raise InputError(
                f"registry {reg_name} must have exactly one source ({', '.join(SOURCE_KINDS)}), "
                f"found {len(present)}"
            )
        kind = present[0]
        body: Mapping[str, Any] = data[kind]

        def text(key: str) -> str:
            value = body.get(key)
            return "" if value is None else str(value)

        source: Source
        if kind == "helm":
            if not text("url"):
                raise InputError(f"registry {reg_name}: helm.url is empty")
            source = HelmSource(
                text("url"),
                body.get("insecureSkipTLS") is True,
                text("username"),
                text("password"),
                text("caFile"),
            )
        elif kind == "local":
            if not text("path"):
                raise InputError(f"registry {reg_name}: local.path is empty")
            source = LocalSource(text("path"))
        elif kind == "oss":
            source = OssSource(text("end_point"), text("bucket"), text("path"))
        else:
            source = GitSource(text("url"), text("path"), text("token"), text("tokenSecretRef"), text("repo"))
        return cls(reg_name, kind, source)

    def to_json(self) -> dict[str, Any]:
        """Upstream's JSON (Go field names, omitempty: the sources' own `to_json`), under a key named
        after the kind; `oss` keys are always written, and `repo` only for gitlab, as upstream."""
        body = self.source.to_json()
        if isinstance(self.source, GitSource) and self.kind == "gitlab":
            body["repo"] = self.source.repo
        return {"name": self.name, self.kind: body}


@dataclass(frozen=True)
class ClusterVersions:
    """What the cluster runs, for choosing a version whose `system` requirements suit it. Either may be
    None (unknown): that requirement is then not used to choose. `v` prefixes are accepted."""

    vela: str | None = None
    kubernetes: str | None = None


@dataclass(frozen=True)
class AvailableAddon:
    """One addon a registry offers (upstream's UI data): the fields of its highest version, and every
    version highest first, as stored."""

    name: str
    registry: str
    version: str
    description: str = ""
    icon: str = ""
    tags: tuple[str, ...] = ()
    versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegistryWarning:
    """A registry skipped because it failed; the others still served."""

    registry: str
    reason: str

    def __str__(self) -> str:
        return f"registry {self.registry}: {self.reason}"


@dataclass(frozen=True)
class ResolvedAddon:
    """An addon fetched from a registry and unpacked into `path` (a folder `load_addon` reads).

    `system` holds the requirements `enable` must check: for Helm registries ONLY the index
    annotations of the chosen version (upstream §9.4), for folders the metadata's. `reason` says in one
    line why this version was chosen; `suits_cluster` is False when cluster versions were given and no
    version met them (the enable's requirement check will then fail, as upstream's would)."""

    name: str
    version: str
    registry: str
    path: Path
    system: SystemRequirements | None = None
    versions: tuple[str, ...] = ()
    reason: str = ""
    suits_cluster: bool = True
    digest: str = ""
    warnings: tuple[RegistryWarning, ...] = field(default=(), compare=False)


__all__ = [
    "AddonNotFoundError",
    "AvailableAddon",
    "ClusterVersions",
    "GitSource",
    "HelmSource",
    "LocalSource",
    "OssSource",
    "RegistryError",
    "RegistryNotConfigured",
    "RegistrySpec",
    "RegistryWarning",
    "ResolvedAddon",
    "Source",
    "VersionUnavailableError",
]

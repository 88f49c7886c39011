"""The addon as read from disk: immutable, evaluation-free, Kubernetes-free."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SYSTEM_NAMESPACE_DEFAULT = "vela-system"


def system_namespace() -> str:
    """KubeVela's system namespace: $KUBEVELA_SYSTEM_NAMESPACE, else legacy $DEFAULT_VELA_NS."""
    return (
        os.environ.get("KUBEVELA_SYSTEM_NAMESPACE")
        or os.environ.get("DEFAULT_VELA_NS")
        or SYSTEM_NAMESPACE_DEFAULT
    )


@dataclass(frozen=True)
class SourceFile:
    """One file of the addon: `rel` is its POSIX path relative to the addon folder."""

    path: Path
    rel: str
    text: str

    @property
    def stem(self) -> str:
        return self.path.name.split(".", 1)[0]


@dataclass(frozen=True)
class Dependency:
    name: str
    version: str = ""


@dataclass(frozen=True)
class SystemRequirements:
    vela: str = ""
    kubernetes: str = ""


@dataclass(frozen=True)
class DeployTo:
    runtime_cluster: bool = False
    legacy_runtime_cluster: bool = False
    disable_control_plane: bool = False

    @property
    def to_runtime_clusters(self) -> bool:
        return self.runtime_cluster or self.legacy_runtime_cluster


@dataclass(frozen=True)
class Metadata:
    """`metadata.yaml` (upstream §2.2). `lines` maps each top-level key to its line for error reports."""

    name: str
    version: str
    description: str = ""
    icon: str = ""
    url: str = ""
    tags: tuple[str, ...] = ()
    ux_plugins: Mapping[str, str] = field(default_factory=dict)
    deploy_to: DeployTo | None = None
    dependencies: tuple[Dependency, ...] = ()
    need_namespace: tuple[str, ...] = ()
    invisible: bool = False
    system: SystemRequirements | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)
    unknown_keys: tuple[str, ...] = ()
    lines: Mapping[str, int] = field(default_factory=dict)

    def context_json(self) -> dict[str, Any]:
        """The metadata as KubeVela serialises it into `context.metadata` (Go JSON names, omitempty)."""
        data: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "icon": self.icon,
            "invisible": self.invisible,
        }
        if self.url:
            data["url"] = self.url
        if self.tags:
            data["tags"] = list(self.tags)
        if self.ux_plugins:
            data["uxPlugins"] = dict(self.ux_plugins)
        if self.deploy_to is not None:
            data["deployTo"] = {
                "disableControlPlane": self.deploy_to.disable_control_plane,
                "runtimeCluster": self.deploy_to.runtime_cluster,
                "runtime_cluster": self.deploy_to.legacy_runtime_cluster,
            }
        if self.dependencies:
            data["dependencies"] = [
                {"name": d.name, **({"version": d.version} if d.version else {})} for d in self.dependencies
            ]
        if self.need_namespace:
            data["needNamespace"] = list(self.need_namespace)
        if self.system is not None and (self.system.vela or self.system.kubernetes):
            system = {}
            if self.system.vela:
                system["vela"] = self.system.vela
            if self.system.kubernetes:
                system["kubernetes"] = self.system.kubernetes
            data["system"] = system
        if self.annotations:
            data["annotations"] = dict(self.annotations)
        return data


@dataclass(frozen=True)
class Addon:
    """Every file of an addon folder, classified as `vela addon` classifies them (upstream §2.1)."""

    root: Path
    metadata: Metadata
    metadata_file: SourceFile
    parameter: SourceFile | None = None
    legacy_parameter: SourceFile | None = None
    template_cue: SourceFile | None = None
    template_yaml: SourceFile | None = None
    cue_resources: tuple[SourceFile, ...] = ()
    yaml_resources: tuple[SourceFile, ...] = ()
    cue_definitions: tuple[SourceFile, ...] = ()
    yaml_definitions: tuple[SourceFile, ...] = ()
    schemas: tuple[SourceFile, ...] = ()
    cue_views: tuple[SourceFile, ...] = ()
    yaml_views: tuple[SourceFile, ...] = ()
    config_templates: tuple[SourceFile, ...] = ()
    notes: SourceFile | None = None
    readme: SourceFile | None = None
    ignored: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def uses_cue(self) -> bool:
        """Whether rendering this addon needs the CUE evaluator at all."""
        return bool(
            self.template_cue or self.cue_resources or self.cue_definitions or self.cue_views or self.notes
        )

    @property
    def parameter_file(self) -> SourceFile | None:
        """Root `parameter.cue` wins over the legacy `resources/parameter.cue` (upstream §2.3)."""
        return self.parameter or self.legacy_parameter

    def files(self) -> tuple[SourceFile, ...]:
        """Every file the loader read, in a stable order."""
        singles = [
            self.metadata_file,
            self.parameter,
            self.legacy_parameter,
            self.template_cue,
            self.template_yaml,
            self.notes,
            self.readme,
        ]
        groups = (
            self.cue_resources,
            self.yaml_resources,
            self.cue_definitions,
            self.yaml_definitions,
            self.schemas,
            self.cue_views,
            self.yaml_views,
            self.config_templates,
        )
        out = [f for f in singles if f is not None]
        for group in groups:
            out.extend(group)
        return tuple(out)

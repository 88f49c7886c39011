"""Read an addon folder into the `Addon` model, classifying files as `vela addon` does (upstream §2.1).

One deliberate difference: files are matched by exact name and folder, not by string prefix, so
`metadata.yaml.bak` is not read as metadata and `resources-extra/` is not a resource folder
(upstream's prefix matching is documented as a quirk; docs/differences.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from veladdon.addon.model import (
    Addon,
    Dependency,
    DeployTo,
    Metadata,
    SourceFile,
    SystemRequirements,
)
from veladdon.addon.versions import is_semver
from veladdon.addon.yamlutil import YamlError, load_yaml_with_lines
from veladdon.errors import InputError

_KNOWN_KEYS = {
    "name": "name",
    "version": "version",
    "description": "description",
    "icon": "icon",
    "url": "url",
    "tags": "tags",
    "uxplugins": "uxPlugins",
    "deployto": "deployTo",
    "dependencies": "dependencies",
    "neednamespace": "needNamespace",
    "invisible": "invisible",
    "system": "system",
    "annotations": "annotations",
}


def addon_folder(path: str | Path) -> Path:
    """`path`, checked to be a folder: the one InputError every command gives for an addon folder that
    does not exist or is a file (render, lint, params, package, enable…)."""
    root = Path(path)
    if not root.exists():
        raise InputError(f"addon folder {path} does not exist", hint="check the path")
    if not root.is_dir():
        raise InputError(f"{path} is not a folder", hint="give the addon's folder, not a file inside it")
    return root


def load_addon(path: str | Path) -> Addon:
    """Load the addon folder at `path`; raises InputError naming the file (and line) on bad input."""
    root = addon_folder(path).resolve()
    meta_path = root / "metadata.yaml"
    if not meta_path.is_file():
        raise InputError(
            f"no metadata.yaml in {path}",
            path=root,
            hint="an addon folder needs a metadata.yaml (`veladdon init NAME` creates one)",
        )

    buckets: dict[str, list[SourceFile]] = {
        k: []
        for k in (
            "cue_resources",
            "yaml_resources",
            "cue_definitions",
            "yaml_definitions",
            "schemas",
            "cue_views",
            "yaml_views",
            "config_templates",
        )
    }
    singles: dict[str, SourceFile] = {}
    ignored: list[str] = []
    warnings: list[str] = []

    for file in _walk(root):
        rel = file.relative_to(root).as_posix()
        role = classify(rel)
        if role is None:
            ignored.append(rel)
            continue
        source = SourceFile(file, rel, _read_text(file, rel))
        if role in buckets:
            buckets[role].append(source)
        else:
            singles[role] = source

    readme = singles.get("readme") or singles.get("readme_lower")
    meta_file = singles["metadata"]
    metadata = parse_metadata(meta_file)
    if "parameter" in singles and "legacy_parameter" in singles:
        warnings.append(
            "both legacy parameter and global parameter are provided, but only global parameter will be "
            "used. Consider removing the legacy parameters."
        )
    if (semver := version_warning(metadata, meta_file)) is not None:
        warnings.append(semver)
    if any(rel.startswith("godef/") for rel in ignored):
        warnings.append("godef/ (Go-based definitions) is not supported by veladdon and was ignored")

    return Addon(
        root=root,
        metadata=metadata,
        metadata_file=meta_file,
        parameter=singles.get("parameter"),
        legacy_parameter=singles.get("legacy_parameter"),
        template_cue=singles.get("template_cue"),
        template_yaml=singles.get("template_yaml"),
        notes=singles.get("notes"),
        readme=readme,
        ignored=tuple(ignored),
        warnings=tuple(warnings),
        **{k: tuple(v) for k, v in buckets.items()},
    )


def classify(rel: str) -> str | None:
    """The role of a file by its path relative to the addon folder, or None if the loader ignores it."""
    top, _, rest = rel.partition("/")
    suffix = Path(rel).suffix
    if not rest:
        return {
            "metadata.yaml": "metadata",
            "README.md": "readme",
            "readme.md": "readme_lower",
            "template.yaml": "template_yaml",
            "template.cue": "template_cue",
            "parameter.cue": "parameter",
            "NOTES.cue": "notes",
        }.get(top)
    if top == "resources":
        if rel == "resources/parameter.cue":
            return "legacy_parameter"
        if Path(rel).name == "parameter.cue":
            return None
        if suffix == ".cue":
            return "cue_resources"
        return "yaml_resources" if suffix in (".yaml", ".yml") else None
    if top == "definitions":
        if suffix == ".cue":
            return "cue_definitions"
        return "yaml_definitions" if suffix in (".yaml", ".yml") else None
    if top == "schemas":
        return "schemas"
    if top == "views":
        if suffix == ".cue":
            return "cue_views"
        return "yaml_views" if suffix in (".yaml", ".yml") else None
    if top == "config-templates":
        return "config_templates" if suffix == ".cue" else None
    return None


def _walk(root: Path) -> list[Path]:
    """Files depth-first, each folder's entries in lexicographic order; hidden entries skipped."""
    out: list[Path] = []
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            out.extend(_walk(entry))
        elif entry.is_file():
            out.append(entry)
    return out


def _read_text(path: Path, rel: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{rel} is not UTF-8 text ({exc.reason})", path=path) from exc
    except OSError as exc:
        raise InputError(f"cannot read {rel}: {exc.strerror}", path=path) from exc


LABEL_VALUE = re.compile(r"^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


def version_warning(metadata: Metadata, source: SourceFile) -> str | None:
    """The warning for a version that is not semver: upstream installs it (a local enable needs only a
    version), but registries cannot order it and `package` refuses it (a Helm chart needs SemVer 2)."""
    if is_semver(metadata.version):
        return None
    line = metadata.lines.get("version")
    where = f"{source.path}:{line}" if line else str(source.path)
    return (
        f"{where}: version {metadata.version!r} is not a semantic version: render and enable accept it, "
        "but registries cannot order it and `veladdon package` refuses it; use e.g. 1.0.0"
    )


def parse_metadata(source: SourceFile) -> Metadata:
    """Decode metadata.yaml with Go-JSON semantics (case-insensitive keys, unknown keys kept aside)."""
    try:
        data, lines = load_yaml_with_lines(source.text)
    except YamlError as exc:
        raise InputError(
            f"invalid YAML: {exc.problem}", path=source.path, line=exc.line, col=exc.col
        ) from exc
    if data is None:
        raise InputError("metadata.yaml is empty", path=source.path, hint="set at least name and version")
    if not isinstance(data, dict):
        raise InputError(
            f"metadata.yaml must be a mapping, found {type(data).__name__}", path=source.path, line=1
        )

    canonical: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    unknown: list[str] = []
    for key, value in data.items():
        norm = _KNOWN_KEYS.get(str(key).lower())
        if norm is None:
            unknown.append(str(key))
            key_lines[str(key)] = lines.get(str(key), 1)
            continue
        canonical[norm] = value
        key_lines[norm] = lines.get(str(key), 1)

    def err(key: str, what: str) -> InputError:
        return InputError(f"metadata.yaml: `{key}` {what}", path=source.path, line=key_lines.get(key))

    def string(key: str) -> str:
        value = canonical.get(key)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise err(key, f"must be a string, found {type(value).__name__}")
        return str(value)

    def string_list(key: str) -> tuple[str, ...]:
        value = canonical.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise err(key, "must be a list of strings")
        return tuple(value)

    def string_map(key: str) -> Mapping[str, str]:
        value = canonical.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise err(key, "must be a mapping of strings")
        return {str(k): "" if v is None else str(v) for k, v in value.items()}

    name = string("name")
    version = string("version")
    if not name:
        raise InputError(
            "metadata.yaml must define the name of the addon", path=source.path, line=key_lines.get("name")
        )
    if not version:
        raise InputError(
            "metadata.yaml must define the version of the addon",
            path=source.path,
            line=key_lines.get("version"),
        )
    # pkg/addon/utils.go: validateAddonPackage only requires a version; it becomes the value of the
    # `addons.oam.dev/version` label, so one the API server refuses as a label value fails the enable.
    if not LABEL_VALUE.match(version):
        raise err(
            "version",
            f"{version!r} cannot be a Kubernetes label value (at most 63 letters, digits, '-', '_' or "
            "'.', starting and ending with a letter or digit), and enable sets it as the "
            "addons.oam.dev/version label; use a semantic version such as 1.0.0",
        )

    deploy_to = None
    raw_deploy = canonical.get("deployTo")
    if raw_deploy is not None:
        if not isinstance(raw_deploy, dict):
            raise err("deployTo", "must be a mapping")
        lowered = {str(k).lower(): v for k, v in raw_deploy.items()}
        deploy_to = DeployTo(
            runtime_cluster=lowered.get("runtimecluster") is True,
            legacy_runtime_cluster=lowered.get("runtime_cluster") is True,
            disable_control_plane=lowered.get("disablecontrolplane") is True,
        )

    deps: list[Dependency] = []
    raw_deps = canonical.get("dependencies") or []
    if not isinstance(raw_deps, list):
        raise err("dependencies", "must be a list of {name, version}")
    for dep in raw_deps:
        if not isinstance(dep, dict):
            raise err("dependencies", "entries must be mappings with `name` (and optional `version`)")
        lowered = {str(k).lower(): v for k, v in dep.items()}
        deps.append(Dependency(str(lowered.get("name") or ""), str(lowered.get("version") or "")))

    system = None
    raw_system = canonical.get("system")
    if raw_system is not None:
        if not isinstance(raw_system, dict):
            raise err("system", "must be a mapping with `vela` and/or `kubernetes`")
        lowered = {str(k).lower(): v for k, v in raw_system.items()}
        system = SystemRequirements(str(lowered.get("vela") or ""), str(lowered.get("kubernetes") or ""))

    invisible = canonical.get("invisible", False)
    if not isinstance(invisible, bool):
        raise err("invisible", "must be true or false")

    return Metadata(
        name=name,
        version=version,
        description=string("description"),
        icon=string("icon"),
        url=string("url"),
        tags=string_list("tags"),
        ux_plugins=string_map("uxPlugins"),
        deploy_to=deploy_to,
        dependencies=tuple(deps),
        need_namespace=string_list("needNamespace"),
        invisible=invisible,
        system=system,
        annotations=string_map("annotations"),
        unknown_keys=tuple(unknown),
        lines=key_lines,
    )


__all__ = ["classify", "load_addon", "parse_metadata"]

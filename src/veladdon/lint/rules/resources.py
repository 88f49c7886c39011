"""Resource rules: the YAML resources and `outputs` are Kubernetes objects that the API server accepts.

Built-in kinds are validated offline against the Kubernetes OpenAPI schemas shipped by the
`kubernetes-validate` package (strict variant: unknown fields are reported too, as RS03). The schema
version is `--kube-version`, else the lowest packaged version that `system.kubernetes` admits (what
the addon promises to support), else the newest packaged one.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import yaml

from veladdon.addon.model import SourceFile
from veladdon.addon.versions import Version, VersionError, check_semver, parse_version
from veladdon.errors import InputError
from veladdon.lint.context import LintContext
from veladdon.lint.model import Severity
from veladdon.lint.positions import locate_field
from veladdon.lint.ruleset import check, define
from veladdon.wire import LABEL_AUX

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

RS01 = define(
    "RS01",
    "resources.object",
    Severity.ERROR,
    "Each resources/*.yaml file holds one Kubernetes object with apiVersion, kind and metadata.name",
    """`vela addon` decodes only the first YAML document of a resource file — further documents are
    silently dropped — and needs a `kind`; applying needs `apiVersion` and `metadata.name` as well. Put
    each object in its own file.""",
    area="Resources",
    needs=("addon",),
)
RS02 = define(
    "RS02",
    "resources.schema",
    Severity.ERROR,
    "Built-in Kubernetes kinds validate against the Kubernetes OpenAPI schema",
    """Objects of built-in kinds (core, apps, batch, rbac, networking, apiextensions, ...) in resources/
    and in `outputs` are validated offline against the schema of the Kubernetes version from
    `--kube-version`, else the lowest version `system.kubernetes` admits, else the newest known; wrong
    types and missing required fields would otherwise only show when the addon is enabled. Custom
    resources are not checked.""",
    area="Resources",
    needs=("addon",),
)
RS03 = define(
    "RS03",
    "resources.unknown-field",
    Severity.WARNING,
    "Built-in Kubernetes kinds have no unknown fields",
    """The API server drops fields it does not know (or rejects them with strict field validation), so
    a misspelt `replica:` or a field at the wrong level silently has no effect.""",
    area="Resources",
    needs=("addon",),
)
RS04 = define(
    "RS04",
    "resources.topology-rules",
    Severity.ERROR,
    "Topology-rule ConfigMaps (rules.oam.dev/resources) hold valid rules",
    """A ConfigMap labelled `rules.oam.dev/resources: "true"` teaches KubeVela's resource topology which
    children belong to a parent kind. Its `data.rules` must parse (JSON when labelled
    `rules.oam.dev/resource-format: json`, else YAML) into a list of
    `{parentResourceType: {group, kind}, childrenResourceType: [{apiVersion, kind}]}`; a broken one makes
    the topology view silently empty.""",
    area="Resources",
    needs=("addon",),
)

try:  # libyaml's loader where PyYAML has it: resource files can be large CRDs
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

TOPOLOGY_LABEL = "rules.oam.dev/resources"
FORMAT_LABEL = "rules.oam.dev/resource-format"
MAX_SCHEMA_ERRORS = 20


@dataclass(frozen=True)
class ObjectSource:
    """An object to check and where it came from: a YAML document with its node (for line numbers), or
    a rendered `outputs` value located by text."""

    obj: Any
    source: SourceFile | None
    node: yaml.Node | None
    line: int | None
    col: int | None
    label: str


# --- Kubernetes schemas ------------------------------------------------------------------------------

_lock = threading.RLock()


def available_versions() -> list[Version]:
    from kubernetes_validate.utils import all_versions  # type: ignore[import-untyped]

    return sorted(parse_version(v) for v in all_versions())


def _packaged_schema(version: str, api_version: str = "", kind: str = "") -> Traversable:
    """The packaged strict schema of `kind` in `api_version` for Kubernetes `version` (`1.30.0`), or
    without a kind the definitions every schema refers to.

    The one place that knows kubernetes-validate's file layout, which is no public API: its public
    `validate()` re-reads the 1.8 MB definitions on every call and stops at the first error, while
    RS02/RS03 report every error of an object, from validators built once (docs/architecture.md)."""
    from importlib.resources import files

    folder = files("kubernetes_validate").joinpath("kubernetes-json-schema", f"v{version}-local-strict")
    if not kind:
        return folder.joinpath("_definitions.json")
    # `rbac.authorization.k8s.io/v1` -> `rbac-v1`, as kubernetes-validate names its files
    name = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return folder.joinpath(f"{kind.lower()}-{name}.json")


def schema_version(kube_version: str | None, constraint: str) -> str:
    """The packaged schema version (`1.30.0`) to validate with, per the module docstring."""
    versions = available_versions()
    if kube_version:
        try:
            wanted = parse_version(kube_version.removeprefix("v"))
        except VersionError as exc:
            raise InputError(f"--kube-version: {exc.message}", hint="e.g. --kube-version 1.30") from None
        key = (wanted.major, wanted.minor)
        older = [v for v in versions if (v.major, v.minor) <= key]
        return str(older[-1] if older else versions[0])
    if constraint:
        for version in versions:
            try:
                if check_semver(str(version), constraint):
                    return str(version)
            except VersionError:
                break  # MD04 reports it
    return str(versions[-1])


@lru_cache(maxsize=8)
def _registry(version: str) -> Any:
    from referencing import Registry, Resource

    defs = json.loads(_packaged_schema(version).read_text(encoding="utf-8"))
    return Registry().with_resource(str(defs.get("$id", "")), Resource.from_contents(defs))


@lru_cache(maxsize=512)
def _validator(version: str, api_version: str, kind: str) -> Any:
    """A cached strict validator for a built-in kind, or None for kinds without a packaged schema."""
    import jsonschema

    group = api_version.rpartition("/")[0]
    if group and "." in group and not group.endswith(".k8s.io"):
        return None  # a custom resource (the file naming would confuse `apps.example.com` with `apps`)
    path = _packaged_schema(version, api_version, kind)
    if not path.is_file():
        return None
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, registry=_registry(version))


def schema_errors(obj: dict[str, Any], version: str) -> Iterator[tuple[list[str | int], str, bool, str]]:
    """(path, message, is_unknown_field, first unknown key) for each schema violation of a built-in kind."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return
    with _lock:
        validator = _validator(version, api_version, kind)
    if validator is None:
        return
    errors = sorted(validator.iter_errors(obj), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors[:MAX_SCHEMA_ERRORS]:
        path = list(error.absolute_path)
        if error.validator == "additionalProperties":
            extra = re.findall(r"'([^']+)' (?:was|were) unexpected", error.message)
            names = extra or re.findall(r"'([^']+)'", error.message.split("(")[-1])
            fields = ", ".join(repr(n) for n in names) or error.message
            yield path, f"unknown field {fields}", True, names[0] if names else ""
        else:
            yield path, error.message, False, ""


# --- positions in YAML -------------------------------------------------------------------------------


def node_at(node: yaml.Node | None, path: list[str | int]) -> yaml.Node | None:
    """The deepest node of `node` along `path` (a key's node for mappings, so the line shows the key)."""
    current = node
    found = node
    for part in path:
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    found, current = key, value
                    break
            else:
                return found
        elif isinstance(current, yaml.SequenceNode) and isinstance(part, int) and part < len(current.value):
            current = current.value[part]
            found = current
        else:
            return found
    return found


def _path_text(path: list[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


# --- collecting objects ------------------------------------------------------------------------------


def yaml_objects(ctx: LintContext) -> list[ObjectSource]:
    """The first document of each YAML resource (RS01 reports the rest), with its node."""
    assert ctx.addon is not None
    out: list[ObjectSource] = []
    for source in ctx.addon.yaml_resources:
        try:
            nodes = [n for n in yaml.compose_all(source.text, Loader=_Loader) if n is not None]
            docs = [d for d in yaml.load_all(source.text, Loader=_Loader) if d is not None]
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            ctx.report(
                "RS01", f"invalid YAML: {problem}", source, mark.line + 1 if mark else 1,
                mark.column + 1 if mark else None,
            )  # fmt: skip
            continue
        if not docs:
            ctx.report("RS01", f"{source.rel} is empty; vela addon needs one object per file", source, 1)
            continue
        if len(nodes) > 1:
            extra = nodes[1].start_mark
            ctx.report(
                "RS01",
                f"{source.rel} holds {len(nodes)} YAML documents but vela addon reads only the first; "
                "put each object in its own file",
                source,
                extra.line + 1,
                1,
            )
        first = nodes[0]
        out.append(ObjectSource(docs[0], source, first, first.start_mark.line + 1, 1, source.rel))
    return out


def output_objects(ctx: LintContext) -> list[ObjectSource]:
    """`outputs` of the render with default parameters, located by their key in the template."""
    outcome = ctx.render()
    if outcome.result is None or ctx.addon is None:
        return []
    out = []
    for obj in outcome.result.outputs:
        key = obj.get("metadata", {}).get("labels", {}).get(LABEL_AUX, "")
        found = locate_field(
            [ctx.addon.template_cue, *ctx.addon.cue_resources], ("outputs", key), ("outputs",)
        )
        source, line, col = found if found else (ctx.addon.template_cue, 1, None)
        out.append(ObjectSource(obj, source, None, line, col, f"outputs.{key}"))
    return out


@check(RS01, RS02, RS03, RS04)
def resources(ctx: LintContext) -> None:
    if ctx.addon is None:
        return
    objects = yaml_objects(ctx)
    for item in objects:
        obj = item.obj
        if not isinstance(obj, dict):
            ctx.report(
                "RS01", f"{item.label} is not a Kubernetes object (a mapping)", item.source, item.line, 1
            )
            continue
        missing = [f for f in ("apiVersion", "kind") if not obj.get(f)]
        meta = obj.get("metadata")
        if not isinstance(meta, dict) or not meta.get("name"):
            missing.append("metadata.name")
        if missing:
            ctx.report("RS01", f"{item.label} has no {', '.join(missing)}", item.source, item.line, 1)
    needs_render = ctx.addon.template_cue is not None and any(ctx.active(r) for r in ("RS02", "RS03", "RS04"))
    if needs_render:
        objects += output_objects(ctx)
    if ctx.active("RS02") or ctx.active("RS03"):
        constraint = ctx.addon.metadata.system.kubernetes if ctx.addon.metadata.system else ""
        version = schema_version(ctx.options.kube_version, constraint)
        for item in objects:
            if isinstance(item.obj, dict):
                _validate(ctx, item, version)
    for item in objects:
        if isinstance(item.obj, dict):
            _topology(ctx, item)


def _validate(ctx: LintContext, item: ObjectSource, version: str) -> None:
    obj = item.obj
    short = ".".join(version.split(".")[:2])
    for path, message, unknown, key in schema_errors(obj, version):
        where: list[str | int] = [*path, key] if key else path
        node = node_at(item.node, where) if item.node is not None else None
        line = node.start_mark.line + 1 if node is not None else item.line
        col = node.start_mark.column + 1 if node is not None else item.col
        what = f"{obj.get('kind')} {obj.get('metadata', {}).get('name', '')!s}".strip()
        if unknown:
            ctx.report(
                "RS03", f"{what}: {_path_text(path)}: {message} (Kubernetes {short})", item.source, line, col
            )
        else:
            ctx.report(
                "RS02", f"{what}: {_path_text(path)}: {message} (Kubernetes {short})", item.source, line, col
            )


def _topology(ctx: LintContext, item: ObjectSource) -> None:
    obj = item.obj
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    labels = (meta or {}).get("labels") or {}
    if obj.get("kind") != "ConfigMap" or str(labels.get(TOPOLOGY_LABEL, "")).lower() != "true":
        return
    data = obj.get("data") or {}
    rules = data.get("rules") if isinstance(data, dict) else None
    name = (meta or {}).get("name", "")
    node = node_at(item.node, ["data", "rules"]) if item.node is not None else None
    line = node.start_mark.line + 1 if node is not None else item.line
    if not isinstance(rules, str) or not rules.strip():
        ctx.report("RS04", f"topology ConfigMap {name!r} has no data.rules", item.source, line, 1)
        return
    fmt = str(labels.get(FORMAT_LABEL, "yaml")).lower()
    try:
        parsed = json.loads(rules) if fmt == "json" else yaml.safe_load(rules)
    except (ValueError, yaml.YAMLError) as exc:
        ctx.report(
            "RS04",
            f"topology ConfigMap {name!r}: data.rules is not valid {fmt.upper()}: {exc}",
            item.source,
            line,
            1,
        )
        return
    for problem in topology_problems(parsed):
        ctx.report("RS04", f"topology ConfigMap {name!r}: {problem}", item.source, line, 1)


def topology_problems(rules: Any) -> list[str]:
    """What is wrong with parsed topology rules (KubeVela's `customRule` list), if anything."""
    if not isinstance(rules, list):
        return ["data.rules must be a list of rules"]
    problems = []
    for index, rule in enumerate(rules):
        where = f"rule #{index + 1}"
        if not isinstance(rule, dict):
            problems.append(f"{where} is not an object")
            continue
        parent = rule.get("parentResourceType")
        if not isinstance(parent, dict) or not parent.get("kind"):
            problems.append(f"{where} has no parentResourceType.kind")
        elif not isinstance(parent.get("group", ""), str):
            problems.append(f"{where}: parentResourceType.group must be a string")
        children = rule.get("childrenResourceType")
        if not isinstance(children, list) or not children:
            problems.append(f"{where} has no childrenResourceType list")
            continue
        for cindex, child in enumerate(children):
            if not isinstance(child, dict) or not child.get("apiVersion") or not child.get("kind"):
                problems.append(f"{where}: childrenResourceType #{cindex + 1} needs apiVersion and kind")
    return problems

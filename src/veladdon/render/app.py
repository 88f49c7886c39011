"""Addon + parameters → the Application and its `outputs` (upstream §5.1–§5.7). Pure and offline.

All CUE of one render is evaluated in ONE evaluator round trip: the template package (template.cue,
parameter.cue, the generated context file and every resource file of the same package) plus each
stand-alone CUE component, whose declarations are nested under a hidden key in the same instance
(as upstream nests them), exported together with one `-e` per value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from veladdon.addon.model import Addon, SourceFile
from veladdon.cue.evaluator import CueError, CueFile, Evaluator
from veladdon.cue.source import (
    CueSyntaxError,
    declared_fields,
    declares,
    field_position,
    fields_named,
    read_header,
    with_package,
)
from veladdon.errors import InputError
from veladdon.render.files import ObjectError, nested, object_problem, parse_object, syntax_error
from veladdon.render.parameter_errors import explain_parameter_error
from veladdon.wire import APP_API_VERSION, LABEL_AUX, LABEL_NAME, LABEL_REGISTRY, LABEL_VERSION

CONTEXT_FILE = "_veladdon/context.cue"
INSTALLER_OPTION = "installerRuntimeOption"


@dataclass(frozen=True)
class RenderOptions:
    """What a render depends on besides the addon: the user's values and the system namespace."""

    args: Mapping[str, Any] = field(default_factory=dict)
    system_namespace: str = "vela-system"
    registry: str | None = None  # the `addons.oam.dev/registry` label (`local` for folders)
    upgrade: bool = False  # context.installer.upgrade for NOTES.cue


@dataclass(frozen=True)
class RenderResult:
    """Everything `vela addon enable` would create, in its apply order (upstream §5.14, §6.8)."""

    application: dict[str, Any]
    outputs: tuple[dict[str, Any], ...] = ()
    yaml_definitions: tuple[dict[str, Any], ...] = ()
    cue_definitions: tuple[dict[str, Any], ...] = ()
    config_templates: tuple[dict[str, Any], ...] = ()
    schemas: tuple[dict[str, Any], ...] = ()
    views: tuple[dict[str, Any], ...] = ()
    secret: dict[str, Any] | None = None
    warnings: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()  # objects left out by the bind-component filter, and why
    unchecked: tuple[str, ...] = ()  # files whose CUE could not be compiled offline (vela/* imports)
    retyped: str | None = None  # the warning when the template names another apiVersion/kind

    def auxiliary(self) -> list[dict[str, Any]]:
        """The objects applied after the Application, owned by it, in upstream's order."""
        return [
            *self.outputs,
            *self.yaml_definitions,
            *self.cue_definitions,
            *self.config_templates,
            *self.schemas,
            *self.views,
        ]

    def definitions(self) -> list[dict[str, Any]]:
        return [*self.yaml_definitions, *self.cue_definitions]

    def objects(self, *, include_secret: bool = False) -> list[dict[str, Any]]:
        """Everything `enable` applies, in order: the Application first, the Secret last."""
        objects = [self.application, *self.auxiliary()]
        if include_secret and self.secret is not None:
            objects.append(self.secret)
        return objects


@dataclass
class _Evaluation:
    files: list[CueFile]
    expressions: list[str]
    standalone: list[SourceFile]


def user_args(args: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters as rendered and stored: without the installer's runtime option."""
    return {k: v for k, v in args.items() if k != INSTALLER_OPTION}


def context_file(
    addon: Addon, args: Mapping[str, Any], package: str, *, upgrade: bool | None = None
) -> CueFile:
    """`context: {metadata}` (+ `installer` for NOTES) and `parameter: <values>` (upstream §5.1)."""
    context: dict[str, Any] = {"metadata": addon.metadata.context_json()}
    if upgrade is not None:
        context["installer"] = {"upgrade": upgrade}
    text = (
        f"package {package}\n"
        f"context: {json.dumps(context, sort_keys=True)}\n"
        f"parameter: {json.dumps(user_args(args), sort_keys=True)}\n"
    )
    return CueFile(CONTEXT_FILE, text, label="the parameter values given", role="parameter")


def parameter_cue_file(addon: Addon, package: str) -> CueFile | None:
    """parameter.cue, put in `package` without moving any line (errors keep the user's lines)."""
    source = addon.parameter_file
    if source is None:
        return None
    header = _header(source)
    if header.package is not None and header.package != package:
        raise InputError(
            f"{source.rel} declares `package {header.package}` but the template is `package {package}`, "
            "so the template cannot see the parameters",
            path=source.path,
            line=header.package_span.line if header.package_span else 1,
            hint=f"use `package {package}` in both files",
        )
    return CueFile(source.rel, with_package(source.text, package), origin=str(source.path), role="parameter")


def render_application(
    addon: Addon, options: RenderOptions | None = None, *, evaluator: Evaluator
) -> RenderResult:
    """Render the addon's Application and `outputs` objects."""
    options = options or RenderOptions()
    warnings: list[str] = list(addon.warnings)
    if addon.template_cue is not None and addon.template_yaml is not None:
        raise InputError(
            "yaml and cue app template are exist in addon, should only keep one of them",
            path=addon.template_yaml.path,
            hint="delete template.yaml or template.cue",
        )

    evaluation = _evaluation(addon, options)
    values: list[Any] = []
    if evaluation.expressions:
        try:
            values = evaluator.export(evaluation.files, evaluation.expressions)
        except CueError as exc:
            raise explain_parameter_error(exc, addon.parameter_file, evaluation.files, evaluator) from exc
    results = dict(zip(evaluation.expressions, values, strict=True))

    if addon.template_cue is not None:
        app = results["output"]
        if not isinstance(app, dict):
            raise InputError(
                "`output` must be an Application object",
                path=addon.template_cue.path,
                hint="see docs/format.md",
            )
    elif addon.template_yaml is not None:
        app = parse_object(addon.template_yaml, "template.yaml")
    else:
        app = {"apiVersion": APP_API_VERSION, "kind": "Application", "spec": {"components": []}}

    app, retyped, untyped = _as_application(app, _template_source(addon))
    warnings.extend(w for w in (retyped, untyped) if w)
    warnings.extend(undeclared_parameters(addon, options.args))
    outputs = _outputs(results.get("outputs"), addon)
    components = _standalone_components(evaluation, results)
    app = _assemble(addon, app, components, options, warnings)
    return RenderResult(application=app, outputs=tuple(outputs), warnings=tuple(warnings), retyped=retyped)


def _template_source(addon: Addon) -> SourceFile | None:
    return addon.template_cue or addon.template_yaml


def _as_application(
    app: dict[str, Any], source: SourceFile | None
) -> tuple[dict[str, Any], str | None, str | None]:
    """The template's object as the Application upstream makes of it, and a warning when the template
    names another type. pkg/addon/render.go: renderApp decodes `output` into a typed
    `v1beta1.Application` (`value.UnmarshalTo(outputContent, &app)`) and template.yaml is decoded into
    one too (addon.go: readTemplate), so the object is applied as a core.oam.dev/v1beta1 Application
    whatever `apiVersion` and `kind` say, and without them. Returns the Application, the warning for
    a template that names another type, and the one for a template that names none."""
    said = {key: app.get(key) for key in ("apiVersion", "kind") if app.get(key) is not None}
    wanted = {"apiVersion": APP_API_VERSION, "kind": "Application"}
    wrong = {key: value for key, value in said.items() if value != wanted[key]}
    body = {k: v for k, v in app.items() if k not in wanted}
    retyped = None
    if wrong and source is not None:
        key = "kind" if "kind" in wrong else "apiVersion"
        line, col = _field_position(source, ("output", key), str(wrong[key]))
        where = f"{source.path}:{line}:{col}" if line else str(source.path)
        written = " and ".join(f'{k} "{v}"' for k, v in wrong.items())
        verb = "are" if len(wrong) > 1 else "is"
        retyped = (
            f"{where}: {written} {verb} ignored: vela addon always applies the template as a "
            f'{APP_API_VERSION} Application; write apiVersion: "{APP_API_VERSION}" and '
            'kind: "Application" (or leave them out)'
        )
    missing = [key for key in wanted if key not in said]
    untyped = None
    if missing and source is not None:
        line, col = _field_position(source, ("output",))
        where = f"{source.path}:{line}:{col}" if line else str(source.path)
        what = "`output`" if source.rel.endswith(".cue") else source.rel
        untyped = (
            f"{where}: {what} has no {' and no '.join(missing)}; it is applied as a "
            f"{APP_API_VERSION} Application, as vela addon applies it; write "
            f'apiVersion: "{APP_API_VERSION}" and kind: "Application" to say so'
        )
    return {**wanted, **body}, retyped, untyped


def _field_position(
    source: SourceFile, path: tuple[str, ...], value: str = ""
) -> tuple[int | None, int | None]:
    """Where the field at `path` is declared: in a CUE file as the CUE reader finds it (else the first
    field of the path's last label whose value holds `value`); in template.yaml, whose loader keeps no
    positions, the first line writing `<last label>: <value>`, else `<last label>:`."""
    if source.rel.endswith(".cue"):
        try:
            span = field_position(source.text, path)
            if span is None:
                named = fields_named(source.text, path[-1])
                span = next((f.label_span for f in named if value in f.value), None)
        except CueSyntaxError:
            span = None
        return (span.line, span.col) if span is not None else (None, None)
    key = path[-1]
    pattern = re.compile(rf'(?:^|[\s{{,])"?{key}"?\s*:')
    first: tuple[int | None, int | None] = (None, None)
    for index, line in enumerate(source.text.splitlines()):
        match = pattern.search(line)
        if match is None:
            continue
        col = line.find(key, match.start()) + 1
        if value in line[match.end() :]:
            return index + 1, col
        if first[0] is None:
            first = (index + 1, col)
    return first


def _evaluation(addon: Addon, options: RenderOptions) -> _Evaluation:
    package = "main"
    files: list[CueFile] = []
    expressions: list[str] = []
    if addon.template_cue is not None:
        header = _header(addon.template_cue)
        package = header.package or "main"
        files.append(
            CueFile(
                addon.template_cue.rel,
                with_package(addon.template_cue.text, package),
                origin=str(addon.template_cue.path),
            )
        )
    merged: list[SourceFile] = []
    standalone: list[SourceFile] = []
    for res in addon.cue_resources:
        res_package = _header(res).package
        if addon.template_cue is not None and res_package == package:
            merged.append(res)
        elif res_package == "main":
            continue  # upstream: a `package main` file belongs to the template package, never stand-alone
        elif _declares(res, "output"):
            standalone.append(res)
    for res in merged:
        files.append(CueFile(res.rel, with_package(res.text, package), origin=str(res.path)))

    if addon.template_cue is not None:
        main_sources = [addon.template_cue, *merged]
        if not any(_declares(s, "output") for s in main_sources):
            raise InputError(
                "template.cue has no `output` field",
                path=addon.template_cue.path,
                hint='define `output: {apiVersion: "core.oam.dev/v1beta1", kind: "Application", spec: ...}`',
            )
        expressions.append("output")
        if any(_declares(s, "outputs") for s in main_sources):
            expressions.append("outputs")

    for index, res in enumerate(standalone):
        holder = f"_veladdon_r{index}"
        files.append(
            CueFile(res.rel, nested(res, holder, package), origin=str(res.path), holders=((holder, ""),))
        )
        expressions.append(f"_veladdon_r{index}.output")

    if expressions:
        param = parameter_cue_file(addon, package)
        if param is not None:
            files.insert(1 if addon.template_cue is not None else 0, param)
        files.append(context_file(addon, options.args, package))
    return _Evaluation(files, expressions, standalone)


def undeclared_parameters(addon: Addon, args: Mapping[str, Any]) -> list[str]:
    """Warnings for values parameter.cue does not declare: KubeVela accepts them (an open struct)
    and no template reads them, which is almost always a typo."""
    source = addon.parameter_file
    if source is None or not args:
        return []
    try:
        declared = declared_fields(source.text, "parameter")
    except CueSyntaxError:
        return []
    if declared is None:
        return []
    known = ", ".join(sorted(declared)) or "none"
    return [
        f"parameter {key!r} is not declared in {source.rel} (declared: {known}); the templates ignore it"
        for key in sorted(user_args(args))
        if key not in declared and key != "clusters"
    ]


def _header(source: SourceFile) -> Any:
    try:
        return read_header(source.text)
    except CueSyntaxError as exc:
        raise syntax_error(source, exc) from exc


def _declares(source: SourceFile, label: str) -> bool:
    try:
        return declares(source.text, label)
    except CueSyntaxError as exc:
        raise syntax_error(source, exc) from exc


def _outputs(value: Any, addon: Addon) -> list[dict[str, Any]]:
    """`outputs` objects sorted by key (upstream: Go map order, random), labelled (upstream §5.3, §5.6)."""
    if not isinstance(value, dict):
        return []
    objects = []
    for key in sorted(value):
        obj = value[key]
        if not isinstance(obj, dict):
            continue  # pkg/addon/render.go: renderApp keeps only the `outputs` values that are maps
        problem = object_problem(obj)
        if problem is not None:
            source = addon.template_cue
            line, col = _field_position(source, ("outputs", key)) if source is not None else (None, None)
            raise ObjectError(
                f"outputs.{key} {problem}, so the API server would refuse it",
                path=source.path if source is not None else None,
                line=line,
                col=col,
                hint="give every object in `outputs` apiVersion, kind and metadata.name",
            )
        obj = json.loads(json.dumps(obj))
        labels = obj.setdefault("metadata", {}).setdefault("labels", {})
        labels[LABEL_AUX] = key
        labels[LABEL_NAME] = addon.metadata.name
        labels[LABEL_VERSION] = addon.metadata.version
        objects.append(obj)
    return objects


_COMPONENT_TYPES: dict[str, tuple[type, str]] = {
    "name": (str, "a string"),
    "type": (str, "a string"),
    "traits": (list, "a list"),
    "dependsOn": (list, "a list"),
    "inputs": (list, "a list"),
    "outputs": (list, "a list"),
}


def component_problem(comp: Mapping[str, Any]) -> tuple[str, str] | None:
    """The first field of an Application component that a typed decode (upstream's) would fail on."""
    for key, (kind, words) in _COMPONENT_TYPES.items():
        value = comp.get(key)
        if value is not None and not isinstance(value, kind):
            return key, f"must be {words}, not {json.dumps(value)}"
    return None


def _standalone_components(evaluation: _Evaluation, results: Mapping[str, Any]) -> list[dict[str, Any]]:
    components = []
    for index, res in enumerate(evaluation.standalone):
        comp = results[f"_veladdon_r{index}.output"]
        if not isinstance(comp, dict):
            raise InputError("`output` must be a component object", path=res.path)
        problem = component_problem(comp)
        if problem is not None:
            # pkg/addon/render.go: renderCompAccordingCUETemplate decodes `output` into a typed
            # ApplicationComponent, which fails on a field of the wrong type.
            line, col = _field_position(res, ("output", problem[0]))
            raise InputError(
                f"error rendering file {res.rel}: `output.{problem[0]}` {problem[1]}",
                path=res.path,
                line=line,
                col=col,
            )
        if not comp.get("name"):
            comp = {"name": Path(res.rel).name.removesuffix(".cue").replace(".", "-"), **comp}
        components.append(comp)
    return components


def _assemble(
    addon: Addon,
    app: dict[str, Any],
    cue_components: list[dict[str, Any]],
    options: RenderOptions,
    warnings: list[str],
) -> dict[str, Any]:
    """Upstream §5.5: forced identity, labels, namespace/resources/CUE components, legacy topology."""
    meta = addon.metadata
    app = json.loads(json.dumps(app))
    metadata = app.setdefault("metadata", {})
    app_name = f"addon-{meta.name}"
    if metadata.get("name") and metadata["name"] != app_name:
        warnings.append(
            f"Application name {metadata['name']} will be overwritten with {app_name}. "
            "Consider removing metadata.name in template."
        )
    if metadata.get("namespace") and metadata["namespace"] != options.system_namespace:
        warnings.append(
            f"Namespace {metadata['namespace']} will be overwritten with {options.system_namespace}. "
            "Consider removing metadata.namespace in template."
        )
    metadata["name"] = app_name
    metadata["namespace"] = options.system_namespace
    labels = metadata.get("labels") or {}
    labels[LABEL_NAME] = meta.name
    labels[LABEL_VERSION] = meta.version
    if options.registry:
        labels[LABEL_REGISTRY] = options.registry
    metadata["labels"] = labels

    spec = app.get("spec")
    if not isinstance(spec, dict):
        spec = app["spec"] = {}
    components = spec.get("components") or []
    if not isinstance(components, list):
        raise InputError("the Application's spec.components must be a list", path=_template_path(addon))
    for ns in meta.need_namespace:
        if ns == options.system_namespace:
            continue
        components.append(
            {
                "name": f"{ns}-namespace",
                "type": "raw",
                "properties": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
            }
        )
    if addon.yaml_resources:
        objects = [parse_object(res, res.rel) for res in addon.yaml_resources]
        components.append(
            {"name": f"{meta.name}-resources", "type": "k8s-objects", "properties": {"objects": objects}}
        )
    components.extend(cue_components)
    for index, comp in enumerate(components):
        problem = component_problem(comp) if isinstance(comp, dict) else ("", "is not an object")
        if problem is not None:
            # pkg/addon/render.go: renderApp decodes `output` into a typed Application, which fails on
            # a component field of the wrong type.
            source = _template_source(addon)
            label = f"spec.components[{index}]" + (f".{problem[0]}" if problem[0] else "")
            line, col = (None, None)
            if source is not None and problem[0]:
                line, col = _field_position(source, ("output", "spec", "components", problem[0]))
            raise InputError(
                f"decode app from CUE: `{label}` {problem[1]}",
                path=source.path if source else None,
                line=line,
                col=col,
            )
    spec["components"] = components
    _legacy_topology(addon, spec, options, warnings)
    return app


def _legacy_topology(addon: Addon, spec: dict[str, Any], options: RenderOptions, warnings: list[str]) -> None:
    """Upstream §5.7: `deployTo.runtimeCluster` attaches a topology policy, for YAML or no-template addons."""
    deploy = addon.metadata.deploy_to
    if addon.template_cue is not None or deploy is None or not deploy.to_runtime_clusters:
        return
    policies = spec.get("policies") or []
    for policy in policies:
        if isinstance(policy, dict) and policy.get("type") == "topology":
            warnings.append(
                f"deployTo in metadata will NOT have any effect. It conflicts with topology policy named "
                f"{policy.get('name')}. Consider removing deployTo field in addon metadata."
            )
            return
    clusters = [c.strip() for c in _clusters(options.args) if c.strip()]
    if not clusters:
        policies.append(
            {
                "name": "deploy-addon-to-all-clusters",
                "type": "topology",
                "properties": {"clusterLabelSelector": {}},
            }
        )
    else:
        if "local" not in clusters:
            clusters.append("local")
        policies.append(
            {
                "name": "deploy-addon-to-specified-clusters",
                "type": "topology",
                "properties": {"clusters": clusters},
            }
        )
    spec["policies"] = policies


def _clusters(args: Mapping[str, Any]) -> list[str]:
    value = args.get("clusters")
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _template_path(addon: Addon) -> Path | None:
    source = addon.template_cue or addon.template_yaml
    return source.path if source else None


__all__ = [
    "RenderOptions",
    "RenderResult",
    "context_file",
    "parameter_cue_file",
    "render_application",
    "user_args",
]

"""definitions/ → X-Definition objects (upstream §5.8).

CUE definitions are never evaluated whole: their templates reference `context`, `parameter` and
KubeVela-only packages. Each file is split lexically into imports, one metadata field and the
template body. For ALL definition files of an addon together there are two evaluator round trips:

1. one `cue export` of an instance holding every header (plain data → `-e`), every template
   nested under a hidden key beside KubeVela's base context stub (so CUE reports compile errors
   against the user's own lines), and every CUE view (which must compile too);
2. one `cue fmt -s` of every template text, which is what KubeVela stores;
3. only when a header writes a status struct (`attributes.status.healthPolicy: {...}`): one `cue fmt`
   (no `-s`: upstream prints them with `format.Node` and no Simplify) of every such struct. The header
   is exported with a placeholder string for each; the formatted text takes its place afterwards.

Templates and views that import `vela/*` packages cannot be compiled by a plain `cue`; they are
reported in `RenderedDefinitions.unchecked`, never silently passed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from veladdon.addon.model import Addon, SourceFile
from veladdon.cue.evaluator import CueError, CueFile, Evaluator
from veladdon.cue.source import (
    CueSyntaxError,
    DefinitionError,
    DefinitionSource,
    Import,
    field_position,
    fill_status,
    read_header,
    split_definition,
    top_level_fields,
    unused_imports,
    with_package,
)
from veladdon.errors import InputError
from veladdon.render.files import (
    blank,
    drop_unused_imports,
    imports_vela,
    nested,
    parse_applied_object,
    syntax_error,
)
from veladdon.render.views import check_cue_view, cue_view_object
from veladdon.wire import ALIAS_KEY, DEFINITION_API_VERSION, DESCRIPTION_KEY, USER_PREFIX

KIND_BY_TYPE = {
    "component": "ComponentDefinition",
    "trait": "TraitDefinition",
    "policy": "PolicyDefinition",
    "workflow-step": "WorkflowStepDefinition",
    "workload": "WorkloadDefinition",
}
# KubeVela's base context for compiling a definition template (provider functions disabled).
BASE_CONTEXT = "context: {\n\tname: string\n\tconfig?: [...{name: string, value: string}]\n\t...\n}\n"

# The JSON fields of each kind's typed spec across KubeVela releases; anything else is rejected
# as upstream's strict decoding rejects it ("invalid definition spec: unknown field").
_COMMON = {"schematic", "version"}
SPEC_FIELDS: dict[str, frozenset[str]] = {
    "ComponentDefinition": frozenset(
        {"workload", "childResourceKinds", "revisionLabel", "podSpecPath", "status", "extension"} | _COMMON
    ),
    "TraitDefinition": frozenset(
        {
            "definitionRef",
            "revisionEnabled",
            "workloadRefPath",
            "podDisruptive",
            "appliesToWorkloads",
            "conflictsWith",
            "status",
            "extension",
            "manageWorkload",
            "controlPlaneOnly",
            "skipRevisionAffect",
            "stage",
        }
        | _COMMON
    ),
    "PolicyDefinition": frozenset({"definitionRef", "manageHealthCheck", "global", "priority"} | _COMMON),
    "WorkflowStepDefinition": frozenset({"definitionRef"} | _COMMON),
    "WorkloadDefinition": frozenset(
        {"definitionRef", "childResourceKinds", "revisionLabel", "podSpecPath", "status", "extension"}
        | _COMMON
    ),
}
STATUS_FIELDS = frozenset({"customStatus", "healthPolicy", "details"})


# The KubeVela release that refuses each kind of definition veladdon refuses (docs/rules.md: DF05, DF06).
STRICT_SPEC_RELEASE = "v1.10"


class DefinitionRefused(InputError):
    """A definition KubeVela refuses to install; `reason` says why, for lint's rule ids:
    `spec-field` (an attribute its kind does not define) or `undeclared-parameter` (the template reads
    `parameter` without declaring it)."""

    def __init__(self, message: str, *, reason: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.reason = reason


@dataclass
class RenderedDefinitions:
    yaml_definitions: list[dict[str, Any]] = field(default_factory=list)
    cue_definitions: list[dict[str, Any]] = field(default_factory=list)
    views: list[dict[str, Any]] = field(default_factory=list)  # CUE views as ConfigMaps
    unchecked: list[str] = field(default_factory=list)  # files whose CUE could not be compiled offline


def render_yaml_definitions(addon: Addon, namespace: str) -> list[dict[str, Any]]:
    """YAML X-Definitions: decoded, namespace forced to the system namespace."""
    objects = []
    for source in addon.yaml_definitions:
        obj = parse_applied_object(source, f"render definition file {source.rel}")
        obj.setdefault("metadata", {})["namespace"] = namespace
        objects.append(obj)
    return objects


def split_all(addon: Addon) -> list[tuple[SourceFile, DefinitionSource]]:
    """Split every CUE definition, with upstream's errors at the user's file and line."""
    out = []
    for source in addon.cue_definitions:
        try:
            out.append((source, split_definition(source.text)))
        except DefinitionError as exc:
            raise InputError(
                f"fail to render definition: {source.rel} in cue's format: {exc.message}",
                path=source.path,
                line=exc.line,
                col=exc.col,
            ) from exc
        except CueSyntaxError as exc:
            raise syntax_error(
                source, exc, f"fail to render definition: {source.rel} in cue's format"
            ) from exc
    return out


def render_definitions(addon: Addon, namespace: str, evaluator: Evaluator) -> RenderedDefinitions:
    """YAML and CUE definitions plus CUE views, in at most three evaluator round trips."""
    result = RenderedDefinitions(yaml_definitions=render_yaml_definitions(addon, namespace))
    splits = split_all(addon)
    for view in addon.cue_views:
        check_cue_view(view)
    if not splits and not addon.cue_views:
        return result

    files: list[CueFile] = [
        CueFile("_veladdon/context.cue", "package main\n" + BASE_CONTEXT, label="context")
    ]
    expressions: list[str] = []
    for index, (source, split) in enumerate(splits):
        files.append(_header_file(source, split, index))
        expressions.append(f"_veladdon_d{index}")
        if imports_vela(source.text):
            result.unchecked.append(source.rel)
        else:
            files.append(
                CueFile(
                    source.rel,
                    _template_file(source, split, index),
                    origin=str(source.path),
                    holders=((f"_veladdon_t{index}", "template"),),
                )
            )
    for index, view in enumerate(addon.cue_views):
        if imports_vela(view.text):
            result.unchecked.append(view.rel)
        else:
            holder = f"_veladdon_v{index}"
            files.append(
                CueFile(
                    view.rel, nested(view, holder, "main"), origin=str(view.path), holders=((holder, ""),)
                )
            )

    headers: list[Any] = []
    try:
        if expressions:
            headers = evaluator.export(files, expressions)
        else:
            evaluator.vet(files)
    except CueError as exc:
        raise _compile_error(exc, addon, splits) from exc

    templates = evaluator.fmt([_template_text(split) for _, split in splits]) if splits else []
    # Status structs are printed by `format.Node` without Simplify (a template with it, as `cue fmt -s`
    # does), so they take a round trip of their own, and only when a header has one.
    structs = [struct.fmt_text for _, split in splits for struct in split.status_structs]
    rest = iter(evaluator.fmt(structs, simplify=False))
    for (source, split), header, template in zip(splits, headers, templates, strict=True):
        # Placeholders are numbered per file: each header is filled with its own structs.
        status = {struct.placeholder: struct.value(next(rest)) for struct in split.status_structs}
        header = fill_status(header, status)
        result.cue_definitions.append(_definition_object(source, split, header, template, namespace))
    result.views = [cue_view_object(view, namespace) for view in addon.cue_views]
    return result


def _header_file(source: SourceFile, split: DefinitionSource, index: int) -> CueFile:
    """The header as `_veladdon_d<i>: {...}`, padded so that it starts on its original line."""
    padding = "\n" * max(1, split.header_span.line - 1)
    holder = f"_veladdon_d{index}"
    body = f"{padding}{holder}: {split.header_text}\n"

    def with_imports(imports: list[Import]) -> str:
        specs = "".join(f", import {i.alias + ' ' if i.alias else ''}{_quote(i.path)}" for i in imports)
        return f"package main{specs}{body}"

    imports = list(read_header(source.text).imports)
    unused = {(i.alias, i.path) for i in unused_imports(with_imports(imports))}
    text = with_imports([i for i in imports if (i.alias, i.path) not in unused])
    return CueFile(
        f"_veladdon/header{index}.cue", text, origin=str(source.path), holders=((holder, split.name),)
    )


def _quote(path: str) -> str:
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _template_file(source: SourceFile, split: DefinitionSource, index: int) -> str:
    """The file with every top-level declaration but imports and `template` blanked out (newlines
    kept), and `template` renamed, so template errors point at the user's own lines."""
    text = with_package(source.text, "main")
    chars = list(text)
    for decl in top_level_fields(text):
        if decl.kind in ("package", "import"):
            continue
        if decl.kind == "field" and decl.label == "template":
            label = decl.label_span
            if label is not None:
                replacement = f"_veladdon_t{index}"
                chars[label.start : label.end] = list(replacement.ljust(label.end - label.start))
            continue
        blank(chars, decl.span.start, decl.span.end)
    return drop_unused_imports("".join(chars))


def _template_text(split: DefinitionSource) -> str:
    """What KubeVela stores: the imports, then the template body, through the formatter."""
    if split.imports_text:
        return split.imports_text.rstrip("\n") + "\n\n" + split.template_body
    return split.template_body


def _definition_object(
    source: SourceFile, split: DefinitionSource, header: Any, template: str, namespace: str
) -> dict[str, Any]:
    def fail(message: str) -> InputError:
        return InputError(
            f"fail to render definition: {source.rel} in cue's format: {message}",
            path=source.path,
            line=split.name_span.line,
            col=split.name_span.col,
        )

    if not isinstance(header, dict):
        raise fail(f"the metadata of {split.name} must be a struct")
    def_type = header.get("type")
    kind = KIND_BY_TYPE.get(str(def_type)) if isinstance(def_type, str) else None
    if kind is None:
        raise fail(f"invalid type {def_type if def_type is not None else ''}")
    annotations: dict[str, str] = {}
    labels: dict[str, str] = {}
    for key, target in (("annotations", annotations), ("labels", labels)):
        values = header.get(key) or {}
        if not isinstance(values, dict):
            raise fail(f"`{key}` must be a map of strings")
        for k, v in values.items():
            target[k if "oam.dev" in k else USER_PREFIX + k] = str(v)
    if "description" in header:
        annotations[DESCRIPTION_KEY] = str(header["description"])
    if "alias" in header:
        annotations[ALIAS_KEY] = str(header["alias"])
    attributes = header.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise fail("`attributes` must be a struct")
    # pkg/definition/definition.go: FromCUE → validateSpec decodes the spec of Component, Trait, Policy
    # and WorkflowStep definitions with DisallowUnknownFields (KubeVela >= v1.10); WorkloadDefinitions
    # are not checked there (and record_definitions refuses them anyway).
    strict = kind != "WorkloadDefinition"
    unknown = sorted(set(attributes) - SPEC_FIELDS[kind]) if strict else []
    status = attributes.get("status")
    if not unknown and strict and isinstance(status, dict):
        unknown = [f"status.{bad}" for bad in sorted(set(status) - STATUS_FIELDS)]
    if unknown:
        field_name = unknown[0]
        line, col = _attribute_position(source.text, split, field_name.split("."))
        raise DefinitionRefused(
            f"fail to render definition: {source.rel} in cue's format: invalid definition spec: "
            f'json: unknown field "{field_name.rsplit(".", 1)[-1]}" (`attributes.{field_name}` is not a '
            f"field of a {kind}; KubeVela {STRICT_SPEC_RELEASE} and later refuse it)",
            reason="spec-field",
            path=source.path,
            line=line,
            col=col,
            hint=f"remove it; a {kind} knows {', '.join(sorted(SPEC_FIELDS[kind]))}",
        )
    spec = dict(attributes)
    schematic = dict(spec.get("schematic") or {})
    schematic["cue"] = {"template": template}
    spec["schematic"] = schematic
    metadata: dict[str, Any] = {"name": split.name, "namespace": namespace}
    if annotations:
        metadata["annotations"] = annotations
    if labels:
        metadata["labels"] = labels
    return {"apiVersion": DEFINITION_API_VERSION, "kind": kind, "metadata": metadata, "spec": spec}


def _attribute_position(text: str, split: DefinitionSource, path: list[str]) -> tuple[int, int]:
    """The line and column of `attributes.<path>` in the header (else of its deepest declared parent),
    else the definition's name."""
    labels = [split.name, "attributes", *path]
    for depth in range(len(labels), 1, -1):
        span = field_position(text, labels[:depth])
        if span is not None:
            return span.line, span.col
    return split.name_span.line, split.name_span.col


_NOT_FOUND = re.compile(r'reference "parameter" not found')


def _compile_error(
    exc: CueError, addon: Addon, splits: list[tuple[SourceFile, DefinitionSource]]
) -> InputError:
    """A CUE error of the definitions' instance in upstream's words (pkg/addon/addon.go:
    renderDefinitions wraps FromCUEString's error as `fail to render definition: <file> in cue's
    format`); the evaluator already says `template` and the definition's name for veladdon's holder
    keys. Every further error follows as a detail."""
    message = exc.message.removeprefix("CUE error: ")
    source = next((s for s, _ in splits if exc.path is not None and str(s.path) == exc.path), None)
    view = next((v for v in addon.cue_views if exc.path is not None and str(v.path) == exc.path), None)
    if source is not None:
        message = f"fail to render definition: {source.rel} in cue's format: {message}"
    elif view is not None:
        message = f"error when parsing view {view.rel}: {message}"
    message = f"render addon definitions fail: {message}"
    if source is not None and _NOT_FOUND.search(message):
        return exc.reworded(
            message + " (KubeVela's admission webhook compiles a definition's template with only its "
            "`context`, so `parameter` must be declared in it; a KubeVela v1.10.9 cluster denies the "
            "definition after the Application is written)",
            error=DefinitionRefused,
            reason="undeclared-parameter",
            hint="declare it in the template, e.g. `parameter: #parameter`, or `parameter: {...}`",
        )
    return exc.reworded(message)

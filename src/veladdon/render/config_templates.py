"""Config templates (config-templates/*.cue) → `config-template-<name>` ConfigMaps (upstream §5.11)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from veladdon.addon.model import Addon, SourceFile
from veladdon.addon.yamlutil import dump_yaml
from veladdon.cue.evaluator import CueError, CueFile, Evaluator
from veladdon.cue.source import CueSyntaxError, declares, parse
from veladdon.errors import InputError
from veladdon.render.files import blank, drop_unused_imports, imports_vela, nested
from veladdon.render.openapi import fix_openapi_schema, resolve_openapi

CONFIG_TEMPLATE_PREFIX = "config-template-"
# Appended to every config template's text by KubeVela (pkg/config/context.DefaultContext).
CONFIG_DEFAULT_CONTEXT = "\n\tcontext: {\n\t\tname: string\n\t\tnamespace: string\n\t}\n"


def render_config_templates(
    addon: Addon, namespace: str, evaluator: Evaluator
) -> tuple[list[dict[str, Any]], list[str]]:
    """Config templates → `config-template-<name>` ConfigMaps. Two evaluator round trips in all
    (one `cue def --out openapi` for every parameter schema, one export for every metadata)."""
    sources = list(addon.config_templates)
    if not sources:
        return [], []
    warnings: list[str] = []
    checked: list[tuple[int, SourceFile]] = []
    for index, source in enumerate(sources):
        if imports_vela(source.text):
            warnings.append(f"{source.rel}: imports vela/* packages; its schema cannot be generated offline")
            continue
        if not declares(source.text, "metadata") or not declares(source.text, "template"):
            raise InputError(
                "render the config template fail: the cue script is invalid: it needs `metadata` "
                "(with `name`) and `template` (with `parameter`)",
                path=source.path,
            )
        checked.append((index, source))

    files: list[CueFile] = []
    schema_files: list[CueFile] = []
    expressions: list[str] = []
    ctx = "context: {name: string, namespace: string, ...}\n"

    def held(source: SourceFile, index: int) -> CueFile:
        """The config template nested under its holder `#_veladdon_c<index>`, lines unchanged."""
        holder = f"#_veladdon_c{index}"
        text = nested(source, holder, "main", prelude=ctx)
        return CueFile(source.rel, text, origin=str(source.path), holders=((holder, ""),))

    for index, source in checked:
        files.append(held(source, index))
        # pkg/config/factory.go: ParseTemplate compiles the whole script, but the schema comes from
        # `template.parameter` alone (pkg/utils/common/common.go: GenOpenAPIWithCueX →
        # FillParameterDefinitionFieldIfNotExist), so an `output` that is not concrete without
        # parameters (`"key: " + parameter.key`) must not stop the schema.
        schema_files.append(held(dataclasses.replace(source, text=parameter_only(source.text)), index))
        expressions += [f"#_veladdon_c{index}.metadata", f"_veladdon_w{index}"]
    writer_lines = ["package main"]
    for index, _ in checked:
        c = f"#_veladdon_c{index}.template"
        writer_lines.append(
            f"_veladdon_w{index}: {{\n\tif {c}.nacos != _|_ {{nacos: {{\n"
            f"\t\tif {c}.nacos.endpoint != _|_ {{endpoint: {c}.nacos.endpoint}}\n"
            f"\t\tif {c}.nacos.format != _|_ {{format: {c}.nacos.format}}\n\t}}}}\n}}"
        )
    schema_lines = ["package main"]
    schema_lines += [f"#veladdon_ct{index}: #_veladdon_c{index}.template.parameter" for index, _ in checked]

    values: list[Any] = []
    openapi: dict[str, Any] = {}
    if checked:
        writers = CueFile(
            "_veladdon/writers.cue",
            "\n".join(writer_lines) + "\n",
            label="config template writers",
            holders=tuple((f"_veladdon_w{index}", "template") for index, _ in checked),
        )
        schemas = CueFile(
            "_veladdon/schemas.cue",
            "\n".join(schema_lines) + "\n",
            label="config template schemas",
            holders=tuple((f"#veladdon_ct{index}", "template.parameter") for index, _ in checked),
        )
        try:
            values = evaluator.export([*files, writers], expressions)
            openapi = evaluator.openapi([*schema_files, schemas])
        except CueError as exc:
            raise exc.reworded(
                f"render the config template fail: the cue script is invalid: {scrub(exc.message)}",
                details=[dataclasses.replace(d, message=scrub(d.message)) for d in exc.details],
            ) from exc

    objects = []
    for position, (index, source) in enumerate(checked):
        metadata, writer = values[2 * position], values[2 * position + 1]
        if not isinstance(metadata, dict) or not metadata.get("name"):
            raise InputError("render the config template fail: `metadata.name` is required", path=source.path)
        schema = resolve_openapi(openapi, f"veladdon_ct{index}")
        fix_openapi_schema("", schema)
        objects.append(
            _config_template_configmap(
                source, metadata, schema, writer if isinstance(writer, dict) else {}, namespace
            )
        )
    return objects, warnings


def scrub(message: str) -> str:
    """CUE's message after upstream's prefix: without veladdon's `CUE error: ` and CUE's `openapi: `
    (the evaluator already says the user's names for veladdon's holder keys)."""
    return message.removeprefix("CUE error: ").replace("openapi: ", "")


def parameter_only(text: str) -> str:
    """`text` with everything but `metadata`, `template.parameter`, definitions and hidden fields
    blanked out (newlines kept, so positions stay the user's): what the schema is generated from."""
    try:
        ps = parse(text)
    except CueSyntaxError:
        return text
    chars = list(text)

    def blank_decl(first: int, last: int) -> None:
        span = ps.span(first, last)
        blank(chars, span.start, span.end)

    def kept(label: str | None) -> bool:
        return label is not None and (label.startswith("#") or label.startswith("_"))

    for decl in ps.decls:
        if decl.kind in ("package", "import") or (decl.kind == "field" and kept(decl.label)):
            continue
        if decl.kind == "field" and decl.label == "metadata":
            continue
        if decl.kind == "field" and decl.label == "template":
            elements = ps.struct_elements(decl.value_first, decl.value_last)
            if elements is None:
                continue
            for element in elements:
                if element.kind == "field" and (element.label == "parameter" or kept(element.label)):
                    continue
                blank_decl(element.first, element.last)
            continue
        blank_decl(decl.first, decl.last)
    return drop_unused_imports("".join(chars))


def _config_template_configmap(
    source: SourceFile,
    metadata: Mapping[str, Any],
    schema: dict[str, Any],
    writer: Mapping[str, Any],
    namespace: str,
) -> dict[str, Any]:
    scope = str(metadata.get("scope", ""))
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": CONFIG_TEMPLATE_PREFIX + str(metadata["name"]),
            "namespace": namespace,
            "labels": {"config.oam.dev/catalog": "velacore-config", "config.oam.dev/scope": scope},
            "annotations": {
                "config.oam.dev/alias": str(metadata.get("alias", "")),
                "config.oam.dev/description": str(metadata.get("description", "")),
                "config.oam.dev/sensitive": "true" if metadata.get("sensitive") is True else "false",
            },
        },
        "data": {
            "template": source.text + "\n" + CONFIG_DEFAULT_CONTEXT,
            "schema": dump_yaml(schema),
            "expanded-writer": dump_yaml({"nacos": writer.get("nacos")}),
        },
    }


__all__ = ["CONFIG_DEFAULT_CONTEXT", "CONFIG_TEMPLATE_PREFIX", "parameter_only", "render_config_templates"]

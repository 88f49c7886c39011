"""Rendering: Addon + parameters → every object `vela addon enable` would create. Pure and offline."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from veladdon.addon.model import Addon
from veladdon.cue.evaluator import Evaluator
from veladdon.errors import InputError
from veladdon.render.app import RenderOptions, RenderResult, render_application
from veladdon.render.config_templates import render_config_templates
from veladdon.render.definitions import render_definitions
from veladdon.render.notes import render_notes, render_secret
from veladdon.render.ui_schemas import render_schemas
from veladdon.render.views import render_yaml_views
from veladdon.wire import BIND_ANNOTATION, DEFINITION_ANNOTATIONS, LEGACY_BIND_ANNOTATION


def render_addon(addon: Addon, options: RenderOptions | None = None, *, evaluator: Evaluator) -> RenderResult:
    """The full render (upstream §5): the Application, outputs, definitions, config templates, UI
    schemas, views and the parameter Secret, after the bind-component filter, with the definitions
    recorded on the Application."""
    options = options or RenderOptions()
    ns = options.system_namespace
    result = render_application(addon, options, evaluator=evaluator)
    defs = render_definitions(addon, ns, evaluator)
    config_templates, ct_warnings = render_config_templates(addon, ns, evaluator)
    app = result.application
    skipped: list[str] = []

    def keep(objects: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
        kept = []
        for obj in objects:
            reason = bind_component_mismatch(obj, app)
            if reason is None:
                kept.append(obj)
            else:
                skipped.append(reason)
        return tuple(kept)

    rendered = dataclasses.replace(
        result,
        outputs=keep(result.outputs),
        yaml_definitions=keep(defs.yaml_definitions),
        cue_definitions=keep(defs.cue_definitions),
        config_templates=keep(config_templates),
        schemas=keep(render_schemas(addon, ns)),
        views=keep([*render_yaml_views(addon), *defs.views]),
        secret=render_secret(addon, options.args, ns),
        warnings=(*result.warnings, *ct_warnings),
        skipped=tuple(skipped),
        unchecked=tuple(defs.unchecked),
    )
    record_definitions(rendered.application, rendered.definitions())
    return rendered


def bind_component_mismatch(obj: dict[str, Any], app: dict[str, Any]) -> str | None:
    """Why `obj` is left out (upstream §5.12), or None when it is applied."""
    annotations = obj.get("metadata", {}).get("annotations") or {}
    wanted = annotations.get(BIND_ANNOTATION) or annotations.get(LEGACY_BIND_ANNOTATION)
    if not wanted:
        return None
    components = app.get("spec", {}).get("components") or []
    if any(isinstance(c, dict) and c.get("name") == wanted for c in components):
        return None
    return (
        f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')} skipped: it is bound to component "
        f"{wanted!r}, which the Application does not have"
    )


def record_definitions(app: dict[str, Any], definitions: Sequence[dict[str, Any]]) -> None:
    """Upstream §5.13: comma-joined definition names per kind as annotations on the Application."""
    names: dict[str, list[str]] = {}
    for obj in definitions:
        kind = str(obj.get("kind"))
        name = str(obj.get("metadata", {}).get("name"))
        if kind not in DEFINITION_ANNOTATIONS:
            raise InputError(
                "cannot pass definition to addon app's annotation: "
                f"cannot handle definition types {kind}, name {name}",
                hint="only Component, Trait, Policy and WorkflowStep definitions can be recorded",
            )
        names.setdefault(DEFINITION_ANNOTATIONS[kind], []).append(name)
    if not names:
        return
    annotations = app.setdefault("metadata", {}).setdefault("annotations", {})
    for key, values in names.items():
        annotations[key] = ",".join(values)


def notes_for(addon: Addon, options: RenderOptions, evaluator: Evaluator) -> tuple[str | None, str | None]:
    """NOTES.cue rendered for `options` (notes, warning); evaluated only when asked for."""
    return render_notes(addon, options.args, evaluator, upgrade=options.upgrade)


__all__ = [
    "BIND_ANNOTATION",
    "RenderOptions",
    "RenderResult",
    "bind_component_mismatch",
    "notes_for",
    "record_definitions",
    "render_addon",
]

"""Template rules: the Application template compiles and renders into a well-formed Application, and
`outputs` into Kubernetes objects (checked on the render with default parameters)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from veladdon.addon.loader import version_warning
from veladdon.addon.model import SourceFile
from veladdon.cue.evaluator import CueError
from veladdon.errors import InputError
from veladdon.lint.context import LintContext
from veladdon.lint.model import Severity
from veladdon.lint.positions import locate_field, locate_string
from veladdon.lint.rules.parameters import PA04, in_definitions, parameter_schema, render_error_rule
from veladdon.lint.ruleset import check, define
from veladdon.render.files import ObjectError
from veladdon.wire import LABEL_AUX

TP01 = define(
    "TP01",
    "template.compile",
    Severity.ERROR,
    "template.cue (with parameter.cue and the CUE resources) compiles and renders",
    """Every CUE error of the template package and of stand-alone CUE components, at its own file and
    line: a reference that does not resolve, conflicting values, a syntax error. Errors caused by
    missing parameter values are PA04's.""",
    area="Template",
    needs=("addon", "cue"),
)
TP02 = define(
    "TP02",
    "template.application",
    Severity.ERROR,
    "`output` is an Application whose components each have a name and a type",
    """`template.cue`'s `output` (or template.yaml) is a `core.oam.dev/v1beta1` Application: upstream
    decodes it into one whatever it says, so render and enable warn and apply an Application, but an
    `apiVersion` or `kind` that says otherwise is a mistake (leaving them out is fine). A component
    without `name` or `type` is rejected by the KubeVela webhook when the addon is enabled.""",
    area="Template",
    needs=("addon", "cue"),
)
TP03 = define(
    "TP03",
    "template.component-names",
    Severity.ERROR,
    "Component names are unique in the rendered Application",
    """Components are addressed by name (workflow steps, policies, `bind-component`); KubeVela rejects
    an Application with two components of one name. The generated `<addon>-resources` and
    `<ns>-namespace` components count too.""",
    area="Template",
    needs=("addon", "cue"),
)
TP04 = define(
    "TP04",
    "template.outputs",
    Severity.ERROR,
    "Each `outputs` value is a Kubernetes object with apiVersion, kind and metadata.name",
    """`outputs` objects are applied beside the Application as they are; without these fields the apply
    fails.""",
    area="Template",
    needs=("addon", "cue"),
)
TP05 = define(
    "TP05",
    "template.render-warning",
    Severity.WARNING,
    "The render produces no warnings",
    """Things upstream silently overrides or ignores while rendering: an Application name or namespace
    set in the template (always replaced by `addon-<name>` in vela-system), both a legacy and a global
    parameter file, a `deployTo` shadowed by a topology policy.""",
    area="Template",
    needs=("addon", "cue"),
)


def _template_sources(ctx: LintContext) -> list[SourceFile | None]:
    assert ctx.addon is not None
    return [ctx.addon.template_cue, ctx.addon.template_yaml, *ctx.addon.cue_resources]


# The Application's components: where the template declares them, else any `components` field.
_COMPONENTS = (("output", "spec", "components"), ("*", "components"), ("output",))


def _at(
    ctx: LintContext, *paths: Sequence[str], string: str | None = None
) -> tuple[SourceFile | str, int | None, int | None]:
    """The first of the field `paths` the template files declare (with `string`: first that string
    literal inside the field at `paths[0]`, else anywhere: a component may be written apart from the
    list that holds it), else line 1 of the template."""
    found = None
    if string is not None:
        found = locate_string(_template_sources(ctx), string, paths[0])
        found = found or locate_string(_template_sources(ctx), string)
    if found is None:
        found = locate_field(_template_sources(ctx), *paths)
    if found is not None:
        return found
    assert ctx.addon is not None
    source = ctx.addon.template_cue or ctx.addon.template_yaml
    return (source, 1, None) if source is not None else ("", None, None)


def _at_path(ctx: LintContext, message: str) -> tuple[SourceFile | str, int | None, int | None]:
    """CUE prints some errors (incomplete values) without a position but with the field's path: find
    that field in the template files, else the path's last label anywhere."""
    path = message.split(":", 1)[0].strip()
    labels = tuple(part for part in path.split(".") if part and not part.isdigit())
    if not labels or " " in path:
        return _at(ctx, ("output",))
    return _at(ctx, labels, ("*", labels[-1]), ("output",))


@check(PA04, TP01, TP02, TP03, TP04, TP05)
def rendered(ctx: LintContext) -> None:
    if ctx.addon is None:
        return
    if not any(ctx.active(r) for r in ("PA04", "TP01", "TP02", "TP03", "TP04", "TP05")):
        return
    outcome = ctx.render()
    exc = outcome.error
    if exc is not None:
        if isinstance(exc, CueError):
            for diag in exc.diagnostics:
                pos = diag.primary
                if pos is not None and (in_definitions(ctx, pos.file) or _reported_elsewhere(ctx, pos.file)):
                    continue
                rule = render_error_rule(exc, diag.role)
                if pos is None:
                    file, line, col = _at_path(ctx, diag.message)
                    ctx.report(rule, diag.message, file, line, col)
                    continue
                prefix = "does not render with default parameters: " if rule == "PA04" else ""
                ctx.report(
                    rule, f"{prefix}{diag.message}", pos.file if pos else "", pos.line if pos else None,
                    pos.col if pos else None,
                )  # fmt: skip
        else:
            rule = "TP04" if isinstance(exc, ObjectError) else render_error_rule(exc)
            fallback = ctx.addon.template_cue or ctx.addon.template_yaml
            if not in_definitions(ctx, exc.path) and not _reported_elsewhere(ctx, exc.path):
                ctx.report_error(rule, exc, fallback, with_details=False)
            for detail in exc.details:
                if not in_definitions(ctx, detail.path) and not _reported_elsewhere(ctx, detail.path):
                    detail_rule = "PA04" if detail.message.startswith("parameter") else "TP01"
                    ctx.report(detail_rule, detail.message, detail.path or fallback, detail.line, detail.col)
        return
    result = outcome.result
    assert result is not None
    app = result.application
    if result.retyped is not None:
        # render and enable warn and apply an Application anyway (upstream decodes `output` into one);
        # a template that says it is something else is wrong all the same.
        at, line, col, message = _located(result.retyped)
        ctx.report("TP02", message, at or ctx.addon.template_cue or ctx.addon.template_yaml, line, col)
    components = (app.get("spec") or {}).get("components") or []
    names: list[str] = []
    for index, comp in enumerate(components):
        if not isinstance(comp, dict):
            ctx.report("TP02", f"component #{index + 1} is not an object", *_at(ctx, *_COMPONENTS))
            continue
        name, kind = comp.get("name"), comp.get("type")
        if not isinstance(name, str) or not name:
            ctx.report("TP02", f"component #{index + 1} has no name", *_at(ctx, *_COMPONENTS))
        else:
            names.append(name)
        if not isinstance(kind, str) or not kind:
            where = (
                _at(ctx, *_COMPONENTS, string=name)
                if isinstance(name, str) and name
                else _at(ctx, *_COMPONENTS)
            )
            ctx.report("TP02", f"component {name or '#' + str(index + 1)!r} has no type", *where)
    for name, count in sorted(Counter(names).items()):
        if count > 1:
            ctx.report(
                "TP03", f"component name {name!r} is used by {count} components; names must be unique",
                *_at(ctx, *_COMPONENTS, string=name),
            )  # fmt: skip
    for obj in result.outputs:
        _check_output(ctx, obj)
    reported_elsewhere = {result.retyped, version_warning(ctx.addon.metadata, ctx.addon.metadata_file)}
    for warning in result.warnings:
        if warning.startswith("godef/") or warning in reported_elsewhere:
            continue  # ST03, TP02 and MD08 report them
        at, line, col, message = _located(warning)
        if at is not None:
            ctx.report("TP05", message, at, line, col)
        else:
            ctx.report("TP05", warning, *_at(ctx, ("output", "metadata"), ("output",)))


_LOCATED = re.compile(r"^(?P<file>/[^:]+):(?P<line>\d+)(?::(?P<col>\d+))?: (?P<message>.*)$", re.S)


def _located(warning: str) -> tuple[str | None, int | None, int | None, str]:
    """A render warning that starts with `FILE:LINE[:COL]: ` split into its position and its text."""
    match = _LOCATED.match(warning)
    if match is None:
        return None, None, None, warning
    col = match.group("col")
    return match.group("file"), int(match.group("line")), int(col) if col else None, match.group("message")


def _check_output(ctx: LintContext, obj: dict[str, Any]) -> None:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    key = (meta or {}).get("labels", {}).get(LABEL_AUX, "?")
    missing = [f for f in ("apiVersion", "kind") if not obj.get(f)]
    if not (meta or {}).get("name"):
        missing.append("metadata.name")
    if missing:
        ctx.report(
            "TP04",
            f"outputs.{key} is not a Kubernetes object: no {', '.join(missing)}",
            *_at(ctx, ("outputs", key), ("outputs",)),
        )


def _reported_elsewhere(ctx: LintContext, path: str | None) -> bool:
    """Whether the render's errors in this file would only repeat another rule's finding: CU03 reports a
    file that does not scan (once, at its position), PA01 a parameter.cue whose schema does not compile."""
    assert ctx.addon is not None
    rel = ctx.rel(path)
    source = next((s for s in ctx.addon.files() if s.rel == rel), None)
    if source is None:
        return False
    if ctx.active("CU03") and rel.endswith(".cue") and ctx.syntax_error(source) is not None:
        return True
    param = ctx.addon.parameter_file
    return (
        ctx.active("PA01")
        and param is not None
        and rel == param.rel
        and isinstance(parameter_schema(ctx), InputError)
    )

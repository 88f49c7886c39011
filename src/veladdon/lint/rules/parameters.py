"""Parameter rules: the catalog's own best practices — documented parameters, an addon that installs
with no arguments, and renders that succeed with the defaults and with every `ci/*-values.yaml`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from veladdon.addon.values import load_values_file
from veladdon.cue.source import ParsedSource
from veladdon.errors import InputError
from veladdon.lint.context import LintContext
from veladdon.lint.model import Severity
from veladdon.lint.ruleset import check, define
from veladdon.render.params import has_value, parameter_openapi

PA01 = define(
    "PA01",
    "parameters.schema",
    Severity.ERROR,
    "parameter.cue compiles and declares a `parameter` struct",
    """The parameter schema is what `enable` validates user values against and what VelaUX shows as a
    form; upstream fails to load an addon whose parameter.cue does not compile to an OpenAPI schema.""",
    area="Parameters",
    needs=("addon", "cue"),
)
PA02 = define(
    "PA02",
    "parameters.usage",
    Severity.WARNING,
    "Every parameter has a `//+usage=` comment",
    """`vela addon status`, VelaUX and `veladdon params` show the `+usage=` text as the parameter's
    description; without it users guess. Checked for the top-level fields of `parameter`.""",
    area="Parameters",
    needs=("addon", "cue"),
)
PA03 = define(
    "PA03",
    "parameters.default",
    Severity.WARNING,
    "Every parameter has a default or is optional",
    """The catalog asks that `vela addon enable NAME` works with no arguments: give each top-level
    parameter a default (`replicas: *1 | int`) or make it optional (`token?: string`). Lists and
    structs whose own fields all have defaults count as having one.""",
    area="Parameters",
    needs=("addon", "cue"),
)
PA04 = define(
    "PA04",
    "parameters.render-defaults",
    Severity.ERROR,
    "The addon renders with no parameters given",
    """Rendering with the defaults alone is what `vela addon enable NAME` does; a required parameter
    without a default, or a default that the template rejects, makes that fail.""",
    area="Parameters",
    needs=("addon", "cue"),
)
PA05 = define(
    "PA05",
    "parameters.render-ci-values",
    Severity.ERROR,
    "The addon renders with each ci/*-values.yaml",
    """Like chart-testing, each `ci/<case>-values.yaml` in the addon folder is a set of parameters the
    addon must render with (e.g. a multi-cluster setting); this keeps non-default paths of the template
    working.""",
    area="Parameters",
    needs=("addon", "cue"),
)


@dataclass(frozen=True)
class TopParameter:
    name: str
    line: int
    col: int


def top_parameters(ps: ParsedSource) -> list[TopParameter] | None:
    """The top-level fields of `parameter` with their positions; None when there is no `parameter`."""
    found: list[TopParameter] | None = None
    for decl in ps.decls:
        if decl.kind != "field" or decl.label != "parameter":
            continue
        found = found or []
        elements = ps.struct_elements(decl.value_first, decl.value_last) or []
        for element in elements:
            if (
                element.kind == "field"
                and element.label is not None
                and not element.label.startswith(("_", "#"))
            ):
                tok = ps.tokens[element.label_first]
                found.append(TopParameter(element.label, tok.line, tok.col))
    return found


def parameter_schema(ctx: LintContext) -> dict[str, Any] | InputError | None:
    """The OpenAPI schema of `parameter` (CUE's own generator), memoised; None without parameters."""
    if "parameter_schema" in ctx.memo:
        cached: dict[str, Any] | InputError | None = ctx.memo["parameter_schema"]
        return cached
    result: dict[str, Any] | InputError | None = None
    source = ctx.addon.parameter_file if ctx.addon is not None else None
    ps = ctx.parsed(source) if source is not None else None
    if source is not None and ps is not None and top_parameters(ps) is not None:
        try:
            result = parameter_openapi(source, ctx.evaluator)
        except InputError as exc:
            result = exc
    ctx.memo["parameter_schema"] = result
    return result


@check(PA01, PA02, PA03)
def schema(ctx: LintContext) -> None:
    if ctx.addon is None or ctx.addon.parameter_file is None:
        return
    source = ctx.addon.parameter_file
    ps = ctx.parsed(source)
    if ps is None:
        return  # CU03
    params = top_parameters(ps)
    if params is None:
        ctx.report("PA01", f"{source.rel} declares no `parameter` field", source, 1, 1)
        return
    result = parameter_schema(ctx)
    if isinstance(result, InputError):
        ctx.report_error("PA01", result, source, with_details=False)
        # Each further error in the same words as the first (render and params list them bare).
        prefix = (
            "parameter schema does not compile: " if result.message.startswith("parameter schema") else ""
        )
        for detail in result.details:
            ctx.report("PA01", prefix + detail.message, detail.path or source, detail.line or 1, detail.col)
        return
    if result is None:
        return
    props = result.get("properties") or {}
    required = set(result.get("required") or [])
    for param in params:
        prop = props.get(param.name)
        if not isinstance(prop, dict):
            continue
        if "+usage=" not in str(prop.get("description", "")):
            ctx.report(
                "PA02",
                f"parameter `{param.name}` has no `//+usage=` comment; add one on the line above it",
                source,
                param.line,
                param.col,
            )
        if param.name in required and not has_value(prop):
            ctx.report(
                "PA03",
                f"parameter `{param.name}` has no default and is not optional, so the addon cannot be "
                f"enabled without arguments; give it a default (*value | type) or make it optional "
                f"({param.name}?:)",
                source,
                param.line,
                param.col,
            )


def render_error_rule(exc: InputError, diag_role: str | None = None) -> str:
    """Parameter-caused render failures are PA04's; every other one is the template's (TP01)."""
    if diag_role == "parameter" or exc.message.startswith("parameter"):
        return "PA04"
    return "TP01"


def in_definitions(ctx: LintContext, path: str | None) -> bool:
    rel = ctx.rel(path)
    return rel.startswith(("definitions/", "views/", "config-templates/", "schemas/"))


@check(PA05)
def ci_values(ctx: LintContext) -> None:
    if ctx.addon is None:
        return
    folder = ctx.root / "ci"
    if not folder.is_dir():
        return
    default = ctx.render()
    default_message = default.error.message if default.error is not None else None
    for path in sorted(folder.glob("*-values.yaml")):
        rel = ctx.rel(path)
        try:
            args = load_values_file(path)
        except InputError as exc:
            ctx.report("PA05", exc.message, rel, exc.line or 1, exc.col)
            continue
        failure = ctx.render(args).error
        if failure is None or failure.message == default_message or in_definitions(ctx, failure.path):
            continue
        where = failure.path if failure.path is not None else rel
        line = failure.line or (1 if where == rel else None)
        ctx.report("PA05", f"with {rel}: {failure.message}", where, line, failure.col)

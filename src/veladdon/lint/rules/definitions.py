"""Definition rules: each definition converts into an X-Definition as `render` converts it, and each
CUE template compiles against KubeVela's base context stub (templates importing `vela/*` cannot be
compiled offline and are reported as not checked, never as passing)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from veladdon.addon.model import Addon, SourceFile
from veladdon.cue.evaluator import Evaluator
from veladdon.cue.source import CueSyntaxError, DefinitionError, split_definition
from veladdon.errors import InputError
from veladdon.lint.context import LintContext
from veladdon.lint.model import Severity
from veladdon.lint.positions import locate
from veladdon.lint.ruleset import check, define
from veladdon.render.config_templates import render_config_templates
from veladdon.render.definitions import DefinitionRefused, RenderedDefinitions, render_definitions
from veladdon.wire import DEFINITION_ANNOTATIONS

DF01 = define(
    "DF01",
    "definitions.convert",
    Severity.ERROR,
    "Each definition converts into an X-Definition",
    """A CUE definition needs exactly one metadata field with a valid `type` and a `template:` struct,
    and only attributes the definition kind knows; a YAML definition must be an object with `kind`.
    Only Component, Trait, Policy and WorkflowStep definitions can be recorded on the addon's
    Application. Upstream fails the whole `enable` otherwise.""",
    area="Definitions",
    needs=("addon", "cue"),
)
DF02 = define(
    "DF02",
    "definitions.compile",
    Severity.ERROR,
    "Each definition template and CUE view compiles against KubeVela's base context",
    """Templates are compiled the way KubeVela compiles them when the definition is applied: the
    template body beside `context: {name: string, config?: [...], ...}`. An error here surfaces only
    when someone uses the definition, long after the addon was enabled.""",
    area="Definitions",
    needs=("addon", "cue"),
)
DF03 = define(
    "DF03",
    "definitions.not-checked",
    Severity.INFO,
    "Definitions importing vela/* packages could not be compiled offline",
    """`vela/op`, `vela/ql`, `vela/config` and friends exist only inside KubeVela, so no plain `cue` can
    compile a template that imports them. Such files are listed so that nobody mistakes silence for a
    pass; they are checked by the other rules (syntax, imports, conversion) all the same.""",
    area="Definitions",
    needs=("addon", "cue"),
)


DF04 = define(
    "DF04",
    "definitions.config-template",
    Severity.ERROR,
    "Each config template compiles and its parameter schema generates",
    """A config template (`config-templates/*.cue`) is compiled with KubeVela's default config context
    (`context: {name, namespace}`) and needs `metadata` with a `name` and a `template`; its schema is
    generated from `template.parameter` alone, so an `output` that is complete only once parameters are
    given (`"key: " + parameter.key`) is fine. `enable` fails on a template that does not compile.""",
    area="Definitions",
    needs=("addon", "cue"),
)
DF05 = define(
    "DF05",
    "definitions.spec-field",
    Severity.ERROR,
    "Each definition's attributes are fields of its kind",
    """KubeVela v1.10 and later decode a definition's spec strictly (`validateSpec`, `StrictUnmarshal`
    in pkg/definition/definition.go), so an attribute its kind does not define (`workload` in a
    TraitDefinition, a misspelt `podDisruptve`) fails `vela addon enable` with
    `invalid definition spec: json: unknown field`. Older releases dropped it silently.""",
    area="Definitions",
    needs=("addon", "cue"),
)
DF06 = define(
    "DF06",
    "definitions.undeclared-parameter",
    Severity.ERROR,
    "Each definition template declares the `parameter` it reads",
    """KubeVela's admission webhook (on by default in a KubeVela v1.10 install) compiles a definition's
    template with only its `context` (`ValidateCuexTemplate`), so a template that reads `parameter`
    without declaring it (`_params: #parameter & parameter`) is denied with `reference "parameter" not
    found`, after `vela addon enable` has written the Application (vela's CLI itself does not check it).
    Declare it: `parameter: #parameter`.""",
    area="Definitions",
    needs=("addon", "cue"),
)


class _NoFormat(Evaluator):
    """The borrowed evaluator's worker, minus `cue fmt`: lint never reads the formatted template text
    and status strings that render stores, so it skips those round trips (a fifth of a cold lint)."""

    def __init__(self, inner: Evaluator) -> None:
        super().__init__(backend=inner.backend)

    def fmt(self, texts: Sequence[str], *, simplify: bool = True) -> list[str]:
        return list(texts)

    def close(self) -> None:
        pass  # the worker belongs to `inner`


def _only(addon: Addon, definitions: tuple[SourceFile, ...], views: tuple[SourceFile, ...]) -> Addon:
    return dataclasses.replace(addon, cue_definitions=definitions, cue_views=views, yaml_definitions=())


def _rule_for(source: SourceFile | None, line: int | None) -> str:
    """A CUE error inside a definition's template body is DF02 (compile); anywhere else DF01."""
    if source is None:
        return "DF01"
    if source.rel.startswith("views/"):
        return "DF02"
    if line is None:
        return "DF01"
    try:
        split = split_definition(source.text)
    except (DefinitionError, CueSyntaxError):
        return "DF01"
    end_line = source.text.count("\n", 0, split.template_span.end) + 1
    return "DF02" if split.template_span.line <= line <= end_line else "DF01"


REFUSED_RULES = {"spec-field": "DF05", "undeclared-parameter": "DF06"}


@check(DF04)
def config_templates(ctx: LintContext) -> None:
    """Config templates as render converts them: anything render refuses is an error here."""
    addon = ctx.addon
    if addon is None or not addon.config_templates:
        return
    pending = tuple(s for s in addon.config_templates if ctx.syntax_error(s) is None)
    for _ in range(len(pending) + 1):
        if not pending:
            return
        try:
            render_config_templates(
                dataclasses.replace(addon, config_templates=pending), "vela-system", ctx.evaluator
            )
            return
        except InputError as exc:
            ctx.report_error("DF04", exc, pending[0], same_file=True)
            rel = ctx.rel(exc.path)
            rest = tuple(s for s in pending if s.rel != rel)
            if len(rest) == len(pending):
                return
            pending = rest


@check(DF01, DF02, DF03, DF05, DF06)
def definitions(ctx: LintContext) -> None:
    addon = ctx.addon
    if addon is None or not (addon.cue_definitions or addon.yaml_definitions or addon.cue_views):
        return
    # Files CU03 reports would only repeat here.
    cue_defs = tuple(s for s in addon.cue_definitions if ctx.syntax_error(s) is None)
    views = tuple(s for s in addon.cue_views if ctx.syntax_error(s) is None)
    yaml_defs = addon.yaml_definitions
    by_rel = {s.rel: s for s in (*cue_defs, *views, *yaml_defs)}

    rendered: list[RenderedDefinitions] = []
    pending = _only(addon, cue_defs, views)
    pending = dataclasses.replace(pending, yaml_definitions=yaml_defs)
    # One round trip for all of them; on an error drop the failing file and go on with the rest, so
    # k broken files cost k + 1 round trips and every one is reported.
    for _ in range(len(cue_defs) + len(views) + len(yaml_defs) + 1):
        try:
            rendered.append(render_definitions(pending, "vela-system", _NoFormat(ctx.evaluator)))
            break
        except InputError as exc:
            rel = ctx.rel(exc.path)
            source = by_rel.get(rel)
            message = exc.message.removeprefix("render addon definitions fail: ")
            if exc.hint:
                message += f"; {exc.hint}"
            rule = _rule_for(source, exc.line)
            if isinstance(exc, DefinitionRefused):
                rule = REFUSED_RULES.get(exc.reason, rule)
            ctx.report(rule, message, exc.path or "", exc.line, exc.col)
            for detail in exc.details:  # the other files' errors come when they are rendered alone
                if detail.path == exc.path:
                    ctx.report(
                        _rule_for(source, detail.line), detail.message, detail.path, detail.line, detail.col
                    )
            if source is None:
                break
            pending = dataclasses.replace(
                pending,
                cue_definitions=tuple(s for s in pending.cue_definitions if s.rel != rel),
                cue_views=tuple(s for s in pending.cue_views if s.rel != rel),
                yaml_definitions=tuple(s for s in pending.yaml_definitions if s.rel != rel),
            )
    for result in rendered:
        for rel in result.unchecked:
            ctx.report(
                "DF03",
                f"{rel} imports vela/* packages, which only KubeVela provides: its template was not "
                "compiled (not checked, not passed)",
                rel,
                1,
            )
        for obj in [*result.yaml_definitions, *result.cue_definitions]:
            kind = str(obj.get("kind"))
            if kind not in DEFINITION_ANNOTATIONS:
                name = obj.get("metadata", {}).get("name")
                ctx.report(
                    "DF01",
                    f"{kind} {name!r} cannot be part of an addon: vela addon records only Component, "
                    "Trait, Policy and WorkflowStep definitions and fails on others",
                    *_locate(ctx, str(name)),
                )


def _locate(ctx: LintContext, name: str) -> tuple[str, int | None, int | None]:
    """Where the definition `name` is named: its metadata label in a CUE file, else the first line of
    a YAML definition holding the name."""
    assert ctx.addon is not None
    for source in ctx.addon.yaml_definitions:
        pos = locate(source.text, name)
        if pos is not None:
            return source.rel, pos[0], pos[1]
    for source in ctx.addon.cue_definitions:
        try:
            split = split_definition(source.text)
        except (DefinitionError, CueSyntaxError):
            continue
        if split.name == name:
            return source.rel, split.name_span.line, split.name_span.col
    return "", None, None

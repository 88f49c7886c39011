"""CUE portability rules: code that today's evaluator accepts but newer CUE releases reject."""

from __future__ import annotations

from veladdon.addon.model import SourceFile
from veladdon.cue.source import ParsedSource, unused_imports
from veladdon.lint.context import LintContext
from veladdon.lint.listarith import find_list_arithmetic
from veladdon.lint.model import Severity
from veladdon.lint.ruleset import check, define

CU01 = define(
    "CU01",
    "cue.list-arithmetic",
    Severity.WARNING,
    "No list arithmetic (`+`/`*` on lists), which CUE v0.11 and later reject",
    """CUE v0.11 removed `list1 + list2` and `list * n` (cuelang.org/e/v0.11-list-arithmetic); KubeVela
    releases that embed a newer CUE fail on such addons. Use `list.Concat([a, b])` and
    `list.Repeat(a, n)` from the standard `list` package instead. Detection is lexical: a `+`/`*` with an
    operand that is a list literal or comprehension, or a reference to a field declared in the same
    file (or, for `parameter.x`, in parameter.cue) only with list values; string and number arithmetic
    never trigger it.""",
    area="CUE portability",
    needs=("addon",),
)
CU02 = define(
    "CU02",
    "cue.unused-import",
    Severity.ERROR,
    "Every import is used",
    """In a CUE file with a package clause an unused import is a compile error ("imported and not
    used"), and KubeVela renders addon files inside a package: the addon fails to enable.""",
    area="CUE portability",
    needs=("addon",),
)
CU03 = define(
    "CU03",
    "cue.syntax",
    Severity.ERROR,
    "Every CUE file scans: strings, brackets and attributes are closed",
    """A lexical error (an unterminated string, an unbalanced bracket) stops every evaluation of the
    file; it is reported here once, at its position, instead of by each rule that reads the file.""",
    area="CUE portability",
    needs=("addon",),
)


def cue_sources(ctx: LintContext) -> list[SourceFile]:
    if ctx.addon is None:
        return []
    return [f for f in ctx.addon.files() if f.rel.endswith(".cue")]


@check(CU01, CU02, CU03)
def portability(ctx: LintContext) -> None:
    if ctx.addon is None:
        return
    param_source = ctx.addon.parameter_file
    param: ParsedSource | None = ctx.parsed(param_source) if param_source is not None else None
    for source in cue_sources(ctx):
        error = ctx.syntax_error(source)
        if error is not None:
            ctx.report("CU03", f"CUE syntax error: {error.message}", source, error.line, error.col)
            continue
        ps = ctx.parsed(source)
        assert ps is not None
        if ctx.active("CU01"):
            for hit in find_list_arithmetic(ps, param):
                kind = "concatenation" if hit.op == "+" else "repetition"
                ctx.report(
                    "CU01",
                    f"list {kind} `{hit.expression}` is rejected by CUE v0.11 and later "
                    f"(cuelang.org/e/v0.11-list-arithmetic); write {hit.replacement} "
                    '(import "list")',
                    source,
                    hit.line,
                    hit.col,
                )
        if ctx.active("CU02"):
            for imp in unused_imports(source.text):
                ctx.report(
                    "CU02",
                    f'import "{imp.path}" is not used (CUE rejects unused imports); remove it',
                    source,
                    imp.path_span.line,
                    imp.path_span.col,
                )

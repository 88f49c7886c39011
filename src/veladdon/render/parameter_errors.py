"""CUE's errors about parameters in the user's words: which parameter, what is wrong with the value
given, the type parameter.cue declares and its usage text.

The error text is CUE's (the same on every CUE release: each rule below is tested on all of them);
the declaration is read from parameter.cue by the CUE reader (veladdon.cue.source), and the usage text
by the one rule of veladdon.render.openapi, the same that `veladdon params` shows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from veladdon.addon.model import SourceFile
from veladdon.cue.evaluator import CueError, CueFile, Diagnostic, Evaluator
from veladdon.cue.source import CueSyntaxError, FieldInfo, field_info, field_info_at
from veladdon.errors import Detail, InputError
from veladdon.render.openapi import usage

_PARAM_PATH = re.compile(r"^parameter((?:\.[\w\"-]+)+)")


def explain_parameter_error(
    exc: CueError, param: SourceFile | None, files: Sequence[CueFile], evaluator: Evaluator
) -> InputError:
    """`exc` (CUE's errors for an evaluation of `files`) with the parameter, its declared type and usage
    text named wherever an error is about one, that error first; `exc` itself when none is."""
    diags = list(exc.diagnostics)
    if any("incomplete value" in d.message for d in diags):
        missing = _missing_parameters(files, evaluator)
        if missing:
            diags = missing
    described = [_describe_parameter(diag, param) for diag in diags]
    lead = next((i for i, d in enumerate(described) if d is not None), None)
    if lead is None:
        return exc
    # The parameter error leads; every other error follows, in the same words.
    details = []
    for index, (diag, desc) in enumerate(zip(diags, described, strict=True)):
        if index != lead:
            details.append(Detail(desc.message, desc.path, desc.line, desc.col) if desc else diag.detail())
    first = described[lead]
    assert first is not None
    same = Detail(first.message, first.path, first.line, first.col)
    first.details = tuple(d for d in dict.fromkeys(details) if d != same)
    return first


def _missing_parameters(files: Sequence[CueFile], evaluator: Evaluator) -> list[Diagnostic]:
    """On an incomplete output, ask CUE which parameters have no value (only on the error path): the
    evaluation's parameter files (parameter.cue and the values given) alone."""
    parameter_files = [f for f in files if f.role == "parameter"]
    if not parameter_files:
        return []
    try:
        evaluator.export(parameter_files, ["parameter"])
    except CueError as exc:
        return [d for d in exc.diagnostics if d.message.startswith("parameter.")]
    return []


def _describe_parameter(diag: Diagnostic, param: SourceFile | None) -> InputError | None:
    match = _PARAM_PATH.match(diag.message)
    in_param_file = [p for p in diag.positions if param is not None and p.file == str(param.path)]
    if match is None and not in_param_file:
        return None
    name = match.group(1)[1:].replace('"', "") if match else None
    line = in_param_file[0].line if in_param_file else None
    info = _declaration(param, name, line)
    if info is not None and line is None:
        line = info.label_span.line
    if name is None and info is not None:
        name = info.label
    declared, usage_text = (info.value, usage(info.doc)) if info is not None else ("", "")
    detail = diag.message
    head, sep, rest = detail.partition(": ")
    if sep and " " not in head:  # a CUE path (`parameter.x`, or where v0.4 saw it used: `output.spec…`)
        detail = rest.strip()
    if "incomplete value" in detail:
        detail = " is required but has no value"
    elif "field not allowed" in detail:
        detail = " is not a parameter of this addon (the parameter schema is closed)"
    else:
        detail = _value_error(detail)
        detail = detail if detail.startswith(":") else f": {detail}"
    what = f"parameter `{name}`" if name else "parameter"
    extras = []
    if declared:
        extras.append(f"declared as `{declared}`")
    if usage_text:
        extras.append(f"usage: {usage_text}")
    suffix = f" ({'; '.join(extras)})" if extras else ""
    pos = in_param_file[0] if in_param_file else diag.primary
    if pos is None and param is not None:
        return InputError(
            f"{what}{detail}{suffix}",
            path=param.path,
            line=line,
            hint="set it with KEY=VALUE, --set KEY=VALUE or -f values.yaml",
        )
    return InputError(
        f"{what}{detail}{suffix}",
        path=pos.file if pos else None,
        line=pos.line if pos else None,
        col=pos.col if pos else None,
        hint="set it with KEY=VALUE, --set KEY=VALUE or -f values.yaml",
    )


_TYPE_NAMES = {
    "int": "an int",
    "string": "a string",
    "bool": "a bool",
    "float": "a float",
    "number": "a number",
    "bytes": "bytes",
    "null": "null",
}
_TYPE = r"(?:int|string|bool|float|number|bytes|null|\[.*\]|\{.*\})"
_TYPE_CONFLICT = re.compile(
    rf"^conflicting values (?:(?P<value>.+?) and (?P<type>{_TYPE})|(?P<type2>{_TYPE}) and (?P<value2>.+?))"
    r" \(mismatched types "
)
_OUT_OF_BOUND = re.compile(r"^invalid value (?P<value>.+?) \(out of bound (?P<bound>.+)\)$")


def _value_error(detail: str) -> str:
    """CUE's words for a value that fails its declaration, as a user says it: `"abc" is not an int`,
    `0 is not >=1` (the same on every CUE release: the disjunction with the default is already folded)."""
    if match := _OUT_OF_BOUND.match(detail):
        return f": {match.group('value')} is not {match.group('bound')}"
    if match := _TYPE_CONFLICT.match(detail):
        kind = match.group("type") or match.group("type2")
        value = match.group("value") or match.group("value2")
        if kind.startswith("["):
            wanted = "a list"
        elif kind.startswith("{"):
            wanted = "a struct"
        else:
            wanted = _TYPE_NAMES.get(kind, "")
        if wanted:
            return f": {value} is not {wanted}"
    return detail


def _declaration(param: SourceFile | None, name: str | None, line: int | None) -> FieldInfo | None:
    """The declaration an error is about, read by the CUE reader: the field whose label is on `line`
    (where CUE pointed into parameter.cue), else `parameter.<name>` (or its deepest declared parent)."""
    if param is None:
        return None
    try:
        if line is not None:
            return field_info_at(param.text, line)
        path = name.split(".") if name is not None else []
        for depth in range(len(path), 0, -1):
            info = field_info(param.text, ["parameter", *path[:depth]])
            if info is not None:
                return info
    except CueSyntaxError:
        return None  # parameter.cue does not scan: CUE's own error says so
    return None


__all__ = ["explain_parameter_error"]

"""The list-arithmetic heuristic (CU01) on its own: what it reports, what it must leave alone."""

from __future__ import annotations

import pytest

from veladdon.cue.source import ParsedSource
from veladdon.lint.listarith import find_list_arithmetic

PARAMETER = 'parameter: {\n\textra: *[] | [...string]\n\tname: *"x" | string\n\tmore: [...string]\n}\n'


def found(line: str) -> list[str]:
    text = f'package main\n\nargs: [...string]\n_name: "n"\nx: {line}\n'
    return [hit.replacement for hit in find_list_arithmetic(ParsedSource(text), ParsedSource(PARAMETER))]


@pytest.mark.parametrize(
    ("expression", "replacement"),
    [
        ('["a"] + ["b"]', 'list.Concat([["a"], ["b"]])'),
        ('args + ["--v"]', 'list.Concat([args, ["--v"]])'),
        ('["--v"] + parameter.extra', 'list.Concat([["--v"], parameter.extra])'),
        ("parameter.extra + parameter.more", "list.Concat([parameter.extra, parameter.more])"),
        ("[for a in args {a}] + args", "list.Concat([[for a in args {a}], args])"),
        ("a.b + [1] + c", "list.Concat([a.b, [1], c])"),
        ("[0] * 3", "list.Repeat([0], 3)"),
        ("3 * [0]", "list.Repeat([0], 3)"),
    ],
)
def test_list_arithmetic_is_found(expression: str, replacement: str) -> None:
    assert found(expression) == [replacement]


@pytest.mark.parametrize(
    "expression",
    [
        '"a" + "b"',
        "1 + 2 * 3",
        '_name + "-suffix"',
        'parameter.name + "-x"',
        '*"x" | string',
        "*[] | [...string]",
        'args[0] + "y"',
        "len(args) * 2",
        'strings.Join(args, ",") + "x"',
        "list.Concat([args, args])",
    ],
)
def test_no_false_alarm(expression: str) -> None:
    assert found(expression) == []


def test_a_label_with_a_non_list_value_somewhere_is_ambiguous() -> None:
    text = 'package main\n\na: {items: [1]}\nb: {items: "s"}\nc: b.items + "t"\n'
    assert find_list_arithmetic(ParsedSource(text)) == []


def test_position_is_the_start_of_the_expression() -> None:
    text = "package main\n\nx: {\n\ty: [\n\t\t1,\n\t] + [2]\n}\n"
    hits = find_list_arithmetic(ParsedSource(text))
    assert [(h.line, h.col, h.op) for h in hits] == [(4, 5, "+")]

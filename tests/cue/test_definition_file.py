"""Unit tests of the definition splitter and the status struct conversion (pure Python)."""

from __future__ import annotations

from pathlib import Path

import pytest

from veladdon.cue.definition_file import (
    DefinitionError,
    DefinitionSource,
    StatusStruct,
    split_definition,
    status_structs,
    with_status_literals,
)
from veladdon.cue.evaluator import Evaluator
from veladdon.cue.source import CueSyntaxError, top_level_fields

DATA = Path(__file__).parent / "data"


def read(name: str) -> str:
    return (DATA / name).read_text()


def stored_header(d: DefinitionSource, evaluator: Evaluator) -> str:
    """The header as KubeVela stores it: status structs through the real `cue fmt`."""
    return d.header_with(evaluator.fmt([s.fmt_text for s in d.status_structs], simplify=False))


def stored_status(header: str, evaluator: Evaluator) -> str:
    """`header` with its status structs as KubeVela stores them, through the real `cue fmt`."""
    text, structs = status_structs(header)
    return with_status_literals(text, structs, evaluator.fmt([s.fmt_text for s in structs], simplify=False))


# -- split_definition ----------------------------------------------------------------------------------


def test_component_with_imports_status_and_template(evaluator: Evaluator) -> None:
    text = read("component-webservice.cue")
    d = split_definition(text)
    assert d.name == "my-webservice"
    assert (d.name_span.line, d.name_span.col) == (7, 1)
    assert d.imports_text == 'import (\n\t"strings"\n\t"encoding/json"\n)'
    assert text[d.header_span.start : d.header_span.end].startswith("{\n\ttype:")
    header = stored_header(d, evaluator)
    assert 'healthPolicy: #"""\n  ready:    context.output.status.readyReplicas\n  isHealth: (' in header
    assert (
        'customStatus: #"""\n  message: "Ready:\\(context.output.status.readyReplicas)/'
        '\\(context.output.spec.replicas)"\n"""#'
    ) in header
    assert 'details: #"""\n  $local: {key: "value"}\n  replicas: context.output.status.replicas\n' in header
    # The rest of the header is untouched.
    assert '\t\t"oam.dev/custom": "yes"\n' in header
    body = d.template_body
    assert body.startswith("#Port: {\n\tname?: string\n")
    assert body.endswith("\tcpu?:             string | number\n}\n")
    assert '\tnotes: """\n\t\tDeployed {context.name}.\n' not in body  # dedented by one tab
    assert 'notes: """\n\tDeployed {context.name}.\n\t  "quotes" and } braces are fine here\n\t"""\n' in body
    assert (d.template_span.line, d.template_line) == (41, 42)
    # template_body line k is file line template_line + k - 1.
    file_lines = text.split("\n")
    for k, line in enumerate(body.rstrip("\n").split("\n")):
        assert file_lines[d.template_line - 1 + k].endswith(line)


def test_trait_with_patch_key_comment_and_chained_status() -> None:
    d = split_definition(read("trait-sidecar.cue"))
    assert d.name == "sidecar"
    assert d.imports_text == ""
    assert d.template_body.startswith(
        "patch: {\n\t// +patchKey=name\n\tspec: template: spec: containers: [{\n"
    )
    assert 'status: healthPolicy: #"""\nisHealth: true\n"""#' in d.header_text


def test_workflow_step_keeps_vela_imports() -> None:
    d = split_definition(read("workflow-step-apply.cue"))
    assert d.name == "apply-deployment"
    assert d.imports_text == 'import (\n\t"vela/op"\n)'
    assert d.template_body.startswith("output: op.#Apply & {\n")


def test_spec_example_mytrait() -> None:
    d = split_definition(read("trait-mytrait.cue"))
    assert d.name == "mytrait"
    assert d.template_body == 'parameter: {param: ""}\noutputs: {sample: {}}\n'
    assert d.header_text == read("trait-mytrait.cue").split("\ntemplate:")[0][len('"mytrait": ') :]


def test_one_line_template_and_chained_template() -> None:
    d = split_definition(
        '"mytrait": {type: "trait"}\ntemplate: {parameter: {param: ""}, outputs: {sample: {}}}\n'
    )
    assert d.template_body == 'parameter: {param: ""}, outputs: {sample: {}}\n'
    assert d.template_line == 2
    d = split_definition(read("policy-status-strings.cue"))
    assert d.template_body == "parameter: {\n\tclusters?: [...string]\n\tnamespace?: string\n}\n"
    assert d.template_line == 11


def test_status_strings_are_validated_and_kept() -> None:
    d = split_definition(read("policy-status-strings.cue"))
    assert (
        'healthPolicy: #"""\n\t\t\tisHealth: context.output.status.phase == "Running"\n\t\t\t"""#'
        in d.header_text
    )
    assert 'customStatus: "message: \\"ok\\""' in d.header_text


def test_chained_header_is_wrapped_in_braces(evaluator: Evaluator) -> None:
    d = split_definition('x: attributes: status: customStatus: {message: "m"}\ntemplate: {a: 1}\n')
    assert stored_header(d, evaluator) == '{attributes: status: customStatus: #"""\nmessage: "m"\n"""#}'


def test_ignored_declarations_and_non_regular_metadata() -> None:
    text = (
        "package foo\nlet X = 1\n#Helper: {a: 1}\n_hidden: 2\nopt?: {}\n"
        '"def": {type: "trait"}\ntemplate: {x: X}\n'
    )
    d = split_definition(text)
    assert d.name == "def"
    assert d.template_body == "x: X\n"


def test_repeated_metadata_field_is_unified() -> None:
    d = split_definition('a: {type: "trait"}\n"a": {description: "d"}\ntemplate: {x: 1}\n')
    assert d.name == "a"
    assert d.header_text == '{type: "trait"} & {description: "d"}'


def test_several_template_fields_concatenate() -> None:
    d = split_definition("a: {}\ntemplate: {x: 1}\ntemplate: y: 2\n")
    assert d.template_body == "x: 1\ny: 2\n"


@pytest.mark.parametrize(
    ("text", "message", "line", "col"),
    [
        ("template: {x: 1}\n", "no metadata found, invalid", 1, 1),
        ('import "strings"\n', "no metadata found, invalid", 1, 1),
        ("#OnlyDef: {}\ntemplate: {x: 1}\n", "no metadata found, invalid", 1, 1),
        ("a: {}\n", "no template found, invalid", 1, 1),
        ("a: {}\n\ntemplate: {}\n", "no template found, invalid", 3, 1),
        ('"template": {x: 1}\na: {}\n', "no template found, invalid", 1, 1),
        ("a: {}\nb: {}\ntemplate: {x: 1}\n", "duplicated definition name found, a and b", 2, 1),
        ("a: {}\ntemplate: x\n", "unexpected decl found in template: template: x", 2, 1),
        (
            "a: {}\ntemplate: {x: 1} & {y: 2}\n",
            "unexpected decl found in template: template: {x: 1} & {y: 2}",
            2,
            1,
        ),
        ("a: {}\n[string]: _\ntemplate: {x: 1}\n", "found unexpected decl when parsing cue: ", 2, 1),
        (
            "a: {attributes: status: healthPolicy: {x: 1}}\ntemplate: {x: 1}\n",
            "healthPolicy must contain an 'isHealth' field",
            1,
            25,
        ),
    ],
)
def test_split_errors(text: str, message: str, line: int, col: int) -> None:
    with pytest.raises(DefinitionError) as err:
        split_definition(text)
    assert (err.value.message, err.value.line, err.value.col) == (message, line, col)


def test_split_syntax_error() -> None:
    with pytest.raises(CueSyntaxError) as err:
        split_definition('a: {}\ntemplate: {\n\tx: "unterminated\n}\n')
    assert (err.value.line, err.value.col) == (3, 5)


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.cue")))
def test_template_body_reparses_to_the_same_declarations(name: str) -> None:
    d = split_definition(read(name))
    text = read(name)
    template = next(t for t in top_level_fields(text) if t.label == "template")
    assert template.value_span is not None
    original = text[template.value_span.start : template.value_span.end]
    body_labels = [t.label for t in top_level_fields(d.template_body)]
    inner_labels = (
        [t.label for t in top_level_fields(original.strip()[1:-1])] if original.startswith("{") else []
    )
    assert body_labels == inner_labels or not original.startswith("{")


# -- status_structs -----------------------------------------------------------------------------------


def test_status_conversion_of_multiline_struct(evaluator: Evaluator) -> None:
    header = """{
	type: "component"
	attributes: status: {
		healthPolicy: {
			isHealth: context.output.status.ready == true
		}
		details: {
			phase: context.output.status.phase
		}
	}
}"""
    out = stored_status(header, evaluator)
    assert (
        out
        == """{
	type: "component"
	attributes: status: {
		healthPolicy: #\"\"\"
  isHealth: context.output.status.ready == true
\"\"\"#
		details: #\"\"\"
  phase: context.output.status.phase
\"\"\"#
	}
}"""
    )


def test_status_conversion_inline_and_empty(evaluator: Evaluator) -> None:
    out = stored_status(
        '{attributes: {status: {customStatus: { message: "hi" , extra:2 }, details: {}}}}', evaluator
    )
    assert out == '{attributes: {status: {customStatus: #"""\nmessage: "hi", extra: 2\n"""#, details: "{}"}}}'


def test_status_conversion_leaves_other_headers_alone() -> None:
    for header in ('{type: "trait"}', "{attributes: {}}", "{attributes: status: {}}", "someReference"):
        assert status_structs(header) == (header, ())


def test_status_conversion_uses_the_formatters_output() -> None:
    text, structs = status_structs("{attributes: status: healthPolicy: {\n  isHealth:   true\n}}")
    seen = [s.text for s in structs]
    out = with_status_literals(text, structs, ["x: {\n\tisHealth: true\n}\n"])
    assert seen == ["{\n  isHealth:   true\n}"]
    assert out == '{attributes: status: healthPolicy: #"""\n  isHealth: true\n"""#}'


def test_health_policy_inside_if_comprehension(evaluator: Evaluator) -> None:
    header = (
        "{attributes: status: healthPolicy: {\n"
        "\tif context.output.status != _|_ {\n\t\tisHealth: context.output.status.ok\n\t}\n}}"
    )
    assert "if context.output.status != _|_ {\n    isHealth: context.output.status.ok\n  }" in (
        stored_status(header, evaluator)
    )


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("healthPolicy: {ok: true}", "healthPolicy must contain an 'isHealth' field"),
        (
            "healthPolicy: {isHealth: 1}",
            "healthPolicy field 'isHealth' must be a boolean literal (true/false), got INT",
        ),
        (
            "healthPolicy: {isHealth: null}",
            "healthPolicy field 'isHealth' must be a boolean literal (true/false), got null",
        ),
        (
            "healthPolicy: {isHealth: {a: 1}}",
            "healthPolicy field 'isHealth' must be a boolean expression, got *ast.StructLit",
        ),
        (
            "healthPolicy: {isHealth: [true]}",
            "healthPolicy field 'isHealth' must be a boolean expression, got *ast.ListLit",
        ),
        ("customStatus: {msg: 1}", "customStatus must contain a 'message' field"),
        ("customStatus: {message: 2.5}", "customStatus field 'message' must be a string, got FLOAT"),
        (
            "customStatus: {message: {a: 1}}",
            "customStatus field 'message' must be a string expression, got *ast.StructLit",
        ),
        (
            "details: {a: {b: 1}}",
            'status.details field "a" contains unsupported expression type *ast.StructLit',
        ),
        (
            "details: {a: [1, 2]}",
            'status.details field "a" contains unsupported expression type *ast.ListLit',
        ),
        ("details: {a: -x}", 'status.details field "a" contains unsupported expression type *ast.UnaryExpr'),
        (
            "details: {a: x[0]}",
            'status.details field "a" contains unsupported expression type *ast.IndexExpr',
        ),
        (
            'details: {a: "\\(x)"}',
            'status.details field "a" contains unsupported expression type *ast.Interpolation',
        ),
        ("details: {let x = 1\n a: x}", "status.details contains non-field element"),
        ("healthPolicy: 5", "expected attributes.status.healthPolicy field to be string, got INT"),
        ("healthPolicy: someRef", "unexpected type for attributes.status.healthPolicy field: *ast.Ident"),
        (
            'healthPolicy: "ok: true"',
            "attributes.status.healthPolicy field failed validation: "
            "healthPolicy must contain an 'isHealth' field",
        ),
        (
            'customStatus: #"""\n  message: {\n  """#',
            "attributes.status.customStatus field failed validation: invalid cue content in string literal: "
            "'{' is not closed (expected '}' before end of file)",
        ),
    ],
)
def test_status_validation_errors(status: str, message: str) -> None:
    header = "{\n\tattributes: status: " + status + "\n}"
    with pytest.raises(DefinitionError) as err:
        status_structs(header)
    assert err.value.message == message
    assert (err.value.line, err.value.col) == (2, 22)


@pytest.mark.parametrize(
    "status",
    [
        "healthPolicy: {isHealth: a}",
        "healthPolicy: {isHealth: !a}",
        "healthPolicy: {isHealth: (a)}",
        "healthPolicy: {isHealth: len(a) > 0}",
        "healthPolicy: {isHealth: a.b.c}",
        "healthPolicy: {isHealth: strings.HasPrefix(a, b)}",
        "healthPolicy: {isHealth: false}",
        "customStatus: {message: [for c in x {c}][0]}",
        'customStatus: {message: "a \\(b)"}',
        "customStatus: {message: a + b}",
        "customStatus: {message: x[1:2]}",
        "details: {$tmp: {a: [1]}, a: 1, b: a.b, c: f(x), d: a + b, e: *1 | int, f: true}",
        'healthPolicy: "import \\"strings\\"\\nisHealth: strings.HasPrefix(a, b)"',
        'details: """\n  a: 1\n  """',
        'details: ""',
    ],
)
def test_status_values_accepted(status: str) -> None:
    status_structs("{attributes: status: " + status + "}")


# -- status structs through the real `cue fmt` ----------------------------------------------------------


def test_status_struct_is_formatted_by_cue(evaluator: Evaluator) -> None:
    src = (
        "{\n   a: [1, 2]\n   bbbb: 1\n   cc: 1    // c\n   dddddd: 2\n   e: {x: 1}\n   ffff: 3\n"
        '   k: a &\n  b\n   llll: 1\n   conds: [{\n         x: 1\n     }]\n   s: """\n        multi\n'
        '          line\n        """\n\n   // comment\n   z: 1\n}'
    )
    struct = StatusStruct("details", src, "_veladdon_status_0")
    assert struct.value(*evaluator.fmt([struct.fmt_text], simplify=False)) == (
        "  a: [1, 2]\n  bbbb:   1\n  cc:     1 // c\n  dddddd: 2\n  e: {x: 1}\n  ffff: 3\n"
        '  k:    a &\n    b\n  llll: 1\n  conds: [{\n    x: 1\n  }]\n  s: """\n    multi\n'
        '      line\n    """\n\n  // comment\n  z: 1'
    )

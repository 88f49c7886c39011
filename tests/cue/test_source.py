"""Unit tests of the pure-Python CUE lexer and source reader (no evaluator involved)."""

from __future__ import annotations

from pathlib import Path

import pytest

from veladdon.cue.lexer import ATTRIBUTE, BOTTOM, COMMENT, IDENT, NUMBER, STRING, tokenize
from veladdon.cue.source import (
    CueSyntaxError,
    Span,
    declares,
    field_info,
    field_info_at,
    field_position,
    fields_named,
    label_position,
    parse,
    read_header,
    string_position,
    top_level_fields,
    unquote_string,
    unused_imports,
    with_package,
)

DATA = Path(__file__).parent / "data"
CUE_FILES = sorted(DATA.rglob("*.cue"))


# -- lexer ---------------------------------------------------------------------------------------------


def kinds(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokenize(text)]


def test_identifiers_and_keywords() -> None:
    assert kinds("#Def _hidden _#x $x a1 _ package") == [
        (IDENT, "#Def"),
        (IDENT, "_hidden"),
        (IDENT, "_#x"),
        (IDENT, "$x"),
        (IDENT, "a1"),
        (IDENT, "_"),
        (IDENT, "package"),
    ]


def test_bottom_numbers_operators() -> None:
    assert kinds('x != _|_ && y >= 1.5Gi || z =~ "a" ... 0x1F + .25 1e-3') == [
        (IDENT, "x"),
        ("punct", "!="),
        (BOTTOM, "_|_"),
        ("punct", "&&"),
        (IDENT, "y"),
        ("punct", ">="),
        (NUMBER, "1.5Gi"),
        ("punct", "||"),
        (IDENT, "z"),
        ("punct", "=~"),
        (STRING, '"a"'),
        ("punct", "..."),
        (NUMBER, "0x1F"),
        ("punct", "+"),
        (NUMBER, ".25"),
        (NUMBER, "1e-3"),
    ]


def test_selector_after_operand_is_not_a_number() -> None:
    assert kinds("a.b[0].c") == [
        (IDENT, "a"),
        ("punct", "."),
        (IDENT, "b"),
        ("punct", "["),
        (NUMBER, "0"),
        ("punct", "]"),
        ("punct", "."),
        (IDENT, "c"),
    ]


@pytest.mark.parametrize(
    "literal",
    [
        '"a { b } : c // d"',
        "'bytes { }'",
        '#"raw "quoted" \\(not) }"#',
        '##"two "# hashes"##',
        '"""\n  multi { "quoted" }\n  """',
        "#'''\n  raw bytes ''' inside\n  '''#",
        '"esc \\" still inside }"',
    ],
)
def test_string_forms_are_single_tokens(literal: str) -> None:
    toks = tokenize(f"x: {literal}")
    assert [t.kind for t in toks] == [IDENT, "punct", STRING]
    assert toks[2].text == literal


def test_interpolation_tokens_are_nested() -> None:
    (tok,) = tokenize('"a \\(strings.Join(["}", ")"], ",")) b"')
    assert tok.kind == STRING
    assert len(tok.parts) == 1
    assert [t.text for t in tok.parts[0]][:4] == ["strings", ".", "Join", "("]
    raw = tokenize('#"a \\#(x) \\(y)"#')[0]
    assert [[t.text for t in p] for p in raw.parts] == [["x"]]


def test_comments_and_attributes() -> None:
    toks = tokenize('a: 1 @go(A,type="}") // c { "\n', keep_comments=True)
    assert [t.kind for t in toks] == [IDENT, "punct", NUMBER, ATTRIBUTE, COMMENT]
    assert toks[3].text == '@go(A,type="}")'
    assert toks[4].text == '// c { "'


def test_positions_are_one_based_and_track_newlines() -> None:
    toks = tokenize('a: """\n  x\n  """\n\tb: 2')
    b = toks[3]
    assert (b.text, b.line, b.col, b.nl_before) == ("b", 4, 2, True)
    assert toks[0].nl_before is False


@pytest.mark.parametrize(
    ("text", "message", "line", "col"),
    [
        ('a: 1\nb: "abc\nc: 2', "string literal not terminated", 2, 4),
        ('x: """abc"""', "expected newline after multiline quote", 1, 7),
        ('x: #"abc"', "string literal not terminated", 1, 4),
        ('x: """\n  abc\n', "string literal not terminated", 1, 4),
        ('x: "\\(a.b', "interpolation not terminated", 1, 10),
        ('x: "\\(a.b "', "string literal not terminated", 1, 11),
        ("a: 1\n  b: ~", "illegal character '~' (U+007E)", 2, 6),
        ("x: 1 @foo", "invalid attribute: expected '('", 1, 10),
    ],
)
def test_lexical_errors(text: str, message: str, line: int, col: int) -> None:
    with pytest.raises(CueSyntaxError) as err:
        tokenize(text)
    assert (err.value.message, err.value.line, err.value.col) == (message, line, col)


@pytest.mark.parametrize(
    ("text", "message", "line", "col"),
    [
        ("a: {\n  b: 1\n", "'{' is not closed (expected '}' before end of file)", 1, 4),
        ("a: 1\n}", "unexpected '}'", 2, 1),
        ("a: [1, 2}", "expected ']', found '}'", 1, 9),
    ],
)
def test_unbalanced_brackets(text: str, message: str, line: int, col: int) -> None:
    with pytest.raises(CueSyntaxError) as err:
        top_level_fields(text)
    assert (err.value.message, err.value.line, err.value.col) == (message, line, col)


def test_braces_in_strings_comments_and_interpolations_are_ignored() -> None:
    text = 'a: "}"\n// {\nb: "\\({x: "}"}.x)"\nc: #"{"#\nd: """\n  }\n  """\n'
    assert [d.label for d in top_level_fields(text)] == ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ('"a\\nb\\t\\"q\\" \\u00e9 \\/"', 'a\nb\t"q" é /'),
        ('#"raw \\n \\#n"#', "raw \\n \n"),
        ("'bytes'", "bytes"),
        ('"\\(x)"', None),
        ('"""\nx\n"""', None),
    ],
)
def test_unquote_string(literal: str, value: str | None) -> None:
    assert unquote_string(literal) == value


# -- read_header ---------------------------------------------------------------------------------------


def test_read_header_package_and_grouped_imports() -> None:
    text = (
        '// doc\npackage foo\n\nimport (\n\t"strings"\n\tj "encoding/json"\n'
        '\t"k8s.io/api/core/v1"\n\t"x.io/y:z"\n)\nimport "vela/op"\n'
    )
    header = read_header(text)
    assert header.package == "foo"
    assert header.package_span is not None
    assert (header.package_span.line, header.package_span.col) == (2, 9)
    assert header.package_clause_span is not None and header.package_clause_span.col == 1
    assert [(i.path, i.alias, i.name) for i in header.imports] == [
        ("strings", None, "strings"),
        ("encoding/json", "j", "j"),
        ("k8s.io/api/core/v1", None, "v1"),
        ("x.io/y:z", None, "z"),
        ("vela/op", None, "op"),
    ]
    json_import = header.imports[1]
    assert (json_import.span.line, json_import.span.col) == (6, 2)
    assert (json_import.path_span.line, json_import.path_span.col) == (6, 4)


def test_read_header_without_package() -> None:
    header = read_header('import "strings"\nx: strings.ToUpper("a")\n')
    assert header.package is None and header.package_span is None
    assert [i.name for i in header.imports] == ["strings"]


def test_package_and_import_as_labels_are_fields() -> None:
    text = 'package: "x"\nimport: 1\n'
    header = read_header(text)
    assert header.package is None and header.imports == ()
    assert [(d.kind, d.label) for d in top_level_fields(text)] == [("field", "package"), ("field", "import")]


def test_read_header_of_data_files() -> None:
    assert read_header((DATA / "addon/template.cue").read_text()).package == "main"
    assert read_header((DATA / "addon/parameter.cue").read_text()).package is None
    hdr = read_header((DATA / "component-webservice.cue").read_text())
    assert [i.name for i in hdr.imports] == ["strings", "json"]


def test_invalid_import_spec() -> None:
    with pytest.raises(CueSyntaxError) as err:
        read_header("import (\n\tfoo bar\n)\n")
    assert err.value.line == 2


# -- with_package --------------------------------------------------------------------------------------


def test_with_package_replaces_existing_identifier() -> None:
    text = "// c\npackage   foo // trailing\n\nx: 1\n"
    assert with_package(text, "main") == "// c\npackage   main // trailing\n\nx: 1\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('import "strings"\nx: 1\n', 'package main, import "strings"\nx: 1\n'),
        ("// comment\nx: 1\n", "package main, // comment\nx: 1\n"),
        ("\nx: 1\n", "package main\nx: 1\n"),
        ("x: 1", "package main, x: 1"),
        ("", "package main"),
        ("\ufeffx: 1\n", "\ufeffpackage main, x: 1\n"),
        ("@extern(embed)\nx: 1\n", "@extern(embed), package main,\nx: 1\n"),
        ("@a()\n@b(x)  // c\nx: 1\n", "@a()\n@b(x), package main,  // c\nx: 1\n"),
        ("@a(), x: 1\n", "@a(), package main, x: 1\n"),
    ],
)
def test_with_package_inserts_on_line_one(text: str, expected: str) -> None:
    assert with_package(text, "main") == expected


def test_with_package_rejects_bad_names() -> None:
    for bad in ("", "a-b", "#x", "_x", "1a"):
        with pytest.raises(ValueError):
            with_package("x: 1", bad)


@pytest.mark.parametrize("path", CUE_FILES, ids=lambda p: str(p.relative_to(DATA)))
@pytest.mark.parametrize("name", ["main", "foo"])
def test_with_package_round_trip_keeps_lines(path: Path, name: str) -> None:
    text = path.read_text()
    out = with_package(text, name)
    before, after = text.split("\n"), out.split("\n")
    assert len(after) == len(before)
    header = read_header(text)
    clause_line = header.package_span.line if header.package_span else 1
    for number, (a, b) in enumerate(zip(before, after, strict=True), start=1):
        if number != clause_line:
            assert a == b
    assert read_header(out).package == name
    # Every declaration keeps its line; the package clause is the only new declaration.
    old = [(d.kind, d.label, d.span.line) for d in top_level_fields(text) if d.kind != "package"]
    new = [(d.kind, d.label, d.span.line) for d in top_level_fields(out) if d.kind != "package"]
    assert old == new
    assert with_package(out, name) == out


# -- top_level_fields / declares -----------------------------------------------------------------------

DECLS = """\
import "strings"
#Def: {a: int}
_hidden: 1
"quoted-\\u0041": 2
opt?: string
req!: int
a: b: c: 3
[string]: _
("dyn"): 4
"\\(k)": 5
X=alias: 6
let L = strings.ToUpper("x")
for k, v in {a: 1, b: 2} {
	"gen-\\(k)": v
}
if L != _|_ {cond: 1}
{embedded: 1}
...
@attr(x)
w: 1 @tag(y), z: 2
"""


def test_top_level_declaration_kinds_and_labels() -> None:
    got = [(d.kind, d.label, d.label_kind, d.constraint) for d in top_level_fields(DECLS)]
    assert got == [
        ("import", None, "", ""),
        ("field", "#Def", "ident", ""),
        ("field", "_hidden", "ident", ""),
        ("field", "quoted-A", "string", ""),
        ("field", "opt", "ident", "?"),
        ("field", "req", "ident", "!"),
        ("field", "a", "ident", ""),
        ("field", None, "pattern", ""),
        ("field", None, "dynamic", ""),
        ("field", None, "dynamic", ""),
        ("field", "alias", "ident", ""),
        ("let", "L", "ident", ""),
        ("comprehension", None, "", ""),
        ("comprehension", None, "", ""),
        ("embed", None, "", ""),
        ("ellipsis", None, "", ""),
        ("attribute", None, "", ""),
        ("field", "w", "ident", ""),
        ("field", "z", "ident", ""),
    ]


def test_spans_of_fields() -> None:
    decls = {d.label: d for d in top_level_fields(DECLS) if d.label}
    chain = decls["a"]
    assert DECLS[chain.value_span.start : chain.value_span.end] == "b: c: 3"  # type: ignore[union-attr]
    assert (chain.span.line, chain.span.col) == (7, 1)
    w = decls["w"]
    assert w.value_span is not None and DECLS[w.value_span.start : w.value_span.end] == "1"
    assert DECLS[w.span.start : w.span.end] == "w: 1 @tag(y)"
    quoted = decls["quoted-A"]
    assert quoted.label_span is not None
    assert DECLS[quoted.label_span.start : quoted.label_span.end] == '"quoted-\\u0041"'
    assert (quoted.label_span.line, quoted.label_span.col) == (4, 1)


def test_multiline_values_and_newline_commas() -> None:
    text = "a: x &&\n\ty\nb: [\n\t1,\n\t2,\n]\nc: d.\n\te\nf: 1, g: 2\n"
    assert [d.label for d in top_level_fields(text)] == ["a", "b", "c", "f", "g"]


def test_declares() -> None:
    template = (DATA / "addon/template.cue").read_text()
    assert declares(template, "output")
    assert declares(template, "outputs")
    assert not declares(template, "notes")
    assert not declares(template, "spec")  # nested, not top-level
    assert declares('if x { notes: "a" }', "notes")
    assert declares("{output: 1}", "output")
    assert declares('"output": 1', "output")
    assert declares("output: a: 1", "output")
    assert not declares('x: "output: 1"', "output")
    assert not declares("// output: 1\nx: 1", "output")


# -- unused_imports ------------------------------------------------------------------------------------


def test_unused_imports_basic() -> None:
    text = (
        'package main\n\nimport (\n\t"strings"\n\t"encoding/json"\n\tb64 "encoding/base64"\n'
        '\t"list"\n)\n\nx: strings.ToUpper("a")\n'
    )
    assert [(i.name, i.path_span.line, i.path_span.col) for i in unused_imports(text)] == [
        ("json", 5, 2),
        ("b64", 6, 6),
        ("list", 7, 2),
    ]


def test_interpolation_counts_as_use_strings_and_comments_do_not() -> None:
    text = (
        'import (\n\t"strings"\n\t"strconv"\n\t"list"\n)\n'
        'a: "\\(strings.ToUpper("x"))"\nb: "strconv.Itoa"\n// list.Concat\n'
    )
    assert [i.name for i in unused_imports(text)] == ["strconv", "list"]


def test_labels_and_selectors_are_not_uses() -> None:
    text = 'import "strings"\nimport "encoding/json"\nstrings: 1\nx: a.json\ny: {json?: 1}\n'
    assert [i.name for i in unused_imports(text)] == ["strings", "json"]


def test_bare_identifier_and_dynamic_label_are_uses() -> None:
    text = 'import "strings"\nimport "list"\nx: strings\n(list.Concat([["a"]])[0]): 1\n'
    assert unused_imports(text) == ()


def test_unused_imports_of_data_files() -> None:
    for name in ("component-webservice.cue", "workflow-step-apply.cue", "addon/resources/configmap.cue"):
        assert unused_imports((DATA / name).read_text()) == (), name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'parameter: {\n\t// +usage=x\n\timage: *"a" | string\n\t"quoted-key"?: int\n}\n',
            {"image", "quoted-key"},
        ),
        ("parameter: {a: 1}\nparameter: {b: 2}\n", {"a", "b"}),
        ("parameter: a: b: 1\n", {"a"}),
        ("parameter: {a: 1, ...}\n", None),
        ("parameter: #Schema\n", None),
        ("parameter: {if true {a: 1}}\n", None),
        ("other: {a: 1}\n", None),
    ],
)
def test_declared_fields(text: str, expected: set[str] | None) -> None:
    from veladdon.cue.source import declared_fields

    assert declared_fields(text, "parameter") == expected


# -- positions -----------------------------------------------------------------------------------------

POSITIONS = """// output: spec: components: not here
package main
x: "output"
output: {
\t// components: nor here
\tspec: components: [{
\t\tname: "a"
\t\ttype: "k8s-objects"
\t}, {name: "b"}]
}
outputs: {if true {foo: {a: 1}}}
other: {name: "b"}
"""


def at(span: Span | None) -> tuple[int, int] | None:
    return None if span is None else (span.line, span.col)


def test_field_position_is_the_label_never_a_comment_or_a_string() -> None:
    assert at(field_position(POSITIONS, ["output"])) == (4, 1)
    assert at(field_position(POSITIONS, ["output", "spec", "components"])) == (6, 8)
    assert at(field_position(POSITIONS, ["output", "spec", "components", "type"])) == (8, 3)
    assert at(field_position(POSITIONS, ["outputs", "foo"])) == (11, 20)  # inside a comprehension
    assert field_position(POSITIONS, ["output", "metadata"]) is None
    assert field_position(POSITIONS, ["components"]) is None  # not a top-level field
    assert at(label_position(POSITIONS, "components")) == (6, 8)
    assert label_position(POSITIONS, "nowhere") is None


def test_string_position_inside_a_field() -> None:
    assert at(string_position(POSITIONS, "b", ["output", "spec", "components"])) == (9, 12)
    assert at(string_position(POSITIONS, "b")) == (9, 12)
    assert at(string_position(POSITIONS, "b", ["other"])) == (12, 15)
    assert at(string_position(POSITIONS, "output")) == (3, 4)
    assert string_position(POSITIONS, "k8s-objects", ["other"]) is None


def test_each_text_is_lexed_once() -> None:
    text = "a: 1\nb: {c: 2}\n"
    assert parse(text) is parse(text)
    before = parse.cache_info().hits
    read_header(text), declares(text, "b"), top_level_fields(text), field_position(text, ["b", "c"])
    assert parse.cache_info().hits >= before + 4


PARAMETERS = """package main
// A note
// +usage=The image
//  to run
parameter: {
\t// +usage=Replicas +short=r
\treplicas: *1 | int // trailing
\timage?: string @tag(x)

\t// after a blank line
\tx: int
\tres: {
\t\tcpu: string
\t}
}
"""


def test_field_info_reads_the_value_and_the_doc_comment() -> None:
    info = field_info(PARAMETERS, ["parameter", "replicas"])
    assert info is not None
    assert (info.label, info.value, info.doc) == ("replicas", "*1 | int", "+usage=Replicas +short=r")
    info = field_info(PARAMETERS, ["parameter", "image"])
    assert info is not None and (info.value, info.doc) == ("string", "")  # attributes are not the value
    info = field_info(PARAMETERS, ["parameter"])
    assert info is not None and info.doc == "A note\n+usage=The image\n to run"
    info = field_info(PARAMETERS, ["parameter", "res"])
    assert info is not None and info.value == "{"  # the value as written on the label's line
    info = field_info_at(PARAMETERS, 11)
    assert info is not None and (info.label, info.doc) == ("x", "after a blank line")
    assert field_info_at(PARAMETERS, 9) is None
    assert [f.label_span.line for f in fields_named(PARAMETERS, "cpu")] == [13]

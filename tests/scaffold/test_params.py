"""The parameter reader (veladdon.render.params) behind `veladdon params`: what CUE says the schema is,
flattened the way users set values, and the README block it keeps in step.

(Lives beside the scaffold tests because the scaffold writes README tables with it.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import EXAMPLE
from veladdon.addon.loader import load_addon
from veladdon.cue.evaluator import Evaluator
from veladdon.errors import InputError
from veladdon.render.params import (
    README_END,
    README_START,
    Parameter,
    markdown_table,
    read_parameters,
    readme_table,
    text_table,
    update_readme,
)

TRICKY = """\
// A header comment, a package clause and an import: all allowed in parameter.cue.
package other

import "strings"

parameter: {
	//+usage=Resources of each pod
	//+short=r
	resources: {
		//+usage=CPU request | limit
		cpu: *"100m" | string
		memory?: string
	}
	// a plain comment is the author's note, not usage
	ports: *[] | [...{port: *80 | int}]
	mode: *"fast" | "safe"
	token: string
	labels: [string]: string
	ratio: *0.5 | number
	debug: *false | bool
	extra: _
	size: *2 | int & >=1 & <=5
	tier: #Tier
	shout: strings.ToUpper("x")
	nothing: *null | string
}
#Tier: {name: *"gold" | string}
"""


def write_addon(root: Path, parameter: str | None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "metadata.yaml").write_text(f"name: {root.name}\nversion: 1.0.0\n")
    if parameter is not None:
        (root / "parameter.cue").write_text(parameter)
    return root


def by_name(params: tuple[Parameter, ...]) -> dict[str, Parameter]:
    return {p.name: p for p in params}


def test_redis_example(evaluator: Evaluator) -> None:
    schema = read_parameters(load_addon(EXAMPLE), evaluator)
    assert [p.name for p in schema.parameters] == ["image", "namespace", "clusters"]
    image, namespace, clusters = schema.parameters
    assert (image.type, image.default, image.required, image.optional) == (
        "string",
        "quay.io/spotahome/redis-operator:v1.1.0",
        False,
        False,
    )
    assert image.usage == "Container image of the Redis Operator"
    assert namespace.optional and not namespace.has_default and not namespace.required
    assert clusters.type == "[...string]" and clusters.optional
    assert clusters.usage.startswith("Clusters to install the operator to")
    # the schema upstream stores: titles and usage-only descriptions (FixOpenAPISchema)
    assert schema.schema["properties"]["image"]["title"] == "image"
    assert schema.schema["properties"]["image"]["description"] == "Container image of the Redis Operator"


def test_cue_decides_types_defaults_and_what_is_required(tmp_path: Path, evaluator: Evaluator) -> None:
    schema = read_parameters(load_addon(write_addon(tmp_path / "t", TRICKY)), evaluator)
    params = by_name(schema.parameters)
    assert list(params) == [
        "resources",
        "resources.cpu",
        "resources.memory",
        "ports",
        "mode",
        "token",
        "labels",
        "ratio",
        "debug",
        "extra",
        "size",
        "tier",
        "tier.name",
        "shout",
        "nothing",
    ]
    assert params["resources"].usage == "Resources of each pod"  # +short= dropped
    assert params["resources"].type == "struct" and not params["resources"].required
    assert params["resources.cpu"].usage == "CPU request | limit"
    assert params["resources.memory"].optional
    assert params["ports"].usage == ""  # a plain comment is not usage
    assert (params["ports"].type, params["ports"].default) == ("[...struct]", [])
    assert (params["mode"].type, params["mode"].default, params["mode"].enum) == (
        '"fast" | "safe"',
        "fast",
        ("fast", "safe"),
    )
    assert params["token"].required and params["extra"].required
    assert (params["labels"].type, params["labels"].default) == ("{[string]: string}", {})
    assert (params["ratio"].type, params["debug"].type, params["size"].type) == ("number", "bool", "int")
    assert params["tier.name"].default == "gold" and not params["tier"].required  # via a definition
    assert params["shout"].default == "X" and not params["shout"].required  # computed by CUE
    assert (params["nothing"].type, params["nothing"].has_default) == ("null | string", True)
    required = [p.name for p in schema.parameters if p.required]
    assert required == ["token", "extra"]


def test_no_parameter_file_means_no_parameters(tmp_path: Path, evaluator: Evaluator) -> None:
    schema = read_parameters(load_addon(write_addon(tmp_path / "t", None)), evaluator)
    assert schema.parameters == () and schema.file is None
    assert "takes no parameters" in markdown_table(())


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("parameter: {\n\ta: *1 | int\n\tb: 1 +\n}\n", "expected operand", 4),
        ('parameter: {\n\ta: "unterminated\n}\n', "syntax error", 2),
        ("x: 1\n", "declares no `parameter` field", 1),
        ("parameter: {\n\ta: *1 | int\n\ta: string\n}\n", "parameter schema does not compile", 2),
    ],
)
def test_bad_parameter_files_name_the_line(
    tmp_path: Path, evaluator: Evaluator, text: str, message: str, line: int
) -> None:
    addon = load_addon(write_addon(tmp_path / "t", text))
    with pytest.raises(InputError, match=message) as info:
        read_parameters(addon, evaluator)
    assert info.value.line == line
    assert "_veladdon" not in str(info.value)
    assert "\n" not in info.value.one_line()


def test_tables() -> None:
    params = [
        Parameter("image", "string", False, False, True, "nginx", "The | image"),
        Parameter("token", "string", True, False, False, None, ""),
        Parameter("zone", "string", False, True, False, None, "Zone"),
    ]
    assert text_table(params) == (
        "NAME   TYPE    DEFAULT  REQUIRED  USAGE\n"
        'image  string  "nginx"  no        The | image\n'
        "token  string           yes\n"
        "zone   string  unset    no        Zone\n"
    )
    assert markdown_table(params).splitlines()[2:] == [
        '| `image` | `string` | `"nginx"` | no | The \\| image |',
        "| `token` | `string` |  | yes |  |",
        "| `zone` | `string` | unset | no | Zone |",
    ]


def test_readme_block_is_replaced_in_place_or_appended() -> None:
    table = "| new |\n"
    text = f"# a\n\nintro\n\n{README_START}\n| old |\n{README_END}\n\n## More\n"
    assert readme_table(text) == "| old |\n"
    updated = update_readme(text, table)
    assert updated == f"# a\n\nintro\n\n{README_START}\n| new |\n{README_END}\n\n## More\n"
    assert readme_table(updated) == table
    appended = update_readme("# a\n\nintro\n", table)
    assert appended == f"# a\n\nintro\n\n## Parameters\n\n{README_START}\n| new |\n{README_END}\n"
    assert readme_table("# a\n") is None

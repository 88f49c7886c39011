"""Render accepts what `vela addon enable` accepts and refuses what it refuses (issue 12): one fixture
per case under tests/data/addons/, run through the CLI as a user runs it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import ADDONS
from veladdon.cli.main import run

Capture = pytest.CaptureFixture[str]
APP = {"apiVersion": "core.oam.dev/v1beta1", "kind": "Application"}
# Fixtures that render, and what they warn about (once, on stderr); fixtures that render refuses, with
# the line of the user's file the error points at and words it must say.
ACCEPTED = {
    "app-no-kind": ["template.cue:3:1: `output` has no apiVersion and no kind"],
    "app-wrong-kind": ['template.cue:5:2: apiVersion "apps/v1" and kind "Deployment" are ignored'],
    "version-not-semver": ["metadata.yaml:2: version 'v1beta2-1.3.8-3.1.1' is not a semantic version"],
    "config-template-interpolation": [],
    "outputs-no-namespace": [],
}
REFUSED = {
    "trait-unknown-spec-field": (
        "definitions/labels.cue:7:3",
        'invalid definition spec: json: unknown field "workload"',
        "KubeVela v1.10 and later refuse it",
    ),
    "definition-undeclared-parameter": (
        "definitions/web.cue:14:24",
        'template._params: reference "parameter" not found',
        "a KubeVela v1.10.9 cluster denies the definition after the Application is written",
    ),
    "outputs-no-apiversion": ("template.cue:9:10", "outputs.settings has no apiVersion", "API server"),
    "outputs-no-kind": ("template.cue:9:10", "outputs.settings has no kind", "API server"),
    "outputs-no-name": ("template.cue:9:10", "outputs.settings has no metadata.name", "API server"),
}
INTERNAL = ("_veladdon", "internal error", "Traceback", "KeyError", "CUE error:")


def veladdon(capsys: Capture, *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.usefixtures("cue_release")
@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_fixture_renders_and_warns_once(capsys: Capture, name: str) -> None:
    code, out, err = veladdon(capsys, "render", str(ADDONS / name), "-o", "yaml")
    assert code == 0, err
    app = next(yaml.safe_load_all(out))
    assert {k: app[k] for k in APP} == APP
    assert list(app)[:2] == ["apiVersion", "kind"]
    warnings = [line for line in err.splitlines() if line.startswith("Warning: ")]
    assert len(warnings) == len(ACCEPTED[name]), err
    for warning, expected in zip(warnings, ACCEPTED[name], strict=True):
        assert f"{ADDONS / name}/{expected}" in warning
    assert not any(word in err for word in INTERNAL), err


@pytest.mark.usefixtures("cue_release")
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_fixture_exits_2_at_the_users_line(capsys: Capture, name: str) -> None:
    where, what, why = REFUSED[name]
    code, out, err = veladdon(capsys, "render", str(ADDONS / name))
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"Error: {ADDONS / name}/{where}: ")
    assert what in lines[0] and why in lines[0]
    assert not any(word in lines[0] for word in INTERNAL), lines[0]


@pytest.mark.usefixtures("cue_release")
def test_wrong_kind_is_printed_as_an_application(capsys: Capture) -> None:
    code, out, _ = veladdon(capsys, "render", str(ADDONS / "app-wrong-kind"), "-o", "json")
    assert code == 0
    assert '"kind": "Deployment"' not in out and '"apps/v1"' not in out


@pytest.mark.usefixtures("cue_release")
def test_template_yaml_with_another_kind_warns(capsys: Capture, tmp_path: Path) -> None:
    addon = tmp_path / "yaml-kind"
    addon.mkdir()
    (addon / "metadata.yaml").write_text("name: yaml-kind\nversion: 1.0.0\n")
    (addon / "template.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nspec:\n  components: []\n")
    code, out, err = veladdon(capsys, "render", str(addon), "-o", "yaml")
    assert code == 0, err
    app = next(yaml.safe_load_all(out))
    assert {k: app[k] for k in APP} == APP
    assert err.count("Warning: ") == 1
    assert f'{addon}/template.yaml:2:1: apiVersion "apps/v1" and kind "Deployment" are ignored' in err


@pytest.mark.usefixtures("cue_release")
def test_config_template_schema_comes_from_the_parameter(capsys: Capture) -> None:
    code, out, err = veladdon(capsys, "render", str(ADDONS / "config-template-interpolation"), "-o", "yaml")
    assert code == 0, err
    docs = {d["metadata"]["name"]: d for d in yaml.safe_load_all(out)}
    configmap = docs["config-template-terraform-example"]
    schema = yaml.safe_load(configmap["data"]["schema"])
    assert list(schema["properties"]) == [
        "EXAMPLE_ACCESS_KEY",
        "EXAMPLE_REGION",
        "EXAMPLE_SECRET_KEY",
        "name",
    ]
    assert schema["required"] == ["name", "EXAMPLE_ACCESS_KEY", "EXAMPLE_SECRET_KEY", "EXAMPLE_REGION"]
    assert schema["properties"]["name"]["default"] == "default"
    # The stored template is the user's whole file (with KubeVela's default context appended).
    assert 'creds1: "accessKeyID: " + parameter.EXAMPLE_ACCESS_KEY' in configmap["data"]["template"]


@pytest.mark.usefixtures("cue_release")
def test_config_template_that_does_not_compile_is_refused(capsys: Capture, tmp_path: Path) -> None:
    addon = tmp_path / "config-template-interpolation"
    shutil.copytree(ADDONS / addon.name, addon)
    source = addon / "config-templates" / "terraform-provider-example.cue"
    source.write_text(source.read_text().replace("parameter.EXAMPLE_REGION", "paramter.EXAMPLE_REGION"))
    # A reference that does not resolve: pkg/config/factory.go: ParseTemplate compiles the whole
    # script, so this is refused where an `output` that is only incomplete is not.
    code, _, err = veladdon(capsys, "render", str(addon))
    assert code == 2, err
    line = err.splitlines()[0]
    assert line.startswith(f"Error: {source}:22:15:")
    assert 'reference "paramter" not found' in line
    assert "render the config template fail: the cue script is invalid: " in line
    assert not any(word in line for word in INTERNAL), line


@pytest.mark.usefixtures("cue_release")
def test_version_that_cannot_be_a_label_is_refused(capsys: Capture, tmp_path: Path) -> None:
    addon = tmp_path / "version-not-semver"
    shutil.copytree(ADDONS / addon.name, addon)
    (addon / "metadata.yaml").write_text("name: version-not-semver\nversion: 1.0.0+build.7\n")
    code, out, err = veladdon(capsys, "render", str(addon))
    assert (code, out) == (2, "")
    assert err.startswith(f"Error: {addon}/metadata.yaml:2: ")
    assert "cannot be a Kubernetes label value" in err


@pytest.mark.usefixtures("cue_release")  # `package` lints and renders the addon (docs/publishing.md)
def test_package_refuses_a_version_that_is_not_semver(capsys: Capture, tmp_path: Path) -> None:
    code, _, err = veladdon(capsys, "package", str(ADDONS / "version-not-semver"), "-d", str(tmp_path))
    assert code == 2, err
    assert "PK04" in err and "not a semantic version" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("cue_release")
def test_an_outputs_error_points_at_its_field_not_at_a_comment_naming_it(
    capsys: Capture, tmp_path: Path
) -> None:
    addon = tmp_path / "outputs-no-name"
    shutil.copytree(ADDONS / "outputs-no-name", addon)
    template = addon / "template.cue"
    text = template.read_text().replace(
        "package main\n", 'package main\n\n// settings: the greeting ConfigMap\n_notes: settings: "x"\n'
    )
    template.write_text(text)
    code, _, err = veladdon(capsys, "render", str(addon))
    assert code == 2
    assert err.startswith(f"Error: {template}:12:10: outputs.settings has no metadata.name")

"""Everything an addon installs besides the Application (upstream §5.8–§5.13, §6.7, §6.9)."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ADDONS, EXAMPLE
from veladdon.addon.loader import load_addon
from veladdon.cue.evaluator import Evaluator
from veladdon.errors import InputError
from veladdon.render import RenderOptions, RenderResult, notes_for, render_addon
from veladdon.render.notes import mask_secret

ALL = ADDONS / "all-objects"


def render(path: Path, evaluator: Evaluator, **args: Any) -> RenderResult:
    return render_addon(load_addon(path), RenderOptions(args=args), evaluator=evaluator)


def by_name(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects}


@pytest.fixture(scope="module")
def result(evaluator: Evaluator) -> RenderResult:
    return render(ALL, evaluator)


def test_example_application_then_topology_then_definition(evaluator: Evaluator) -> None:
    objects = render(EXAMPLE, evaluator).objects()
    assert [o["kind"] for o in objects] == ["Application", "ConfigMap", "ComponentDefinition"]
    app, topology, definition = objects
    assert app["metadata"]["annotations"] == {"addon.oam.dev/componentDefinitions": "redis-failover"}
    assert topology["metadata"]["name"] == "redis-operator-topology"
    assert definition["metadata"]["name"] == "redis-failover"
    template = definition["spec"]["schematic"]["cue"]["template"]
    assert 'kind:       "RedisFailover"' in template
    assert "replicas: *3 | int" in template
    assert definition["spec"]["workload"]["definition"]["kind"] == "RedisFailover"


def test_order_of_objects(result: RenderResult) -> None:
    # outputs, YAML definitions, CUE definitions, config templates, schemas, views (upstream §5.14)
    names = [o["metadata"]["name"] for o in result.objects()]
    assert names == [
        "addon-all-objects",
        "plain-config",
        "yaml-trait",
        "my-comp",
        "mytrait",
        "notify",
        "config-template-helm-repository",
        "component-uischema-helm",
        "cloud-resource-view",
        "pod-view",
    ]


def test_init_sample_trait(result: RenderResult) -> None:
    trait = by_name(result.objects())["mytrait"]
    assert trait["apiVersion"] == "core.oam.dev/v1beta1"
    assert trait["kind"] == "TraitDefinition"
    assert trait["metadata"]["namespace"] == "vela-system"
    assert trait["metadata"]["annotations"] == {
        "definition.oam.dev/alias": "mt",
        "definition.oam.dev/description": "My trait description.",
    }
    spec = trait["spec"]
    assert spec["appliesToWorkloads"] == ["deployments.apps", "replicasets.apps", "statefulsets.apps"]
    assert spec["conflictsWith"] == []
    assert spec["podDisruptive"] is False
    assert spec["workloadRefPath"] == ""
    # `cue fmt -s` (format.Simplify upstream) collapses one-field structs
    assert spec["schematic"]["cue"]["template"] == 'parameter: param: ""\noutputs: sample: {}\n'


def test_component_definition_annotations_labels_and_status(result: RenderResult) -> None:
    comp = by_name(result.objects())["my-comp"]
    meta = comp["metadata"]
    assert meta["annotations"] == {
        "custom.definition.oam.dev/owner": "platform",
        "definition.oam.dev/icon": "x",
        "definition.oam.dev/description": "A component with a status",
    }
    assert meta["labels"] == {"custom.definition.oam.dev/tier": "backend"}
    status = comp["spec"]["status"]
    assert status["healthPolicy"].strip() == (
        "isHealth: context.output.status.readyReplicas == context.output.spec.replicas"
    )
    assert status["customStatus"].strip().startswith("message:")
    template = comp["spec"]["schematic"]["cue"]["template"]
    assert template.startswith('import (\n\t"strings"\n)\n')
    assert "metadata: name: strings.ToLower(context.name)" in template


def test_vela_imports_are_kept_and_reported_unchecked(result: RenderResult) -> None:
    step = by_name(result.objects())["notify"]
    assert step["kind"] == "WorkflowStepDefinition"
    assert '"vela/op"' in step["spec"]["schematic"]["cue"]["template"]
    assert result.unchecked == ("definitions/notify.cue",)


def test_yaml_definition_namespace_forced(result: RenderResult) -> None:
    trait = by_name(result.objects())["yaml-trait"]
    assert trait["metadata"]["namespace"] == "vela-system"
    assert "parameter.replicas" in trait["spec"]["schematic"]["cue"]["template"]


def test_definitions_recorded_on_application(result: RenderResult) -> None:
    assert result.application["metadata"]["annotations"] == {
        "addon.oam.dev/componentDefinitions": "my-comp",
        "addon.oam.dev/traitDefinitions": "yaml-trait,mytrait",
        "addon.oam.dev/workflowStepDefinitions": "notify",
    }


def test_bind_component_filter(result: RenderResult, evaluator: Evaluator) -> None:
    names = {o["metadata"]["name"] for o in result.objects()}
    assert "bound-config" not in names and "dashboard-only" not in names
    assert any("bound-config" in s and "'dashboard'" in s for s in result.skipped)
    with_dashboard = render(ALL, evaluator, dashboard=True)
    names = {o["metadata"]["name"] for o in with_dashboard.objects()}
    assert {"bound-config", "dashboard-only"} <= names
    assert with_dashboard.application["metadata"]["annotations"]["addon.oam.dev/policyDefinitions"] == (
        "dashboard-only"
    )
    assert with_dashboard.skipped == ()


def test_ui_schema_configmap(result: RenderResult) -> None:
    schema = by_name(result.objects())["component-uischema-helm"]
    assert schema["apiVersion"] == "v1" and schema["kind"] == "ConfigMap"
    assert schema["metadata"] == {"name": "component-uischema-helm", "namespace": "vela-system"}
    raw = schema["data"]["ui-schema"]
    assert "\\u003cb\\u003e" in raw  # Go's json.Marshal escapes HTML characters
    assert json.loads(raw)[0] == {"jsonKey": "url", "label": "Repo URL", "validate": {"required": True}}


def test_views(result: RenderResult) -> None:
    objects = by_name(result.objects())
    assert objects["cloud-resource-view"]["data"]["template"] == 'status: "ok"\n'
    pod_view = objects["pod-view"]
    assert pod_view["metadata"] == {"name": "pod-view", "namespace": "vela-system"}
    assert pod_view["data"]["template"].startswith("parameter: {")


def test_config_template(result: RenderResult) -> None:
    cm = by_name(result.objects())["config-template-helm-repository"]
    assert cm["metadata"]["labels"] == {
        "config.oam.dev/catalog": "velacore-config",
        "config.oam.dev/scope": "project",
    }
    assert cm["metadata"]["annotations"]["config.oam.dev/alias"] == "Helm Repository"
    assert cm["metadata"]["annotations"]["config.oam.dev/sensitive"] == "false"
    schema = yaml.safe_load(cm["data"]["schema"])
    assert schema["required"] == ["url"]
    assert schema["properties"]["url"] == {
        "description": "The public url of the helm chart repository.",
        "title": "url",
        "type": "string",
    }
    assert schema["properties"]["insecureSkipTLS"]["default"] is False
    assert yaml.safe_load(cm["data"]["expanded-writer"]) == {"nacos": None}
    assert cm["data"]["template"].endswith("\n\n\tcontext: {\n\t\tname: string\n\t\tnamespace: string\n\t}\n")


def test_parameter_secret(evaluator: Evaluator) -> None:
    assert render(ALL, evaluator).secret is None
    secret = render(ALL, evaluator, greeting="<hi>", dashboard=True).secret
    assert secret is not None
    assert secret["metadata"] == {"name": "addon-secret-all-objects", "namespace": "vela-system"}
    assert secret["type"] == "Opaque"
    payload = base64.b64decode(secret["data"]["addonParameterDataKey"]).decode()
    assert payload == '{"dashboard":true,"greeting":"\\u003chi\\u003e"}'
    assert mask_secret(secret)["data"] == {"addonParameterDataKey": "***"}


def test_notes_first_install_and_upgrade(evaluator: Evaluator) -> None:
    addon = load_addon(ALL)
    first, warning = notes_for(addon, RenderOptions(args={"greeting": "hi"}), evaluator)
    assert warning is None
    assert first == "Thank you for your first installation!\nGreeting: hi. Version 1.2.0."
    upgrade, _ = notes_for(addon, RenderOptions(upgrade=True), evaluator)
    assert upgrade == "Thank you for your upgrade!\nGreeting: hello. Version 1.2.0."


def test_broken_notes_only_warn(evaluator: Evaluator, tmp_path: Path) -> None:
    addon_dir = tmp_path / "all-objects"
    shutil.copytree(ALL, addon_dir)
    (addon_dir / "NOTES.cue").write_text("notes: 3\n")
    notes, warning = notes_for(load_addon(addon_dir), RenderOptions(), evaluator)
    assert notes is None
    assert warning is not None and warning.startswith("fail to render notes for addon all-objects")


def test_round_trips_do_not_grow_with_definitions(evaluator: Evaluator, tmp_path: Path) -> None:
    def calls_for(count: int) -> int:
        addon_dir = tmp_path / f"defs-{count}"
        shutil.copytree(ALL, addon_dir)
        source = (addon_dir / "definitions" / "mytrait.cue").read_text()
        for i in range(count):
            (addon_dir / "definitions" / f"extra{i}.cue").write_text(
                source.replace('"mytrait"', f'"extra{i}"')
            )
        addon = load_addon(addon_dir)
        before = evaluator.calls
        render_addon(addon, RenderOptions(), evaluator=evaluator)
        return evaluator.calls - before

    baseline = calls_for(0)
    assert baseline == calls_for(6)
    # app, definitions+views, template fmt, status-struct fmt (all-objects writes status structs: they
    # go through `cue fmt` without `-s`, templates with it), config-template export + schema
    assert baseline <= 6


def test_stored_templates_are_valid_cue(evaluator: Evaluator, tmp_path: Path) -> None:
    """Round trip: every CUE definition in the project's fixtures renders to a template (imports
    included) that `cue fmt` accepts and leaves as it is."""
    addon_dir = tmp_path / "every-definition"
    (addon_dir / "definitions").mkdir(parents=True)
    (addon_dir / "metadata.yaml").write_text("name: every-definition\nversion: 1.0.0\n")
    sources = [
        *EXAMPLE.glob("definitions/*.cue"),
        *ALL.glob("definitions/*.cue"),
        *(Path(__file__).parent.parent / "cue" / "data").glob("*.cue"),
    ]
    for index, source in enumerate(sorted(sources)):
        text = source.read_text()
        if 'annotations: "addon.oam.dev/bind-component"' in text:
            continue
        if source.name == "policy-status-strings.cue":
            continue  # a lexer fixture: `status` is not a field of PolicyDefinition's spec upstream
        (addon_dir / "definitions" / f"{index:02d}-{source.name}").write_text(text)
    result = render_addon(load_addon(addon_dir), RenderOptions(), evaluator=evaluator)
    templates = [d["spec"]["schematic"]["cue"]["template"] for d in result.cue_definitions]
    assert len(templates) >= 8
    formatted = evaluator.fmt(templates)  # raises on invalid CUE
    assert formatted == templates  # already in the formatter's canonical form


def _copy_all(tmp_path: Path) -> Path:
    target = tmp_path / "all-objects"
    shutil.copytree(ALL, target)
    return target


@pytest.mark.parametrize(
    ("filename", "text", "expected", "line"),
    [
        ("definitions/bad.cue", '"bad": {type: "trait"\ntemplate: {}\n', "in cue's format", None),
        (
            "definitions/two.cue",
            '"a": {type: "trait"}\n"b": {type: "trait"}\ntemplate: {x: 1}\n',
            "duplicated definition name found, a and b",
            2,
        ),
        ("definitions/kind.cue", '"k": {type: "widget"}\ntemplate: {x: 1}\n', "invalid type widget", 1),
        (
            "definitions/attr.cue",
            '"t": {type: "trait", attributes: {workload: {}}}\ntemplate: {x: 1}\n',
            'json: unknown field "workload" (`attributes.workload` is not a field of a TraitDefinition',
            1,
        ),
        ("definitions/nometa.cue", "template: {x: 1}\n", "no metadata found, invalid", None),
        ("definitions/notemplate.cue", '"n": {type: "trait"}\n', "no template found, invalid", None),
        ("schemas/broken.yaml", "a: [1, 2\n", "render uiSchema file schemas/broken.yaml: invalid YAML", 2),
        (
            "views/empty-view.cue",
            "parameter: {}\nresult: 1\n",
            "no `status` or `export` field found in view",
            None,
        ),
        ("config-templates/nameless.cue", "template: {parameter: {}}\n", "needs `metadata`", None),
        (
            "definitions/workload.yaml",
            "apiVersion: core.oam.dev/v1beta1\nkind: WorkloadDefinition\nmetadata:\n  name: w\n",
            "cannot handle definition types WorkloadDefinition, name w",
            None,
        ),
    ],
)
def test_bad_auxiliary_files(
    evaluator: Evaluator, tmp_path: Path, filename: str, text: str, expected: str, line: int | None
) -> None:
    addon_dir = _copy_all(tmp_path)
    (addon_dir / filename).write_text(text)
    with pytest.raises(InputError) as err:
        render_addon(load_addon(addon_dir), RenderOptions(), evaluator=evaluator)
    message = err.value.one_line()
    assert expected in message
    if "WorkloadDefinition" not in expected:
        assert err.value.path is not None and err.value.path.endswith(filename)
    if line is not None:
        assert err.value.line == line


def test_template_compile_error_points_at_the_definition_line(evaluator: Evaluator, tmp_path: Path) -> None:
    addon_dir = _copy_all(tmp_path)
    (addon_dir / "definitions" / "broken.cue").write_text(
        '"broken": {\n\ttype: "trait"\n}\ntemplate: {\n\tpatch: x: undefinedThing.y\n}\n'
    )
    with pytest.raises(InputError) as err:
        render_addon(load_addon(addon_dir), RenderOptions(), evaluator=evaluator)
    assert 'reference "undefinedThing" not found' in err.value.message
    assert err.value.path is not None and err.value.path.endswith("definitions/broken.cue")
    assert err.value.line == 5


def test_config_template_without_name(evaluator: Evaluator, tmp_path: Path) -> None:
    addon_dir = _copy_all(tmp_path)
    (addon_dir / "config-templates" / "anon.cue").write_text(
        'metadata: {scope: "system"}\ntemplate: {parameter: {a?: string}}\n'
    )
    with pytest.raises(InputError) as err:
        render_addon(load_addon(addon_dir), RenderOptions(), evaluator=evaluator)
    assert "`metadata.name` is required" in err.value.message
    assert err.value.path is not None and err.value.path.endswith("config-templates/anon.cue")

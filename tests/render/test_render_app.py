"""Golden behaviour of the Application render (upstream §5.2–§5.7), compared as parsed objects."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ADDONS
from veladdon.addon.loader import load_addon
from veladdon.cue.evaluator import CueError, Evaluator
from veladdon.errors import InputError
from veladdon.render import RenderOptions, RenderResult, render_addon


def render(name: str, evaluator: Evaluator, **args: Any) -> RenderResult:
    return render_addon(load_addon(ADDONS / name), RenderOptions(args=args), evaluator=evaluator)


def components(result: RenderResult) -> list[dict[str, Any]]:
    comps: list[dict[str, Any]] = result.application["spec"]["components"]
    return comps


def test_resource_in_template_package_is_merged(evaluator: Evaluator) -> None:
    result = render("package-merge", evaluator)
    comps = components(result)
    assert [c["name"] for c in comps] == ["ns", "fetched"]
    assert comps[0]["properties"]["objects"] == [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "vela-system"}}
    ]
    assert comps[1]["properties"] == {"urls": ["https://hello.yaml"]}
    policies = result.application["spec"]["policies"]
    assert len(policies) == 2
    assert {"clusterLabelSelector": {}} in [p["properties"] for p in policies]


def test_resource_without_package_is_not_merged(evaluator: Evaluator) -> None:
    with pytest.raises(CueError) as err:
        render("package-mismatch", evaluator)
    assert 'reference "myref" not found' in err.value.message
    assert err.value.path is not None and err.value.path.endswith("package-mismatch/template.cue")
    assert err.value.line == 13


def test_custom_package_name_shared_by_all_files(evaluator: Evaluator) -> None:
    result = render("custom-package", evaluator)
    assert [c["name"] for c in components(result)] == ["ns", "fetched"]


def test_identity_labels_and_namespace(evaluator: Evaluator) -> None:
    app = render("package-merge", evaluator).application
    assert app["apiVersion"] == "core.oam.dev/v1beta1"
    assert app["kind"] == "Application"
    assert app["metadata"]["name"] == "addon-package-merge"
    assert app["metadata"]["namespace"] == "vela-system"
    assert app["metadata"]["labels"] == {
        "addons.oam.dev/name": "package-merge",
        "addons.oam.dev/version": "1.0.0",
    }


def test_system_namespace_is_configurable(evaluator: Evaluator) -> None:
    addon = load_addon(ADDONS / "need-namespace")
    result = render_addon(addon, RenderOptions(system_namespace="test-vela"), evaluator=evaluator)
    assert result.application["metadata"]["namespace"] == "test-vela"
    names = [c["name"] for c in components(result)]
    assert names == ["test-ns-namespace", "vela-system-namespace", "test-ns2-namespace"]


def test_legacy_standalone_components(evaluator: Evaluator) -> None:
    result = render("legacy-components", evaluator, image="1.4.1")
    comps = components(result)
    # template components, then the CUE components in file order; helpers.cue has no output
    assert [c["name"] for c in comps] == ["from-template", "my-config", "velaux"]
    assert comps[2] == {"name": "velaux", "type": "webservice", "properties": {"image": "1.4.1"}}
    config = comps[1]["properties"]
    assert comps[1]["type"] == "raw"
    assert config["metadata"]["labels"]["version"] == "1.0.1"  # context.metadata.version
    assert config["data"]["value"] == "DEFAULT"  # legacy resources/parameter.cue default


def test_yaml_resources_become_one_k8s_objects_component(evaluator: Evaluator) -> None:
    result = render("yaml-resources", evaluator)
    comps = components(result)
    assert len(comps) == 1
    assert comps[0]["name"] == "yaml-resources-resources"
    assert comps[0]["type"] == "k8s-objects"
    objects = comps[0]["properties"]["objects"]
    # depth-first, lexicographic file order; only the first document of a file; .json ignored
    assert [o["metadata"]["name"] for o in objects] == ["a", "b", "c"]
    assert result.application["metadata"]["labels"]["addons.oam.dev/name"] == "yaml-resources"


def test_need_namespace_skips_system_namespace(evaluator: Evaluator) -> None:
    comps = components(render("need-namespace", evaluator))
    assert comps == [
        {
            "name": "test-ns-namespace",
            "type": "raw",
            "properties": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "test-ns"}},
        },
        {
            "name": "test-ns2-namespace",
            "type": "raw",
            "properties": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "test-ns2"}},
        },
    ]


def test_deploy_to_all_clusters(evaluator: Evaluator) -> None:
    policies = render("deploy-to", evaluator).application["spec"]["policies"]
    assert policies[-1] == {
        "name": "deploy-addon-to-all-clusters",
        "type": "topology",
        "properties": {"clusterLabelSelector": {}},
    }
    assert policies[0]["type"] == "shared-resource"


def test_deploy_to_specified_clusters_appends_local(evaluator: Evaluator) -> None:
    policies = render("deploy-to", evaluator, clusters=["add-c1", "add-c2"]).application["spec"]["policies"]
    assert policies[-1] == {
        "name": "deploy-addon-to-specified-clusters",
        "type": "topology",
        "properties": {"clusters": ["add-c1", "add-c2", "local"]},
    }


def test_deploy_to_with_own_topology_warns(evaluator: Evaluator) -> None:
    result = render("deploy-to-conflict", evaluator)
    assert [p["name"] for p in result.application["spec"]["policies"]] == ["my-topology"]
    assert any("deployTo in metadata will NOT have any effect" in w for w in result.warnings)


def test_deploy_to_ignored_for_cue_template(evaluator: Evaluator, tmp_path: Path) -> None:
    addon_dir = tmp_path / "package-merge"
    shutil.copytree(ADDONS / "package-merge", addon_dir)
    (addon_dir / "metadata.yaml").write_text(
        "name: package-merge\nversion: 1.0.0\ndeployTo:\n  runtimeCluster: true\n"
    )
    result = render_addon(load_addon(addon_dir), RenderOptions(), evaluator=evaluator)
    assert [p["name"] for p in result.application["spec"]["policies"]] == ["shared", "everywhere"]


def test_overwritten_name_and_namespace_warn(evaluator: Evaluator) -> None:
    result = render("outputs-order", evaluator)
    meta = result.application["metadata"]
    assert meta["name"] == "addon-outputs-order"
    assert meta["namespace"] == "vela-system"
    assert meta["labels"]["team"] == "platform"
    assert (
        "Application name custom-name will be overwritten with addon-outputs-order. "
        "Consider removing metadata.name in template." in result.warnings
    )
    assert (
        "Namespace default will be overwritten with vela-system. "
        "Consider removing metadata.namespace in template." in result.warnings
    )


def test_outputs_sorted_and_labelled(evaluator: Evaluator) -> None:
    result = render("outputs-order", evaluator)
    assert [o["metadata"]["name"] for o in result.outputs] == ["alpha", "zeta"]
    for obj, key in zip(result.outputs, ["alpha", "zeta"], strict=True):
        assert obj["metadata"]["labels"] == {
            "addons.oam.dev/auxiliary-name": key,
            "addons.oam.dev/name": "outputs-order",
            "addons.oam.dev/version": "2.0.0",
        }
        assert obj["data"] == {"value": "myData"}
    assert result.objects()[0] is result.application


def test_parameter_defaults_vs_given_values(evaluator: Evaluator) -> None:
    default = render("outputs-order", evaluator)
    given = render("outputs-order", evaluator, data="given", replicas=3)
    assert default.outputs[0]["data"]["value"] == "myData"
    assert given.outputs[0]["data"]["value"] == "given"
    assert components(default)[0]["properties"]["replicas"] == 1
    assert components(given)[0]["properties"]["replicas"] == 3


def test_wrong_parameter_type_names_parameter_type_and_usage(evaluator: Evaluator) -> None:
    with pytest.raises(InputError) as err:
        render("outputs-order", evaluator, replicas="three")
    text = err.value.one_line()
    assert "parameter `replicas`" in text
    assert "*1 | int" in text
    assert "replica count" in text
    assert err.value.path is not None and err.value.path.endswith("outputs-order/parameter.cue")


def test_missing_required_parameter(evaluator: Evaluator) -> None:
    with pytest.raises(InputError) as err:
        render("required-param", evaluator)
    text = err.value.one_line()
    assert "parameter `dbURL` is required" in text
    assert "the database URL the service connects to" in text
    ok = render("required-param", evaluator, dbURL="postgres://db")
    assert components(ok)[0]["properties"]["env"] == [{"name": "DB_URL", "value": "postgres://db"}]


def test_render_is_deterministic(evaluator: Evaluator) -> None:
    first = render("outputs-order", evaluator)
    second = render("outputs-order", evaluator)
    assert json.dumps(first.objects(), sort_keys=True) == json.dumps(second.objects(), sort_keys=True)


def test_one_evaluator_round_trip_per_render(evaluator: Evaluator) -> None:
    before = evaluator.calls
    render("legacy-components", evaluator)
    assert evaluator.calls - before == 1
    before = evaluator.calls
    render("yaml-resources", evaluator)
    assert evaluator.calls == before  # nothing to evaluate


def test_undeclared_parameter_is_a_warning(evaluator: Evaluator) -> None:
    warning = (
        "parameter 'replcas' is not declared in parameter.cue (declared: data, replicas); "
        "the templates ignore it"
    )
    assert warning in render("outputs-order", evaluator, replicas=2, replcas=3).warnings
    assert not [w for w in render("outputs-order", evaluator, replicas=2).warnings if "not declared" in w]

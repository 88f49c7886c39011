"""`disable` on the emulator: the in-use check, garbage collection, objects GC cannot reach, dry run,
waiting, timeouts and Ctrl-C. State is set up as `veladdon enable` leaves it."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.kubeapi.fixtures import KubeTarget, wait_for
from veladdon.kube import disable as disable_mod
from veladdon.kube.cluster import Cluster
from veladdon.kube.disable import (
    AddonInUse,
    AddonNotEnabled,
    DisableInterrupted,
    DisableTimeout,
    Disposal,
    disable,
    execute_disable,
    in_use_message,
    plan_disable,
)
from veladdon.kube.records import ObjectRef, definitions_of, encode_objects
from veladdon.wire import APP_API_VERSION, OBJECTS_ANNOTATION

# Also against KubeVela's real controller (the `controller` target), where it is built.
pytestmark = pytest.mark.with_controller

NS = "vela-system"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def install_addon(
    cluster: Cluster,
    name: str = "example",
    *,
    namespace: str = NS,
    version: str = "1.0.0",
    registry: str = "local",
    args: dict[str, Any] | None = None,
    extra: list[dict[str, Any]] | None = None,
    adopted: list[dict[str, Any]] | None = None,
    record: bool = True,
    notes: str | None = None,
    finalizers: list[str] | None = None,
) -> dict[str, Any]:
    """The Application `addon-<name>`, the ComponentDefinition `<name>-comp`, the TraitDefinition
    `<name>-trait`, a UI-schema ConfigMap and the parameter Secret, owned by the app; `extra` objects
    are applied without owner references (as enable does for objects GC cannot reach); `adopted`
    objects pre-exist and are recorded as adopted."""
    comp, trait = f"{name}-comp", f"{name}-trait"
    owned: list[dict[str, Any]] = [
        {
            "apiVersion": APP_API_VERSION,
            "kind": "ComponentDefinition",
            "metadata": {"name": comp, "namespace": namespace},
            "spec": {
                "workload": {"type": "autodetects.core.oam.dev"},
                "schematic": {"cue": {"template": ""}},
            },
        },
        {
            "apiVersion": APP_API_VERSION,
            "kind": "TraitDefinition",
            "metadata": {"name": trait, "namespace": namespace},
            "spec": {"schematic": {"cue": {"template": ""}}},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"component-uischema-{comp}", "namespace": namespace},
            "data": {"ui-schema": "[]"},
        },
    ]
    payload = json.dumps(args if args is not None else {"image": "nginx", "password": "s3cret"})
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": f"addon-secret-{name}", "namespace": namespace},
        "data": {"addonParameterDataKey": base64.b64encode(payload.encode()).decode()},
    }
    extra = extra or []
    adopted = adopted or []
    for obj in adopted:
        cluster.apply(obj)
    refs = [ObjectRef.of(o) for o in [*owned, *extra]] + [ObjectRef.of(o, adopted=True) for o in adopted]
    refs.append(ObjectRef.of(secret))
    annotations = {
        "addon.oam.dev/componentDefinitions": comp,
        "addon.oam.dev/traitDefinitions": trait,
    }
    if record:
        annotations[OBJECTS_ANNOTATION] = encode_objects(refs)
    if notes:
        annotations["veladdon.dev/notes"] = notes
    metadata: dict[str, Any] = {
        "name": f"addon-{name}",
        "namespace": namespace,
        "labels": {
            "addons.oam.dev/name": name,
            "addons.oam.dev/version": version,
            "addons.oam.dev/registry": registry,
        },
        "annotations": annotations,
    }
    if finalizers:
        metadata["finalizers"] = finalizers
    app = cluster.apply(
        {
            "apiVersion": APP_API_VERSION,
            "kind": "Application",
            "metadata": metadata,
            "spec": {"components": [{"name": f"{name}-resources", "type": "k8s-objects"}]},
        }
    )
    owner = {
        "apiVersion": APP_API_VERSION,
        "kind": "Application",
        "name": f"addon-{name}",
        "uid": app["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }
    for obj in [*owned, secret]:
        obj["metadata"]["ownerReferences"] = [owner]
        cluster.apply(obj)
    for obj in extra:
        cluster.apply(obj)
    return app


def user_app(cluster: Cluster, namespace: str, name: str, spec: dict[str, Any]) -> None:
    cluster.apply(
        {
            "apiVersion": APP_API_VERSION,
            "kind": "Application",
            "metadata": {"name": name, "namespace": namespace},
            "spec": spec,
        }
    )


def namespace_obj(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def configmap(name: str, namespace: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace}}


@pytest.fixture
def cluster(kube: KubeTarget) -> Iterator[Cluster]:
    kube.install_kubevela()
    with Cluster.connect(str(kube.kubeconfig), kube.context) as connected:
        yield connected


def exists(cluster: Cluster, kind: str, name: str, namespace: str | None = NS, api: str = "") -> bool:
    api_version = api or (APP_API_VERSION if kind.endswith(("Definition", "Application")) else "v1")
    return cluster.get(api_version, kind, name, namespace) is not None


def test_in_use_message_names_at_most_three() -> None:
    four = [f"namespace-{i}/app-{i}" for i in range(1, 5)]
    assert in_use_message("x", four) == (
        "addon x is used by Applications namespace-1/app-1, namespace-2/app-2, namespace-3/app-3 and 1 more"
    )
    assert in_use_message("x", four[:1]) == "addon x is used by Application namespace-1/app-1"
    assert "more" not in in_use_message("x", four[:3])


def test_refused_while_an_application_uses_the_component_type(kube: KubeTarget, cluster: Cluster) -> None:
    install_addon(cluster)
    ns = kube.namespace()
    user_app(cluster, ns, "uses-comp", {"components": [{"name": "c", "type": "example-comp"}]})
    user_app(cluster, ns, "unrelated", {"components": [{"name": "c", "type": "webservice"}]})
    with pytest.raises(AddonInUse) as err:
        disable(cluster, "example", NS)
    assert err.value.users == [f"{ns}/uses-comp"]
    assert str(err.value) == (
        f"addon example is used by Application {ns}/uses-comp; delete it first, or pass --force to "
        "disable anyway"
    )
    assert "--force" in str(err.value)
    assert exists(cluster, "Application", "addon-example")


def test_every_kind_of_use_is_found(kube: KubeTarget, cluster: Cluster) -> None:
    """checkAddonHasBeenUsed: a component type, a trait, a workflow step and a policy each count."""
    app = install_addon(cluster)
    annotations = {
        "addon.oam.dev/componentDefinitions": "my-comp",
        "addon.oam.dev/traitDefinitions": "my-trait",
        "addon.oam.dev/workflowStepDefinitions": "my-wfstep",
        "addon.oam.dev/policyDefinitions": "my-policy",
    }
    app["metadata"]["annotations"] = annotations
    ns = kube.namespace()
    user_app(cluster, ns, "a-comp", {"components": [{"name": "c", "type": "my-comp"}]})
    user_app(
        cluster, ns, "b-trait", {"components": [{"name": "c", "type": "x", "traits": [{"type": "my-trait"}]}]}
    )
    user_app(
        cluster, ns, "c-step", {"components": [], "workflow": {"steps": [{"name": "s", "type": "my-wfstep"}]}}
    )
    user_app(cluster, ns, "d-policy", {"components": [], "policies": [{"name": "p", "type": "my-policy"}]})
    user_app(cluster, ns, "e-none", {"components": [{"name": "c", "type": "my-trait"}]})  # wrong kind
    users = disable_mod.addon_users(cluster, app, definitions_of(app))
    assert users == [f"{ns}/a-comp", f"{ns}/b-trait", f"{ns}/c-step", f"{ns}/d-policy"]


def test_the_addons_own_application_does_not_block_it(cluster: Cluster) -> None:
    install_addon(cluster)
    own = cluster.get(APP_API_VERSION, "Application", "addon-example", NS)
    assert own is not None
    own["spec"]["components"].append({"name": "self", "type": "example-comp"})
    cluster.apply(
        {
            "apiVersion": APP_API_VERSION,
            "kind": "Application",
            "metadata": {"name": "addon-example", "namespace": NS},
            "spec": own["spec"],
        }
    )
    assert plan_disable(cluster, "example", NS).users == []


def test_force_removes_everything_by_garbage_collection(kube: KubeTarget, cluster: Cluster) -> None:
    install_addon(cluster)
    user_app(cluster, kube.namespace(), "uses-comp", {"components": [{"name": "c", "type": "example-comp"}]})
    messages: list[str] = []
    result = disable(cluster, "example", NS, force=True, timeout=10, report=messages.append)
    assert result.waited
    assert result.plan.users and result.plan.users[0].endswith("/uses-comp")
    assert {t.ref.kind for t in result.plan.of(Disposal.COLLECT)} == {
        "ComponentDefinition",
        "TraitDefinition",
        "ConfigMap",
        "Secret",
    }
    assert result.deleted == [result.plan.application]  # everything else went by garbage collection
    for kind, name in [
        ("Application", "addon-example"),
        ("ComponentDefinition", "example-comp"),
        ("TraitDefinition", "example-trait"),
        ("ConfigMap", "component-uischema-example-comp"),
        ("Secret", "addon-secret-example"),
    ]:
        assert not exists(cluster, kind, name), f"{kind}/{name} survived"
    assert messages[0] == "deleted Application vela-system/addon-example"
    assert messages[-1] == "addon example disabled: all its objects are gone"


def test_objects_gc_cannot_reach_are_deleted_and_adopted_ones_kept(
    kube: KubeTarget, cluster: Cluster
) -> None:
    other = kube.namespace()
    install_addon(
        cluster,
        extra=[namespace_obj("example-system"), configmap("elsewhere", other)],
        adopted=[namespace_obj("shared-ns")],
    )
    plan = plan_disable(cluster, "example", NS)
    actions = {(t.ref.kind, t.ref.name): t.action for t in plan.targets}
    assert actions[("Namespace", "example-system")] == Disposal.DELETE
    assert actions[("ConfigMap", "elsewhere")] == Disposal.DELETE
    assert actions[("Namespace", "shared-ns")] == Disposal.KEEP
    result = execute_disable(cluster, plan, timeout=10)
    assert result.waited
    assert not exists(cluster, "Namespace", "example-system", None)
    assert not exists(cluster, "ConfigMap", "elsewhere", other)
    assert exists(cluster, "Namespace", "shared-ns", None)
    assert exists(cluster, "Namespace", NS, None)


def test_the_system_namespace_is_never_deleted_even_if_recorded(cluster: Cluster) -> None:
    install_addon(cluster, extra=[namespace_obj(NS)])
    plan = plan_disable(cluster, "example", NS)
    target = next(t for t in plan.targets if t.ref.kind == "Namespace")
    assert target.action == Disposal.KEEP
    execute_disable(cluster, plan, timeout=10)
    assert exists(cluster, "Namespace", NS, None)


def test_objects_already_gone_are_tolerated(cluster: Cluster) -> None:
    install_addon(cluster, extra=[namespace_obj("example-system")])
    cluster.delete("v1", "Secret", "addon-secret-example", NS)
    cluster.delete("v1", "Namespace", "example-system")
    wait_for(lambda: not exists(cluster, "Namespace", "example-system", None), 30)
    plan = plan_disable(cluster, "example", NS)
    gone = {(t.ref.kind, t.ref.name) for t in plan.of(Disposal.GONE)}
    assert gone == {("Secret", "addon-secret-example"), ("Namespace", "example-system")}
    assert execute_disable(cluster, plan, timeout=10).waited


def test_addon_enabled_by_vela_without_a_record(cluster: Cluster) -> None:
    """No `veladdon.dev/objects`: wait for the definitions the annotations name (and the Secret)."""
    install_addon(cluster, record=False)
    plan = plan_disable(cluster, "example", NS)
    assert sorted(str(t.ref) for t in plan.targets) == [
        "ComponentDefinition/example-comp",
        "Secret/addon-secret-example",
        "TraitDefinition/example-trait",
    ]
    assert all(t.action == Disposal.COLLECT for t in plan.targets)
    assert execute_disable(cluster, plan, timeout=10).waited
    assert not exists(cluster, "ComponentDefinition", "example-comp")


def test_dry_run_writes_nothing(kube: KubeTarget, cluster: Cluster) -> None:
    install_addon(cluster, extra=[namespace_obj("example-system")])
    user_app(cluster, kube.namespace(), "uses-comp", {"components": [{"name": "c", "type": "example-comp"}]})
    before = len(kube.requests)
    result = disable(cluster, "example", NS, force=True, dry_run="client")
    writes = [r for r in kube.requests[before:] if r.method in WRITES]
    assert writes == []
    assert not result.deleted and not result.waited
    assert exists(cluster, "Application", "addon-example")
    assert exists(cluster, "Namespace", "example-system", None)
    data = result.plan.to_json()
    assert data["application"] == {
        "apiVersion": APP_API_VERSION,
        "kind": "Application",
        "name": "addon-example",
        "namespace": NS,
    }
    assert {o["action"] for o in data["objects"]} == {Disposal.COLLECT, Disposal.DELETE}


def test_not_enabled(cluster: Cluster) -> None:
    with pytest.raises(AddonNotEnabled) as err:
        disable(cluster, "nope", NS)
    assert "addon 'nope' is not enabled" in str(err.value)
    assert err.value.exit_code == 1


def test_legacy_application_name(cluster: Cluster) -> None:
    app = install_addon(cluster, name="legacy")
    # KubeVela 1.1 named the Application after the addon: re-create it under that name.
    body = {
        "apiVersion": APP_API_VERSION,
        "kind": "Application",
        "metadata": {"name": "legacy", "namespace": NS, "labels": app["metadata"]["labels"]},
        "spec": {"components": []},
    }
    cluster.delete(APP_API_VERSION, "Application", "addon-legacy", NS)
    wait_for(lambda: not exists(cluster, "Application", "addon-legacy"), 5)
    cluster.apply(body)
    result = disable(cluster, "legacy", NS, timeout=10)
    assert result.plan.application.name == "legacy"
    assert not exists(cluster, "Application", "legacy")


def test_no_wait_returns_after_the_deletes(cluster: Cluster) -> None:
    install_addon(cluster)
    result = disable(cluster, "example", NS, wait=False)
    assert not result.waited
    wait_for(lambda: not exists(cluster, "ComponentDefinition", "example-comp"), 5)


def test_timeout_names_what_is_stuck(cluster: Cluster) -> None:
    install_addon(cluster, finalizers=["example.dev/hold"])  # no controller removes it
    with pytest.raises(DisableTimeout) as err:
        disable(cluster, "example", NS, timeout=0.2)
    message = str(err.value)
    assert err.value.exit_code == 4
    assert "Application vela-system/addon-example (finalizers: example.dev/hold)" in message
    assert "--timeout" in message


def test_ctrl_c_while_waiting_says_what_was_done(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    install_addon(cluster, extra=[namespace_obj("example-system")], finalizers=["example.dev/hold"])

    def interrupt(_seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(disable_mod, "_sleep", interrupt)
    with pytest.raises(DisableInterrupted) as err:
        disable(cluster, "example", NS, timeout=10)
    message = str(err.value)
    assert err.value.exit_code == 130
    assert "deleted Application vela-system/addon-example, Namespace example-system" in message
    assert "garbage collection goes on removing 4 owned objects" in message
    assert "veladdon disable example` again is safe" in message


def test_a_recreated_object_is_not_waited_for(cluster: Cluster) -> None:
    """uids are compared: an object of the same name created since the plan is someone else's."""
    install_addon(cluster, extra=[configmap("aux", "default")])
    plan = plan_disable(cluster, "example", NS)
    cluster.delete("v1", "ConfigMap", "aux", "default")
    wait_for(lambda: not exists(cluster, "ConfigMap", "aux", "default"), 5)
    cluster.apply(configmap("aux", "default"))
    result = execute_disable(cluster, plan, timeout=10)
    assert result.waited
    assert exists(cluster, "ConfigMap", "aux", "default")


def test_5xx_once_is_retried(kube: KubeTarget, cluster: Cluster) -> None:
    install_addon(cluster)
    kube.inject_fault(method="DELETE", path_contains="applications/addon-example", status=503)
    assert disable(cluster, "example", NS, timeout=10).waited
    assert cluster.stats.retries == 1


def test_kubevela_not_installed(kube: KubeTarget) -> None:
    kube.without_kubevela()
    with Cluster.connect(str(kube.kubeconfig), kube.context) as bare, pytest.raises(Exception) as err:
        plan_disable(bare, "example", NS)
    assert "KubeVela is not installed in this cluster (no core.oam.dev/v1beta1 Application)" in str(err.value)


def test_server_dry_run_sends_dry_run_deletes_only(kube: KubeTarget, cluster: Cluster) -> None:
    install_addon(cluster, extra=[namespace_obj("example-system")])
    before = len(kube.requests)
    result = disable(cluster, "example", NS, dry_run="server")
    writes = [r for r in kube.requests[before:] if r.method in WRITES]
    assert [r.method for r in writes] == ["DELETE", "DELETE"]
    assert all(r.query.get("dryRun") == "All" for r in writes)
    assert not result.waited
    assert exists(cluster, "Application", "addon-example")
    assert exists(cluster, "Namespace", "example-system", None)

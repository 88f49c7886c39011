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
    assert [(f["rule"], f["file"]) for f in report["findings"]] == [("PK01", "demo/template.yaml")]
    assert err.splitlines()[-1].startswith("Error: demo is not an addon dir: 1 problem found")
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

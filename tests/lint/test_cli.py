"""`veladdon lint` as a user and a CI job run it: exit codes, formats, files, the cache, --since."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.lint.conftest import CLEAN, DATA, EXAMPLE, ROOT, run_lint
from veladdon.cli.main import run
from veladdon.cue.evaluator import Evaluator
from veladdon.lint import lint_paths

# Every test here evaluates CUE: once per release of the evaluator matrix.
pytestmark = pytest.mark.usefixtures("cue_release")

Capture = pytest.CaptureFixture[str]


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("VELADDON_CACHE_DIR", str(cache))
    return cache


def veladdon(capsys: Capture, *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_example_passes_strict(capsys: Capture) -> None:
    code, out, err = veladdon(capsys, "lint", str(EXAMPLE), "--strict")
    assert code == 0, out + err
    assert "0 errors, 0 warnings" in out


def test_findings_exit_1_and_warnings_only_with_strict(capsys: Capture) -> None:
    broken = str(DATA / "catalog")
    code, out, _ = veladdon(capsys, "lint", broken, "--select", "CU01")
    assert code == 0 and "CU01" in out  # a warning alone passes...
    code, _, _ = veladdon(capsys, "lint", broken, "--select", "CU01", "--strict")
    assert code == 1  # ...but not with --strict
    code, out, _ = veladdon(capsys, "lint", broken, "--select", "cue")
    assert code == 1 and "CU02" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lint", "no/such/folder"], "does not exist"),
        (["lint", str(ROOT / "docs")], "no addon found"),
        (["lint", str(CLEAN), "--select", "ZZ99"], "unknown rule 'ZZ99'"),
        (["lint", str(CLEAN), "--format", "xml"], "not a report format"),
        (["lint", str(CLEAN), "--kube-version", "latest"], "--kube-version"),
        (["lint"], "no addon folder given"),
        (["lint", "--list-rules", "--format", "sarif"], "not a rule-list format"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys: Capture, args: list[str], message: str) -> None:
    code, _, err = veladdon(capsys, *args)
    assert code == 2
    assert err.startswith("Error: ") and message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_bad_jobs_is_a_usage_error(capsys: Capture) -> None:
    code, _, _ = veladdon(capsys, "lint", str(CLEAN), "--jobs", "0")
    assert code == 2


def test_list_rules_and_markdown(capsys: Capture) -> None:
    code, out, _ = veladdon(capsys, "lint", "--list-rules")
    assert code == 0
    assert out.splitlines()[0].startswith("ST01  structure.metadata")
    code, out, _ = veladdon(capsys, "lint", "--list-rules", "--format", "markdown")
    assert code == 0
    assert out == (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")


def test_sarif_to_output_file(capsys: Capture, tmp_path: Path) -> None:
    target = tmp_path / "out" / "lint.sarif"
    code, out, err = veladdon(
        capsys,
        "lint",
        str(DATA / "catalog"),
        "--format",
        "sarif",
        "--output-file",
        str(target),
        "--select",
        "CU",
    )
    assert code == 1
    assert out == ""
    assert str(target) in err
    doc = json.loads(target.read_text())
    assert {r["ruleId"] for r in doc["runs"][0]["results"]} == {"CU01", "CU02"}


def test_output_file_summary_counts_in_the_singular(capsys: Capture, tmp_path: Path) -> None:
    target = tmp_path / "lint.txt"
    code, out, err = veladdon(capsys, "lint", str(CLEAN), "--output-file", str(target))
    assert (code, out) == (0, "")
    assert err == f"0 errors, 0 warnings, 0 infos in 1 addon: {target}\n"
    assert target.read_text().endswith("\n0 errors, 0 warnings, 0 infos in 1 addon\n")


def test_warm_run_comes_from_the_cache(tmp_path: Path, lint_evaluator: Evaluator) -> None:
    addon = tmp_path / CLEAN.name
    shutil.copytree(CLEAN, addon)
    cache = tmp_path / "cache"

    def lint() -> tuple[bool, list[str]]:
        report = lint_paths([addon], evaluators=[lint_evaluator], cache_dir=cache, jobs=1)
        return report.addons[0].cached, [f.rule for f in report.findings]

    assert lint() == (False, [])
    calls = lint_evaluator.calls
    assert lint() == (True, [])
    assert lint_evaluator.calls == calls  # no CUE at all
    (addon / "README.md").unlink()  # a change invalidates the entry
    assert lint() == (False, ["ST04"])
    assert lint() == (True, ["ST04"])
    assert list(cache.rglob("*.json"))


def test_clear_cache(capsys: Capture, private_cache: Path) -> None:
    lint_cache = private_cache / "lint"
    (lint_cache / "ab").mkdir(parents=True)
    (lint_cache / "ab" / "x.json").write_text("{}")
    code, _, err = veladdon(capsys, "lint", "--clear-cache")
    assert code == 0 and "cleared" in err
    assert not lint_cache.exists()


def test_parallel_jobs_give_the_same_report(tmp_path: Path) -> None:
    for name in ("addons/one", "addons/two", "experimental/addons/three"):
        target = tmp_path / name
        shutil.copytree(DATA / "catalog" / "addons" / "example-cue", target)
    serial = lint_paths([tmp_path], jobs=1, cache_dir=None, select=["CU", "ST"], cwd=tmp_path)
    parallel = lint_paths([tmp_path], jobs=2, cache_dir=None, select=["CU", "ST"], cwd=tmp_path)
    assert serial.findings == parallel.findings
    assert {f.file for f in parallel.findings} >= {
        "addons/one/metadata.yaml",
        "experimental/addons/three/template.cue",
    }


# --- --since -----------------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    shutil.copytree(CLEAN, tmp_path / "addons" / CLEAN.name)
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path


def test_since_requires_a_version_bump(repo: Path, lint_evaluator: Evaluator) -> None:
    addon = repo / "addons" / CLEAN.name
    assert run_lint([addon], lint_evaluator, select=["VB01"], since="HEAD").findings == []  # unchanged
    (addon / "README.md").write_text("# changed\n")
    (addon / "resources" / "new.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: n\n")
    found = run_lint([addon], lint_evaluator, select=["VB01"], since="HEAD").findings
    assert [(f.rule, Path(f.file).name, f.line) for f in found] == [("VB01", "metadata.yaml", 2)]
    assert "2 files changed since HEAD but version is still 1.0.0" in found[0].message
    meta = addon / "metadata.yaml"
    meta.write_text(meta.read_text().replace("version: 1.0.0", "version: 1.0.1"))
    assert run_lint([addon], lint_evaluator, select=["VB01"], since="HEAD").findings == []


def test_since_new_addon_passes(repo: Path, lint_evaluator: Evaluator) -> None:
    added = repo / "addons" / "brand-new"
    shutil.copytree(CLEAN, added)
    meta = added / "metadata.yaml"
    meta.write_text(meta.read_text().replace("clean-addon", "brand-new"))
    assert run_lint([added], lint_evaluator, select=["VB01"], since="HEAD").findings == []


def test_since_bad_ref_is_exit_2(repo: Path, capsys: Capture) -> None:
    code, _, err = veladdon(
        capsys, "lint", str(repo / "addons"), "--since", "no-such-ref", "--select", "VB01"
    )
    assert code == 2 and "is not a commit" in err

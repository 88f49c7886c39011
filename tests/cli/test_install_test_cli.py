"""`veladdon test` without a cluster: its JUnit report against the schema CI systems read, and the input
it refuses (exit 2) or the cluster it cannot reach (exit 5) before any step runs. The steps themselves run
against KubeVela's real controller: tests/kube/test_install_test.py."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
import xmlschema

from tests.conftest import EXAMPLE
from tests.controlplane.controlplane import free_port
from tests.junit_schema import junit_schema
from tests.kubeapi.fixtures import write_kubeconfig
from veladdon.cli.main import run
from veladdon.cli.test import junit_xml
from veladdon.kube.installtest import AddonResult, Step, StepResult, Verdict

Capture = pytest.CaptureFixture[str]


def veladdon(capsys: Capture, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def nowhere(tmp_path: Path) -> list[str]:
    """A kubeconfig whose API server does not exist: a run that reaches for the cluster exits 5."""
    config = write_kubeconfig(tmp_path / "kubeconfig", f"https://127.0.0.1:{free_port()}", "nowhere")
    return ["--kubeconfig", str(config), "--context", "nowhere"]


def results() -> list[AddonResult]:
    started = datetime(2026, 12, 2, 10, 0, 0, tzinfo=UTC)
    good = AddonResult("redis-operator", "examples/redis-operator", started)
    good.steps = [StepResult(step, Verdict.PASSED, 1.25, f"{step.value} ok") for step in Step]
    good.steps[4] = StepResult(Step.EXAMPLES, Verdict.SKIPPED, 0.0, "no --example given")
    bad = AddonResult("bad-object", "addons/bad-object", started)
    bad.steps = [
        StepResult(Step.RENDER, Verdict.PASSED, 0.5, "2 objects rendered"),
        StepResult(
            Step.DRY_RUN,
            Verdict.FAILED,
            0.2,
            'Namespace Not_A_Name: Namespace "Not_A_Name" is invalid: <name> & "quotes" ü',
            ['Namespace Not_A_Name: Namespace "Not_A_Name" is invalid: <name> & "quotes" ü'],
        ),
        *(StepResult(s, Verdict.SKIPPED, message="an earlier step failed") for s in list(Step)[2:]),
    ]
    return [good, bad]


def test_the_junit_report_validates_against_the_junit_schema_ci_systems_read() -> None:
    data = junit_xml(results())
    schema = xmlschema.XMLSchema(str(junit_schema()))
    schema.validate(data.decode())  # raises, naming the element, when the report does not conform

    root = ET.fromstring(data)
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["redis-operator", "bad-object"]
    assert [c.get("name") for c in suites[0].findall("testcase")] == [s.value for s in Step]
    assert (root.get("tests"), root.get("failures")) == ("16", "1")
    assert (suites[1].get("failures"), suites[1].get("skipped")) == ("1", "6")
    failure = suites[1].find("testcase[@name='server dry run']/failure")
    assert failure is not None
    assert (
        failure.get("message")
        == 'Namespace Not_A_Name: Namespace "Not_A_Name" is invalid: <name> & "quotes" ü'
    )
    skipped = suites[0].find("testcase[@name='examples']/skipped")
    assert skipped is not None and skipped.get("message") == "no --example given"


def test_the_junit_report_of_a_run_with_nothing_to_test_validates_too() -> None:
    xmlschema.XMLSchema(str(junit_schema())).validate(junit_xml([]).decode())


def test_the_junit_report_is_byte_identical_for_the_same_results() -> None:
    assert junit_xml(results()) == junit_xml(results())


def test_a_folder_that_is_no_addon_is_refused_before_the_cluster(
    capsys: Capture, tmp_path: Path, nowhere: list[str]
) -> None:
    code, _, err = veladdon(capsys, "test", str(tmp_path / "missing"), *nowhere)
    assert code == 2, err
    assert err.startswith("Error: ") and "does not exist" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("content", "wanted"),
    [
        (None, "No such file"),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "holds no Application"),
        ("kind: [unclosed\n", "not YAML"),
    ],
    ids=["missing", "no-application", "not-yaml"],
)
def test_a_bad_example_is_refused_before_the_cluster(
    capsys: Capture, tmp_path: Path, nowhere: list[str], content: str | None, wanted: str
) -> None:
    example = tmp_path / "example.yaml"
    if content is not None:
        example.write_text(content)
    code, _, err = veladdon(capsys, "test", str(EXAMPLE), "--example", str(example), *nowhere)
    assert code == 2, err
    assert wanted in err and str(example) in err, err


def test_an_unreachable_cluster_exits_5(capsys: Capture, nowhere: list[str]) -> None:
    code, _, err = veladdon(capsys, "test", str(EXAMPLE), "--timeout", "5s", *nowhere)
    assert code == 5, err
    assert err.startswith("Error: cannot reach the cluster"), err


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, check=True, capture_output=True
    )


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    """A git repository of two addons, committed."""
    repo = tmp_path / "catalog"
    shutil.copytree(EXAMPLE, repo / "addons" / "redis-operator")
    shutil.copytree(EXAMPLE, repo / "addons" / "other")
    meta = repo / "addons" / "other" / "metadata.yaml"
    meta.write_text(meta.read_text().replace("name: redis-operator", "name: other"))
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "addons")
    return repo


def test_since_tests_only_changed_addons_and_none_means_nothing_to_do(
    capsys: Capture, catalog: Path, nowhere: list[str], tmp_path: Path
) -> None:
    report = tmp_path / "junit.xml"
    args = ["test", str(catalog / "addons"), "--since", "HEAD", "--junit", str(report), "-o", "json"]
    code, out, err = veladdon(capsys, *args, *nowhere)
    assert code == 0, err  # the cluster is never asked
    assert "no addon changed since HEAD: nothing to test" in err
    assert json.loads(out) == {"passed": True, "addons": []}
    xmlschema.XMLSchema(str(junit_schema())).validate(report.read_text())

    # One addon changed: only it goes to the cluster (which is unreachable, hence 5).
    (catalog / "addons" / "other" / "README.md").write_text("changed\n")
    code, _, err = veladdon(capsys, *args, *nowhere)
    assert code == 5, err


def test_a_ref_that_is_no_commit_is_bad_input(capsys: Capture, catalog: Path, nowhere: list[str]) -> None:
    for flag in ("--since", "--upgrade-from"):
        code, _, err = veladdon(capsys, "test", str(catalog / "addons"), flag, "no-such-ref", *nowhere)
        assert code == 2, err
        assert f"{flag}: 'no-such-ref' is not a commit in this repository" in err, err


def test_output_yaml_is_refused(capsys: Capture, nowhere: list[str]) -> None:
    code, _, err = veladdon(capsys, "test", str(EXAMPLE), "-o", "yaml", *nowhere)
    assert code == 2, err
    assert "'yaml' is not one of text, json" in err

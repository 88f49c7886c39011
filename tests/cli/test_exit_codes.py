"""docs/exit-codes.md's table, walked from the command line: every situation it lists is reproduced here
and exits with the code the table gives; every error is one `Error:` line in the user's words (no
traceback, no "internal error", no Python type name, no name veladdon made up for the user's CUE).

The rows are read from the document, so a row without a scenario, or a scenario without a row, fails."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import ADDONS, EXAMPLE, ROOT
from tests.controlplane.controlplane import free_port
from tests.kube.test_disable import install_addon, user_app
from tests.kubeapi.fixtures import KubeTarget, write_kubeconfig
from veladdon import render as render_module
from veladdon.cli.main import run

Capture = pytest.CaptureFixture[str]
TABLE = ROOT / "docs" / "exit-codes.md"
# What a message in the user's words never holds.
LEAKS = re.compile(
    r"Traceback|internal error|_veladdon|NoneType|<class |'(str|dict|list|int)' object|"
    r"\b[A-Z][a-z]+[A-Za-z]*(Error|Exception)\b"
)


def documented() -> dict[str, int]:
    """situation → code, from the "Every situation" table."""
    text = TABLE.read_text()
    section = text[text.index("## Every situation") :]
    rows: dict[str, int] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) >= 2 and cells[1].isdigit():
            rows[cells[0]] = int(cells[1])
    return rows


@dataclass
class Run:
    """One CLI run: the code, stdout and stderr."""

    code: int
    out: str
    err: str


class Cli:
    """The CLI in-process, with the test's kubeconfig when there is a cluster."""

    def __init__(self, capsys: Capture, tmp: Path, kube: KubeTarget | None = None) -> None:
        self.capsys, self.tmp, self.kube = capsys, tmp, kube

    def __call__(self, *args: str, cluster: bool = False) -> Run:
        argv = list(args)
        if cluster:
            assert self.kube is not None
            argv += ["--kubeconfig", str(self.kube.kubeconfig), "--context", self.kube.context]
        self.capsys.readouterr()
        code = run(argv)
        out, err = self.capsys.readouterr()
        return Run(code, out, err)

    def addon(self, name: str, files: dict[str, str], metadata: str | None = None) -> Path:
        folder = self.tmp / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "metadata.yaml").write_text(metadata or f"name: {name}\nversion: 1.0.0\n")
        for rel, text in files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text(text)
        return folder


Scenario = Callable[[Cli], Run]

# --- offline ---------------------------------------------------------------------------------------


def _readme_stale(cli: Cli) -> Run:
    folder = cli.tmp / "stale"
    shutil.copytree(EXAMPLE, folder)
    readme = folder / "README.md"
    readme.write_text(readme.read_text().replace("Container image of the Redis Operator", "old text"))
    return cli("params", str(folder), "--check-readme")


def _unwritable(cli: Cli) -> Run:
    """A file where the output folder would go: even root cannot write that (the tests may run as root)."""
    _write(cli.tmp / "file", "")
    return cli("render", str(EXAMPLE), "--output-dir", str(cli.tmp / "file" / "out"))


def _interrupted(cli: Cli) -> Run:
    def interrupt(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(render_module, "render_addon", interrupt)
        return cli("render", str(EXAMPLE))


OFFLINE: dict[str, list[Scenario]] = {
    "success": [lambda cli: cli("render", str(EXAMPLE))],
    "no CUE evaluator": [lambda cli: cli("--cue", str(cli.tmp / "no-such-cue"), "render", str(EXAMPLE))],
    "lint findings": [lambda cli: cli("lint", str(ADDONS / "version-not-semver"), "--strict")],
    "README table out of date": [_readme_stale],
    "bad flag": [
        lambda cli: cli("render", str(EXAMPLE), "--set", "=x"),
        lambda cli: cli("render", str(EXAMPLE), "--set", "=="),
        lambda cli: cli("render", str(EXAMPLE), "--no-such-flag"),
        lambda cli: cli("enable", str(EXAMPLE), "--timeout", "soon"),
    ],
    "bad addon folder": [
        lambda cli: cli("render", str(cli.tmp / "nowhere")),
        lambda cli: cli("render", str(_folder(cli.tmp / "no-metadata"))),
    ],
    "bad metadata.yaml": [
        lambda cli: cli(
            "render", str(cli.addon("bad-version", {}, "name: bad-version\nversion: 1.0.0 beta\n"))
        )
    ],
    "CUE error in the addon": [
        lambda cli: cli("render", str(cli.addon("syntax", {"template.cue": "output: {\n\tkind: \n"}))),
        lambda cli: cli(
            "render",
            str(
                cli.addon(
                    "typo",
                    {
                        "parameter.cue": 'parameter: image: *"nginx" | string\n',
                        "resources/web.cue": 'output: {\n\ttype: "webservice"\n\tproperties: image: '
                        "parameter.imgae\n}\n",
                    },
                )
            ),
        ),
    ],
    "YAML error in the addon": [
        lambda cli: cli("render", str(cli.addon("yaml", {"resources/cm.yaml": "kind: [ConfigMap\n"})))
    ],
    "bad parameter value": [
        lambda cli: cli("render", str(ADDONS / "param-errors"), "--set", "dbURL=x", "--set", "replicas=0"),
        lambda cli: cli("render", str(ADDONS / "param-errors"), "--set", "dbURL=x", "--set", "replicas=abc"),
    ],
    "addon vela refuses": [
        lambda cli: cli("render", str(ADDONS / "outputs-no-kind")),
        lambda cli: cli("render", str(ADDONS / "definition-undeclared-parameter")),
    ],
    "package refused": [
        lambda cli: cli("package", str(ADDONS / "outputs-no-kind"), "--destination", str(cli.tmp / "out")),
        lambda cli: cli("package", str(ADDONS / "typo-resource"), "--destination", str(cli.tmp / "out")),
    ],
    "output cannot be written": [_unwritable],
    "cluster unreachable": [
        lambda cli: cli(
            "list",
            "--kubeconfig",
            str(write_kubeconfig(cli.tmp / "dead", f"https://127.0.0.1:{free_port()}", "dead")),
        )
    ],
    "no usable kubeconfig": [
        lambda cli: cli("list", "--kubeconfig", str(_write(cli.tmp / "kc", "clusters: [\n"))),
        lambda cli: cli("list", "--kubeconfig", str(_write(cli.tmp / "kc", "just a string\n"))),
    ],
    "interrupted": [_interrupted],
}


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


# --- against a cluster -----------------------------------------------------------------------------


def _local_registry(cli: Cli) -> None:
    """A folder registry holding the example, stored in the cluster."""
    folder = cli.tmp / "catalog"
    if not folder.exists():
        shutil.copytree(EXAMPLE, folder / "redis-operator")
    added = cli("registry", "add", "here", "--type", "local", "--endpoint", str(folder), cluster=True)
    assert added.code == 0, added.err


def _with_local_registry(*args: str) -> Scenario:
    """The scenario `args` against the cluster, once the local registry is stored there."""

    def scenario(cli: Cli) -> Run:
        _local_registry(cli)
        return cli(*args, cluster=True)

    return scenario


def _in_use(cli: Cli) -> Run:
    assert cli.kube is not None
    from veladdon.kube.cluster import Cluster

    with Cluster.connect(str(cli.kube.kubeconfig), cli.kube.context) as cluster:
        install_addon(cluster)
        user_app(
            cluster, cli.kube.namespace(), "user", {"components": [{"name": "c", "type": "example-comp"}]}
        )
    return cli("disable", "example", "-y", cluster=True)


def _without_kubevela(cli: Cli) -> Run:
    assert cli.kube is not None
    cli.kube.without_kubevela()
    return cli("list", cluster=True)


def _refused(cli: Cli) -> Run:
    """A definition named as vela accepts and the API server does not (not a DNS-1123 name)."""
    definition = (
        '"Not_A_Name": {\n\ttype: "trait"\n\tattributes: appliesToWorkloads: ["deployments.apps"]\n}\n'
        'template: {\n\tpatch: metadata: labels: x: "y"\n\tparameter: {}\n}\n'
    )
    folder = cli.addon("refused", {"definitions/bad.cue": definition})
    return cli("enable", str(folder), "--no-wait", cluster=True)


def _unauthorised(cli: Cli) -> Run:
    assert cli.kube is not None
    if cli.kube.is_emulator:
        cli.kube.inject_fault(status=401, times=100)
        return cli("list", cluster=True)
    config = yaml.safe_load(cli.kube.kubeconfig.read_text())
    for user in config["users"]:
        user["user"] = {"token": "not-the-token"}
    bad = _write(cli.tmp / "wrong-token", yaml.safe_dump(config))
    return cli("list", "--kubeconfig", str(bad), "--context", cli.kube.context)


def _forbidden(cli: Cli) -> Run:
    assert cli.kube is not None
    if not cli.kube.is_emulator:
        pytest.skip("a forbidden user needs RBAC set up; the 401 scenario covers the real API server")
    cli.kube.inject_fault(status=403, times=100)
    return cli("list", cluster=True)


CLUSTER: dict[str, list[Scenario]] = {
    "addon not enabled": [
        lambda cli: cli("status", "nope", cluster=True),
        lambda cli: cli("disable", "nope", "-y", cluster=True),
        lambda cli: cli("upgrade", str(EXAMPLE), cluster=True),
    ],
    "addon in use": [_in_use],
    "addon in no registry": [
        lambda cli: cli("enable", "nope", cluster=True),
        _with_local_registry("enable", "nope"),
    ],
    "version no registry offers": [_with_local_registry("enable", "redis-operator", "--version", "9.9.9")],
    "registry not configured": [
        lambda cli: cli("list", "--registry", "nope", cluster=True),
        lambda cli: cli("registry", "get", "nope", cluster=True),
    ],
    "KubeVela not installed": [_without_kubevela],
    "cluster refused an object": [_refused],
    "changes pending": [lambda cli: cli("diff", str(EXAMPLE), cluster=True)],
    "install test failed": [
        lambda cli: cli(
            "test", str(cli.addon("typo", {"template.cue": "output: {\n\tkind: \n"})), cluster=True
        )
    ],
    "timed out": [lambda cli: cli("enable", str(EXAMPLE), "--timeout", "1s", cluster=True)],
    "unauthorised": [_unauthorised, _forbidden],
    "no usable kubeconfig": [
        lambda cli: cli(
            "list", "--kubeconfig", str(cli.kube.kubeconfig if cli.kube else ""), "--context", "nope"
        )
    ],
}


def _cases(table: dict[str, list[Scenario]]) -> list[pytest.ParameterSet]:
    return [
        pytest.param(situation, scenario, id=f"{situation}-{i}")
        for situation, scenarios in table.items()
        for i, scenario in enumerate(scenarios)
    ]


def check(situation: str, result: Run) -> None:
    """The documented code; errors as one `Error:` line, all of stderr when the input was at fault."""
    code = documented()[situation]
    assert result.code == code, f"{situation}: exit {result.code}, documented {code}\n{result.err}"
    errors = [line for line in result.err.splitlines() if line.startswith("Error:")]
    if code in (0, 3):
        assert errors == [], result.err
        return
    if situation in ("lint findings", "install test failed"):  # findings are the output; no Error line
        assert result.out and not LEAKS.search(result.out)
        assert errors == [], result.err
        return
    assert len(errors) == 1, result.err
    assert not LEAKS.search(result.err), result.err
    if situation == "package refused":  # the lint findings come first, as `lint` prints them
        assert result.err.splitlines()[-1] == errors[0]
        return
    if code in (2, 5, 130) or situation in ("addon not enabled", "registry not configured"):
        assert result.err.count("\n") == 1, f"more than the one line:\n{result.err}"


def test_every_row_has_a_scenario() -> None:
    rows = documented()
    assert set(rows) == set(OFFLINE) | set(CLUSTER), "docs/exit-codes.md and this test list other situations"


@pytest.mark.usefixtures("cue_release")
@pytest.mark.parametrize(("situation", "scenario"), _cases(OFFLINE))
def test_offline(capsys: Capture, tmp_path: Path, situation: str, scenario: Scenario) -> None:
    check(situation, scenario(Cli(capsys, tmp_path)))


@pytest.mark.one_cue_release  # what the cluster answers is the same whichever CUE rendered the addon
@pytest.mark.usefixtures("cue_release")
@pytest.mark.parametrize(("situation", "scenario"), _cases(CLUSTER))
def test_against_a_cluster(
    capsys: Capture, tmp_path: Path, kube: KubeTarget, situation: str, scenario: Scenario
) -> None:
    if situation != "KubeVela not installed":
        kube.install_kubevela()
    check(situation, scenario(Cli(capsys, tmp_path, kube)))

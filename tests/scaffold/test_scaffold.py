"""`veladdon init` as a library: every flag combination gives an addon that passes `lint --strict`,
renders, and whose README table matches its parameters; bad input writes nothing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypedDict

import pytest
import yaml

from veladdon.addon.loader import load_addon
from veladdon.addon.values import load_values_file
from veladdon.cue.evaluator import Evaluator
from veladdon.errors import InputError
from veladdon.lint import lint_paths
from veladdon.render import RenderOptions, notes_for, render_addon
from veladdon.render.params import markdown_table, read_parameters, readme_table
from veladdon.scaffold import InitOptions, check_name, files_for, init_addon


class Flags(TypedDict, total=False):
    """The `veladdon init` flags the combinations below set (InitOptions' keyword arguments)."""

    helm_repo: str
    chart: str
    chart_version: str
    image: str
    urls: tuple[str, ...]


HELM: Flags = {"helm_repo": "https://charts.example.com/stable", "chart": "podinfo", "chart_version": "6.5.4"}
IMAGE: Flags = {"image": "ghcr.io/example/server:1.2.3"}
URLS: Flags = {"urls": ("https://example.com/manifests/crds.yaml", "https://example.com/manifests/rbac.yaml")}
COMBINATIONS: dict[str, Flags] = {
    "none": {},
    "image": IMAGE,
    "helm": HELM,
    "helm-image": {**HELM, **IMAGE},
    "url": URLS,
    "helm-image-url": {**HELM, **IMAGE, **URLS},
}


def components(app: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in app["spec"]["components"]}


@pytest.mark.parametrize("case", list(COMBINATIONS))
def test_every_flag_combination_lints_strict_and_renders(
    tmp_path: Path, evaluator: Evaluator, case: str
) -> None:
    flags = COMBINATIONS[case]
    result = init_addon(InitOptions(name="my-addon", path=tmp_path / "my-addon", **flags))
    root = result.path

    report = lint_paths([root], evaluators=[evaluator], cache_dir=None, jobs=1, cwd=tmp_path)
    assert not report.failed(True), [f"{f.rule} {f.file}:{f.line} {f.message}" for f in report.findings]

    addon = load_addon(root)
    for args in ({}, {"clusters": ["local", "prod"]}, load_values_file(root / "ci" / "default-values.yaml")):
        app = render_addon(addon, RenderOptions(args=args), evaluator=evaluator).application
        topology = app["spec"]["policies"][0]
        assert topology["type"] == "topology"
        expected = {"clusters": args["clusters"]} if "clusters" in args else {"clusterLabelSelector": {}}
        assert topology["properties"] == expected
    found = components(app)
    if not flags:
        assert found["my-addon-example"]["type"] == "k8s-objects"
    else:
        assert "my-addon-example" not in found
    if "helm_repo" in flags:
        assert found["addon-my-addon"]["properties"] == {
            "repoType": "helm",
            "url": HELM["helm_repo"],
            "chart": "podinfo",
            "version": "6.5.4",
            "values": {},
        }
    if "image" in flags:
        assert found["my-addon"] == {"name": "my-addon", "type": "webservice", "properties": IMAGE}
    if "urls" in flags:
        assert found["from-url"]["type"] == "ref-objects"
        assert found["from-url"]["properties"] == {"urls": list(URLS["urls"])}

    # the README's table is what `veladdon params --check-readme` expects
    table = markdown_table(read_parameters(addon, evaluator).parameters)
    assert readme_table((root / "README.md").read_text(encoding="utf-8")) == table


def test_helm_metadata_depends_on_fluxcd_and_takes_the_chart_version(tmp_path: Path) -> None:
    init_addon(InitOptions(name="podinfo", path=tmp_path / "podinfo", **HELM))
    meta = yaml.safe_load((tmp_path / "podinfo" / "metadata.yaml").read_text())
    assert meta["dependencies"] == [{"name": "fluxcd"}]
    assert meta["version"] == "6.5.4"


def test_oci_repo_and_unpinned_or_non_semver_chart_versions() -> None:
    files = files_for(InitOptions(name="x", helm_repo="oci://ghcr.io/charts", chart="c"))
    assert 'repoType: "oci"' in files["resources/helm.cue"]
    assert "version:" not in files["resources/helm.cue"]  # FluxCD takes the latest
    meta = yaml.safe_load(
        files_for(InitOptions(name="x", helm_repo="https://h.io", chart="c", chart_version="1.x"))[
            "metadata.yaml"
        ]
    )
    assert meta["version"] == "1.0.0"  # a version range is no addon version


def test_plain_init_writes_upstream_metadata_and_a_working_example() -> None:
    files = files_for(InitOptions(name="my-addon"))
    assert yaml.safe_load(files["metadata.yaml"]) == {
        "description": "An addon for KubeVela.",
        "icon": "",
        "invisible": False,
        "name": "my-addon",
        "tags": ["my-tag"],
        "version": "1.0.0",
    }
    assert sorted(files) == [
        "NOTES.cue",
        "README.md",
        "ci/default-values.yaml",
        "definitions/my-addon-labels.cue",
        "metadata.yaml",
        "parameter.cue",
        "resources/example.cue",
        "template.cue",
    ]
    assert "//+usage=" in files["parameter.cue"]


def test_values_that_need_quoting_stay_valid_cue(tmp_path: Path, evaluator: Evaluator) -> None:
    image = 'registry.example.com/a"b\\(c):1'
    result = init_addon(InitOptions(name="q", path=tmp_path / "q", image=image))
    app = render_addon(load_addon(result.path), evaluator=evaluator).application
    assert components(app)["q"]["properties"]["image"] == image


def test_notes_render_for_install_upgrade_and_clusters(tmp_path: Path, evaluator: Evaluator) -> None:
    addon = load_addon(init_addon(InitOptions(name="n", path=tmp_path / "n")).path)
    text, warning = notes_for(addon, RenderOptions(), evaluator)
    assert warning is None and text is not None
    assert text.startswith("n 1.0.0 is enabled on every cluster.")
    text, _ = notes_for(addon, RenderOptions(args={"clusters": ["a", "b"]}, upgrade=True), evaluator)
    assert text is not None and text.startswith("n 1.0.0 is upgraded on 2 cluster(s).")


@pytest.mark.parametrize("name", ["addon-name", "3-addon-name", "addon-name-3", "addon"])
def test_valid_names(name: str) -> None:
    check_name(name)


@pytest.mark.parametrize("name", ["-addon", "addon-", "Caps", "=", ".", "a--b", "a_b"])
def test_invalid_names(name: str) -> None:
    with pytest.raises(InputError, match="should only contain lowercase letters, dashes, and numbers"):
        check_name(name)


def test_empty_name() -> None:
    with pytest.raises(InputError, match="addon name should not be empty"):
        check_name("")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"urls": ("https:",)}, "https: is not a valid url"),
        ({"urls": ("example.com/a.yaml",)}, "is not a valid url"),
        ({"helm_repo": "https://h.io"}, "--helm-repo and --chart go together"),
        ({"chart": "c"}, "--helm-repo and --chart go together"),
        ({"chart_version": "1.0.0"}, "--chart-version needs --helm-repo and --chart"),
        ({"helm_repo": "charts", "chart": "c"}, "charts is not a valid url"),
        ({"image": "two words"}, "invalid image"),
    ],
)
def test_bad_flags_write_nothing(tmp_path: Path, flags: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        init_addon(InitOptions(name="x", path=tmp_path / "x", **flags))
    assert list(tmp_path.iterdir()) == []


def test_non_empty_folder_is_refused_then_replaced_with_force(tmp_path: Path) -> None:
    target = tmp_path / "x"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match=r"directory .* is not empty.*--force"):
        init_addon(InitOptions(name="x", path=target))
    assert (target / "keep.txt").read_text() == "mine"
    result = init_addon(InitOptions(name="x", path=target, force=True))
    assert result.replaced and any("Overwriting non-empty directory" in w for w in result.warnings)
    assert not (target / "keep.txt").exists() and (target / "metadata.yaml").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x"]  # no staging folder left behind


def test_an_empty_folder_is_filled_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "x"
    target.mkdir()
    inode = target.stat().st_ino
    monkeypatch.chdir(target)
    init_addon(InitOptions(name="x", path=Path(".")))
    assert target.stat().st_ino == inode  # the user's working directory survives
    assert (target / "metadata.yaml").is_file()


def test_a_file_in_the_way_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("")
    with pytest.raises(InputError, match="we can't create directory"):
        init_addon(InitOptions(name="x", path=tmp_path / "x"))
    with pytest.raises(InputError, match="we can't create directory"):
        init_addon(InitOptions(name="y", path=tmp_path / "x" / "y"))


def test_failure_half_way_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "x"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    calls = {"n": 0}
    real = Path.write_text

    def flaky(self: Path, data: str, *args: Any, **kwargs: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError(28, "No space left on device")
        return real(self, data, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", flaky)
    with pytest.raises(InputError, match="No space left on device"):
        init_addon(InitOptions(name="x", path=target, force=True))
    assert sorted(os.listdir(tmp_path)) == ["x"]
    assert os.listdir(target) == ["keep.txt"]


def test_folder_name_differing_from_the_addon_name_is_warned(tmp_path: Path) -> None:
    result = init_addon(InitOptions(name="x", path=tmp_path / "other"))
    assert any("ST02" in w for w in result.warnings)


def test_templates_ship_inside_the_package() -> None:
    import veladdon.scaffold

    templates = Path(veladdon.scaffold.__file__).parent / "templates"
    assert (templates / "parameter.cue.j2").is_file()
    assert (templates / "resources" / "helm.cue.j2").is_file()

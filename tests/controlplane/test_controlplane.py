"""The control plane's own faults: a port that is taken, a child that dies, Ctrl-C and SIGTERM.

Each test starts a control plane of its own (about 10 s), not the session's shared one.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.controlplane import ControlPlane, ControlPlaneError
from tests.controlplane.controlplane import free_port
from tests.kubeapi.fixtures import SharedControlPlane, controlplane_available

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not controlplane_available(),
    reason="etcd, kube-apiserver, kube-controller-manager not built (make engines)",
)


def processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line contains `text` (the control plane's data folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().split(") ", 1)[1][:1]
        except OSError:
            continue
        if text in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def test_a_taken_port_is_one_line_naming_it() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(ControlPlaneError) as err:
            ControlPlane(port=port).start()
        assert str(err.value) == (
            f"port {port} on 127.0.0.1 is taken (Address already in use): pick another with PORT=N"
        )
        proc = subprocess.run(
            [sys.executable, "-m", "tests.controlplane", "--port", str(port), "--kubeconfig", "/dev/null"],
            cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert proc.returncode == 1
    assert (
        proc.stderr == f"make controlplane: port {port} on 127.0.0.1 is taken (Address already in use): "
        "pick another with PORT=N\n"
    )


def test_etcd_dying_is_reported_not_waited_for(tmp_path: Path) -> None:
    plane = ControlPlane(kubeconfig=tmp_path / "kubeconfig", kubevela=False).start()
    try:
        assert plane.dead() is None
        etcd = next(c for c in plane.children if c.name == "etcd")
        etcd.proc.kill()
        etcd.proc.wait()
        why = plane.dead()
        assert why is not None and why.startswith("etcd exited with code -9")
        shared = SharedControlPlane.__new__(SharedControlPlane)
        shared.plane = plane
        with pytest.raises(
            pytest.fail.Exception, match="the control plane is down: etcd exited with code -9"
        ):
            shared.check()
    finally:
        plane.stop()
    assert not plane.data.exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_make_controlplane_stops_everything_on_a_signal(tmp_path: Path, signum: int) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.controlplane", "--port", str(port), "--kubeconfig", str(kubeconfig)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # As a background job of a non-interactive shell starts it (CI, `make controlplane &` in a
        # script): with SIGINT ignored, which it must override.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "ready" in line, proc.stderr.read() if proc.stderr else ""
        assert f"kube-apiserver v1.36.3 at https://127.0.0.1:{port}" in line
        data = line.split("data in ", 1)[1].split(" ", 1)[0]
        assert kubeconfig.exists() and processes_mentioning(data)
        if shutil.which("kubectl"):  # what a user does with it first
            kubectl = subprocess.run(
                ["kubectl", "--kubeconfig", str(kubeconfig), "get", "ns", "-o", "name"],
                capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
            assert "namespace/vela-system" in kubectl.stdout.split(), kubectl.stderr
        started = time.monotonic()
        proc.send_signal(signum)
        assert proc.wait(timeout=30) == 0
        assert time.monotonic() - started < 15
    finally:
        if proc.poll() is None:
            proc.kill()
    assert processes_mentioning(data) == []
    assert not Path(data).exists() and not kubeconfig.exists()


def test_a_killed_make_controlplane_leaves_no_process(tmp_path: Path) -> None:
    """SIGKILL gives it no chance to stop its children: they die with it (PR_SET_PDEATHSIG)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.controlplane", "--port", "0", "--kubeconfig", str(tmp_path / "kc")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    data = ""
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "ready" in line, proc.stderr.read() if proc.stderr else ""
        data = line.split("data in ", 1)[1].split(" ", 1)[0]
        assert processes_mentioning(data)
        proc.kill()
        proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while processes_mentioning(data) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert processes_mentioning(data) == []
    finally:
        if proc.poll() is None:
            proc.kill()
        if data:  # nobody was left to remove it
            shutil.rmtree(data, ignore_errors=True)

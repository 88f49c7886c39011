"""A real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager) for the test suite
and `make controlplane`."""

from .controlplane import ControlPlane, ControlPlaneError

__all__ = ["ControlPlane", "ControlPlaneError"]

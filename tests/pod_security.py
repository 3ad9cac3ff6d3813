"""kube's restricted Pod Security Standard, as the container rules a test can check.

The embedded server has no Pod Security admission, so tests check pod specs against the restricted level's
rules (allowPrivilegeEscalation, capabilities, runAsNonRoot, runAsUser, seccomp) as kube states them."""

from __future__ import annotations

from typing import Any


def restricted_violations(pod: dict[str, Any]) -> list[str]:
    """What kube's restricted level (v1.2x) would reject, container by container."""
    spec = pod["spec"]
    pod_sc = spec.get("securityContext") or {}
    out: list[str] = []
    for c in [*spec.get("initContainers", []), *spec["containers"]]:
        sc = c.get("securityContext") or {}
        name = c["name"]
        if sc.get("allowPrivilegeEscalation") is not False:
            out.append(f"{name}: allowPrivilegeEscalation != false")
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            out.append(f"{name}: capabilities.drop lacks ALL")
        if set((sc.get("capabilities") or {}).get("add") or []) - {"NET_BIND_SERVICE"}:
            out.append(f"{name}: capabilities added")
        run_as_non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
        if run_as_non_root is not True:
            out.append(f"{name}: runAsNonRoot != true")
        if sc.get("runAsUser", pod_sc.get("runAsUser")) == 0:
            out.append(f"{name}: runAsUser=0")
        seccomp = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            out.append(f"{name}: seccompProfile not RuntimeDefault/Localhost")
    return out

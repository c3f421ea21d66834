"""The apply module's steps with two backends: an interface the host keeps
with the other backend is removed first, and an interface the plan dropped
is removed with the backend that made it. The interface operations are
recorded, not run (cases/interface.yml and interface_nm.yml run them)."""

from __future__ import annotations

import pytest

from ansible_collections.fleetnet.wireguard.plugins.module_utils import host_apply
from ansible_collections.fleetnet.wireguard.plugins.module_utils.steps import Steps

PLATFORM = {"method": "kernel", "missing": [], "ufw_active": False, "routing_managed": False}


def applied(monkeypatch, backend, made, planned=("wg0",)):
    done = []

    class Recorded:
        def __init__(self, params, run, **kwargs):
            self.params = params

        def execute(self):
            done.append((self.params["name"], self.params["state"], self.params["backend"]))
            return {"changed": True}

    monkeypatch.setattr(host_apply, "operation", Recorded)
    interfaces = [dict(host_apply.ABSENT, name=i, state="present", backend=backend) for i in planned]
    params = {"platform": dict(PLATFORM, **made), "interfaces": interfaces,
              "routing": [], "uplink": None, "uplink6": None, "backend": backend, "install": True}
    result = host_apply.apply(params, Steps(run=None))
    return done, result["steps"]


@pytest.mark.parametrize("backend, made, want", [
    ("networkmanager", {"managed_interfaces": ["wg0"]},
     [("wg0", "absent", "wg-quick"), ("wg0", "present", "networkmanager")]),
    ("wg-quick", {"networkmanager_interfaces": ["wg0"]},
     [("wg0", "absent", "networkmanager"), ("wg0", "present", "wg-quick")]),
    ("networkmanager", {"networkmanager_interfaces": ["wg0", "wg9"], "managed_interfaces": ["wg8"]},
     [("wg0", "present", "networkmanager"), ("wg9", "absent", "networkmanager"), ("wg8", "absent", "wg-quick")]),
], ids=["to-networkmanager", "to-wg-quick", "dropped-with-their-backend"])
def test_interfaces_go_with_the_backend_that_made_them(monkeypatch, backend, made, want):
    done, steps = applied(monkeypatch, backend, made)
    assert sorted(done) == sorted(want) and done[0] == want[0]

"""Several host-side operations in one module execution: each step is an
Operation run through its own plan/apply/rollback (operation.py), one after
another; the first that fails stops the rest and the failure names it. The
prepare and apply modules are sequences of steps, so a host costs one
connection round trip for what used to be one module per step. Imports no
Ansible."""

from __future__ import annotations

from ansible_collections.fleetnet.wireguard.plugins.module_utils.operation import Failure


class Steps:
    """The steps run so far: whether any changed, their diffs and one line each."""

    def __init__(self, run, check_mode=False, diff_mode=False, warn=None):
        self.run = run
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.warn = warn
        self.changed = False
        self.diff = []
        self.lines = []

    def __call__(self, name, operation_class, params):
        """Run one operation as the step ``name`` -> its result (no diff);
        a failure is raised again with the step's name in front."""
        operation = operation_class(params, self.run, check_mode=self.check_mode, diff_mode=self.diff_mode, warn=self.warn)
        try:
            result = operation.execute()
        except Failure as exc:
            raise Failure("%s: %s" % (name, exc), step=name, **exc.fields)
        diff = result.pop("diff", None)
        changed = bool(result.get("changed"))
        self.changed |= changed
        self.lines.append("%s: %s" % (name, "changed" if changed else "ok"))
        if changed and diff:
            self.diff.append(diff)
        return result

    def report(self, **result):
        """The module's result: the fields given, plus changed, steps and the diffs."""
        out = dict(result, changed=self.changed, steps=self.lines)
        if self.diff:
            out["diff"] = self.diff
        return out

"""What every host-side module that changes something shares: plan without
touching the host, report what would change (actions, diff), then apply, and
on a failed apply undo it before failing. A module is its docs, its argument
spec and ``execute(module, SomeOperation)``. Imports no Ansible: the module
object is only called through, so tests drive the same path production runs.
"""

from __future__ import annotations

from ansible_collections.fleetnet.wireguard.plugins.module_utils.runner import CommandError, Runner


class Failure(Exception):
    """Fail the task with this message and these result fields."""

    def __init__(self, msg, **fields):
        super().__init__(msg)
        self.fields = fields


class Operation:
    """plan() reads the host and fills the result, apply() changes it,
    rollback() undoes a failed apply, settle() does what follows a good apply
    and needs no undo (enabling at boot, say)."""

    reports_actions = True  # modules that document no `actions` return value set False

    def __init__(self, params, run, check_mode=False, diff_mode=False, warn=None):
        self.params = params
        self.run = run
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.warn = warn or (lambda msg: None)
        self.actions = []
        self.touched = False  # a change that has no action line of its own (a file's mode, say)
        self.result = {}
        self._diff = {"before": "", "after": ""}

    # --- result and diff -------------------------------------------------
    @property
    def changed(self):
        return bool(self.actions) or self.touched

    def act(self, summary):
        """Record a change; -> whether to make it now (not in check mode)."""
        self.actions.append(summary)
        return not self.check_mode

    def set_diff(self, path, before, after):
        """The diff of a module that changes one file."""
        self._diff = dict(before_header=path, after_header=path, before=before or "", after=after or "")

    def add_diff(self, path, before, after):
        """One more file of a module that changes several: each under a '# path' line."""
        if before != after:
            self._diff["before"] += "# %s\n%s" % (path, before or "")
            self._diff["after"] += "# %s\n%s" % (path, after or "")

    def report(self):
        out = dict(self.result, changed=self.changed)
        if self.reports_actions:
            out["actions"] = self.actions
        if self.diff_mode and (self._diff["before"] or self._diff["after"] or "before_header" in self._diff):
            out["diff"] = self._diff
        return out

    # --- steps, overridden -------------------------------------------------
    def plan(self):
        raise NotImplementedError

    def apply(self):
        pass

    def rollback(self, error):
        """-> extra result fields for the failure; the message says what was restored."""
        return {}

    def failure_message(self, error):
        return str(error)

    def settle(self):
        pass

    # --- the one sequence --------------------------------------------------
    def execute(self):
        try:
            self.plan()
        except (CommandError, OSError, ValueError) as exc:
            raise Failure(str(exc))
        if self.check_mode or not self.changed:
            return self.report()
        try:
            self.apply()
        except (CommandError, OSError) as exc:
            extra = self.rollback(exc)
            fields = {k: v for k, v in self.report().items() if k != "diff"}
            raise Failure(self.failure_message(exc), **dict(fields, **extra))
        try:
            self.settle()
        except (CommandError, OSError) as exc:
            raise Failure(str(exc), **{k: v for k, v in self.report().items() if k != "diff"})
        return self.report()


def execute(module, operation_class):
    """main() of a module: run the operation with the module's edges, exit or fail."""
    run = Runner(module.run_command, module.get_bin_path)
    operation = operation_class(module.params, run, check_mode=module.check_mode, diff_mode=module._diff, warn=module.warn)
    try:
        result = operation.execute()
    except Failure as exc:
        module.fail_json(msg=str(exc), **exc.fields)
    module.exit_json(**result)

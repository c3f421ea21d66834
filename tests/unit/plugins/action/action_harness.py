"""Run an action plugin's ActionModule.run() without Ansible's executor: a
task with the given arguments and check mode, a connection that is never
used, and (for actions that run modules) a stub of _execute_module that
answers from a table and records each call. Modules never run."""

from __future__ import annotations

from unittest import mock

from ansible.playbook.play_context import PlayContext


class Modules:
    """_execute_module's stand-in: ``answers`` maps a module name to its
    result (a dict, or a function of the module's arguments)."""

    def __init__(self, answers=None):
        self.answers = dict(answers or {})
        self.calls = []

    def __call__(self, module_name=None, module_args=None, task_vars=None, **kwargs):
        self.calls.append((module_name, module_args))
        answer = self.answers.get(module_name, {})
        answer = answer(module_args) if callable(answer) else answer
        return dict(answer, invocation={"module_args": module_args})

    def names(self):
        return [name for name, dummy in self.calls]

    def args_of(self, name):
        return [args for called, args in self.calls if called == name]


def make_action(cls, args, check=False, modules=None, action="fleetnet.wireguard.fleet"):
    task = mock.MagicMock()
    task.args = args
    task.async_val = 0
    task.check_mode = check
    task.action = action
    connection = mock.MagicMock()
    connection._shell.tmpdir = "/nonexistent/tmp"  # set: the action never makes a remote temp dir
    plugin = cls(task, connection, PlayContext(), loader=None, templar=None, shared_loader_obj=None)
    plugin._display = mock.MagicMock()
    if modules is not None:
        plugin._execute_module = modules
    plugin._remove_tmp_path = mock.MagicMock()
    return plugin

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A test callback: records everything a callback plugin receives (each
task's arguments before and after templating, every result, item, diff and
the play's variables) as JSON lines under $FLEETNET_RECORD_DIR, one file per
playbook run, so a test can search it for secrets. Enabled only by the tests
that need it (molecule/secrets), through ANSIBLE_CALLBACK_PLUGINS and
ANSIBLE_CALLBACKS_ENABLED."""

from __future__ import annotations

DOCUMENTATION = r"""
name: fleetnet_record
type: aggregate
short_description: Record every task's arguments and results (tests only)
description:
  - Writes each callback event as one JSON line to a new file in the directory E(FLEETNET_RECORD_DIR).
requirements:
  - the environment variable FLEETNET_RECORD_DIR
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


def _plain(value):
    """JSON for anything a callback holds (tagged strings, Ansible objects)."""
    return json.loads(json.dumps(value, default=repr))


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "fleetnet_record"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        directory = os.environ.get("FLEETNET_RECORD_DIR")
        self._out = None
        if directory:
            os.makedirs(directory, exist_ok=True)
            path = os.path.join(directory, "%d-%d.jsonl" % (time.time() * 1000, os.getpid()))
            self._out = open(path, "a")

    def _write(self, event, **data):
        if self._out:
            self._out.write(json.dumps(dict(_plain(data), event=event)) + "\n")
            self._out.flush()

    def _task(self, event, task):
        self._write(event, task=task.get_name(), action=task.action, args=_plain(dict(task.args)))

    def _result(self, event, result):
        self._write(event, host=result._host.get_name(), task=result.task_name, args=_plain(dict(result._task.args)),
                    task_fields=_plain(dict(result._task_fields)), result=_plain(result._result))

    def v2_playbook_on_play_start(self, play):
        self._write("play_start", play=play.get_name(), vars=_plain(play.get_vars()))

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task("task_start", task)

    def v2_playbook_on_handler_task_start(self, task):
        self._task("handler_task_start", task)

    def v2_runner_on_start(self, host, task):
        self._task("runner_start", task)

    def v2_playbook_on_stats(self, stats):
        self._write("stats", custom=_plain(stats.custom))
        if self._out:
            self._out.close()
            self._out = None


def _recorder(event):
    def record(self, result, *dummy_args, **dummy_kwargs):
        self._result(event, result)
    return record


# every callback that receives a task's result, under the event name it records
for _method, _event in (("v2_runner_on_ok", "ok"), ("v2_runner_on_failed", "failed"), ("v2_runner_on_skipped", "skipped"),
                        ("v2_runner_on_unreachable", "unreachable"), ("v2_runner_item_on_ok", "item_ok"),
                        ("v2_runner_item_on_failed", "item_failed"), ("v2_runner_item_on_skipped", "item_skipped"),
                        ("v2_runner_retry", "retry"), ("v2_on_file_diff", "diff")):
    setattr(CallbackModule, _method, _recorder(_event))

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the status playbook: judge the fleet's links from the info
module's results and the fleet plan. The logic is in module_utils/status_report.py
(the verdicts in status_verdict.py), status_text.py and status_svg.py;
documentation in status_report.yml, status_probe_targets.yml and
status_metrics.yml."""

from __future__ import annotations

import datetime

from ansible_collections.fleetnet.wireguard.plugins.module_utils import status_metrics as metrics, status_report as report, status_svg, status_text


def status_report(infos, fleet, baseline=None, hosts=None):
    result = report.report(infos, fleet, baseline, hosts)
    stamps = [i["now"] for i in (infos or {}).values() if isinstance(i, dict) and i.get("now")]
    generated_at = (datetime.datetime.fromtimestamp(max(stamps), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                    if stamps else None)
    result["generated_at"] = generated_at
    result["tables"] = {i: status_text.render_table(i, n) for i, n in result["networks"].items()}
    result["lines"] = [status_text.render_diagnosis(d) for d in result["diagnoses"]]
    result["json"] = {i: status_text.network_document(result, i, generated_at) for i in result["networks"]}
    result["svg"] = {i: status_svg.render(i, n, result["diagnoses"], generated_at) for i, n in result["networks"].items()}
    return result


def status_probe_targets(plan, host):
    return report.probe_targets(plan or {}, host)


def status_metrics(info, plan, host):
    return metrics.render(info if isinstance(info, dict) else {}, (plan or {}).get(host))


class FilterModule(object):
    def filters(self):
        return {"status_report": status_report, "status_probe_targets": status_probe_targets, "status_metrics": status_metrics}

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's argument spec, read on the controller: the one list of the
role's variables, their types and choices, that the inventory contract
(module_utils/contract.py) checks every host against."""

from __future__ import annotations

import functools
import os

import yaml

SPEC_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "roles", "wireguard", "meta", "argument_specs.yml")


@functools.lru_cache(maxsize=1)
def options():
    """{variable name: its spec} of the role's main entry point."""
    with open(SPEC_PATH, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["argument_specs"]["main"]["options"]

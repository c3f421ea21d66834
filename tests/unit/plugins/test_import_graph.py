"""The module_utils import graph: acyclic, and what a host runs holds no
controller code.

AnsiballZ packs every module_utils file a module imports, transitively, and
ships it to each host on every task; controller-only code there is dead
weight on the wire and a layering mistake (the info module once shipped the
inventory parser to every host). Modules with an action plugin of the same
name (fleet, converge) run on the controller and are not host side.

The graph is read from the source with ast, so an import inside a function
counts too, as it does for AnsiballZ.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PLUGINS = ROOT / "plugins"
MODULE_UTILS = PLUGINS / "module_utils"
PACKAGE = "ansible_collections.fleetnet.wireguard.plugins.module_utils"

# The one declaration of what runs only on the controller: the inventory's
# reading and checking, the fleet plan, the key store and device exports,
# and the status report. A host-side module must reach none of them.
CONTROLLER_ONLY = frozenset((
    "contract",
    "device_config",
    "inventory",
    "key_store",
    "key_store_guard",
    "plan",
    "problems",
    "removals",
    "status_report",
    "status_svg",
    "status_text",
    "status_verdict",
    "topology",
    "validation",
))

# Host-side modules that still reach controller code, with the reason and
# the change that removes it. The test fails when an entry is no longer
# true, so the list can only shrink.
PENDING = {}


def _module_utils_names():
    return {".".join(p.relative_to(MODULE_UTILS).with_suffix("").parts)
            for p in MODULE_UTILS.rglob("*.py") if p.name != "__init__.py"}


NAMES = _module_utils_names()


def _resolve(dotted):
    """A dotted name under module_utils -> the module_utils file it loads, or None."""
    parts = dotted.split(".")
    while parts:
        name = ".".join(parts)
        if name in NAMES:
            return name
        parts.pop()
    return None


def imports_of(path, own=None):
    """The module_utils names a file imports (absolute or relative)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            candidates = [a.name[len(PACKAGE) + 1:] for a in node.names if a.name.startswith(PACKAGE + ".")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # relative: only meaningful inside module_utils
                base = (own or "").split(".")[:-node.level] if own is not None else None
                if base is None:
                    continue
                module = ".".join(base + ([node.module] if node.module else []))
            elif node.module == PACKAGE:
                module = ""
            elif (node.module or "").startswith(PACKAGE + "."):
                module = node.module[len(PACKAGE) + 1:]
            else:
                continue
            candidates = [".".join(filter(None, (module, a.name))) for a in node.names] + ([module] if module else [])
        else:
            continue
        found |= {r for r in map(_resolve, candidates) if r}
    found.discard(own)
    return found


GRAPH = {name: imports_of(MODULE_UTILS.joinpath(*name.split(".")).with_suffix(".py"), name) for name in NAMES}


def reach(start_imports):
    """{module_utils name: the import chain that reaches it}"""
    chains = {}
    todo = [(name, [name]) for name in sorted(start_imports)]
    while todo:
        name, chain = todo.pop(0)
        if name in chains:
            continue
        chains[name] = chain
        todo += [(dep, chain + [dep]) for dep in sorted(GRAPH[name])]
    return chains


def host_modules():
    action_backed = {p.stem for p in (PLUGINS / "action").glob("*.py")}
    return sorted(p.stem for p in (PLUGINS / "modules").glob("*.py") if p.stem not in action_backed and p.stem != "__init__")


def test_the_graph_is_read():
    # a parser that saw nothing would pass every test below
    assert GRAPH["status_report"] >= {"status_facts", "status_verdict"}
    assert reach(imports_of(PLUGINS / "modules" / "info.py"))["wg_dump"] == ["info_facts", "status_facts", "wg_dump"]
    for name in NAMES:
        text = MODULE_UTILS.joinpath(*name.split(".")).with_suffix(".py").read_text()
        if PACKAGE + " import" in text or PACKAGE + "." in text:
            assert GRAPH[name], "%s imports module_utils but no edge was found" % name


def test_controller_only_names_exist():
    assert CONTROLLER_ONLY <= NAMES, "renamed or removed: %s" % sorted(CONTROLLER_ONLY - NAMES)


def test_host_modules_are_found():
    assert {"info", "peer", "interface", "routing", "keypair", "platform", "dkms_reload"} <= set(host_modules())
    assert not {"fleet", "converge"} & set(host_modules())


def test_acyclic():
    state = {}

    def visit(name, path):
        state[name] = "open"
        for dep in sorted(GRAPH[name]):
            if state.get(dep) == "open":
                cycle = path[path.index(dep):] + [dep]
                pytest.fail("import cycle: %s" % " -> ".join(cycle))
            if dep not in state:
                visit(dep, path + [dep])
        state[name] = "done"

    for name in sorted(NAMES):
        if name not in state:
            visit(name, [name])


@pytest.mark.parametrize("module", host_modules())
def test_host_module_ships_no_controller_code(module):
    chains = reach(imports_of(PLUGINS / "modules" / (module + ".py")))
    pending = {dep for (mod, dep) in PENDING if mod == module}
    wrong = {name: chain for name, chain in chains.items() if name in CONTROLLER_ONLY and name not in pending}
    assert not wrong, "\n".join("%s -> %s" % (module, " -> ".join(chain)) for chain in wrong.values())
    stale = sorted(dep for dep in pending if dep not in chains)
    assert not stale, "%s no longer reaches %s: remove it from PENDING" % (module, ", ".join(stale))

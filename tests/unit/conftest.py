"""Make the collection importable as ansible_collections.fleetnet.wireguard.

The repository root is the collection; .collections/ansible_collections/
fleetnet/wireguard is a symlink back to it, so putting .collections on
sys.path is enough (ansible_collections is a namespace package, and the
collections bundled with the ansible package stay importable too).
"""

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = str(REPO_ROOT / ".collections")

if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

"""Keeps the secret half of the controller's key store private.

<key store>/private/ (unmanaged devices' private and preshared keys) and
<key store>/export/ (their configs and QR codes, which hold those keys) must
be readable by the controller's user only: directories 0700, files 0600. The
writers make them so, but a copy, an unpack or a checkout (git keeps no
modes beyond the x bit) can loosen them later, so every run checks both trees
and tightens what it finds. The store also gets a .gitignore: public/ is meant
to be committed with the inventory, private/ and export/ never.

Pure Python, no Ansible imports: the fleet action and the unit tests share it.
"""

from __future__ import annotations

import os
import stat

from ansible_collections.fleetnet.wireguard.plugins.module_utils import files

SECRET_TREES = ("private", "export")
DIR_MODE = 0o700
FILE_MODE = 0o600
GITIGNORE_HEADER = (
    "# Written by fleetnet.wireguard. public/ holds public keys: commit it with the inventory.\n"
    "# private/ and export/ hold private and preshared keys: never commit them.\n"
)
GITIGNORE_LINES = ("/private/", "/export/")


def loose(root):
    """[(path, mode, wanted mode)] for each directory or file of the secret
    trees that others could read or enter (group or other bits set).
    Symbolic links are neither followed nor changed."""
    found = []
    for tree in SECRET_TREES:
        top = os.path.join(root, tree)
        if not os.path.isdir(top) or os.path.islink(top):
            continue
        for directory, subdirs, names in os.walk(top):
            for path, wanted in [(directory, DIR_MODE)] + [(os.path.join(directory, n), FILE_MODE) for n in names]:
                info = os.lstat(path)
                if stat.S_ISLNK(info.st_mode):
                    continue
                mode = stat.S_IMODE(info.st_mode)
                if mode & 0o077:
                    found.append((path, mode, wanted))
            subdirs[:] = [d for d in subdirs if not os.path.islink(os.path.join(directory, d))]
    return found


def repair(found):
    """Give each path of loose() its wanted mode (outermost first, as found)."""
    for path, dummy, wanted in found:
        os.chmod(path, wanted)


def describe(found, root, check_mode, limit=10):
    """One warning for the whole repair: what was loose, and what happens."""
    shown = ["%s (%04o, %s %04o)" % (os.path.relpath(path, root), mode, "would be" if check_mode else "now", wanted)
             for path, mode, wanted in found[:limit]]
    more = " and %d more" % (len(found) - limit) if len(found) > limit else ""
    return ("the key store %s holds secrets that others could read: %s%s. Keep private/ and export/ to their owner "
            "(directories 0700, files 0600)%s." % (root, ", ".join(shown), more,
                                                   "; check mode changed nothing" if check_mode else ""))


def gitignore_missing(root):
    """The lines of GITIGNORE_LINES that <root>/.gitignore lacks."""
    present = {line.strip() for line in (files.read_text(os.path.join(root, ".gitignore")) or "").splitlines()}
    return [line for line in GITIGNORE_LINES if line not in present]


def write_gitignore(root, missing):
    """Add the missing lines to <root>/.gitignore, keeping what is there."""
    path = os.path.join(root, ".gitignore")
    current = files.read_text(path)
    if current is None:
        text = GITIGNORE_HEADER
    else:
        text = current if current.endswith("\n") or not current else current + "\n"
    files.write_atomic(path, text + "".join(line + "\n" for line in missing), 0o644)


def secure(root, check_mode=False):
    """Tighten the secret trees and complete the .gitignore of an existing
    key store. -> (changed, warning or None)"""
    if not os.path.isdir(root):
        return False, None
    found = loose(root)
    missing = gitignore_missing(root)
    if not check_mode:
        repair(found)
        if missing:
            write_gitignore(root, missing)
    return bool(found or missing), describe(found, root, check_mode) if found else None

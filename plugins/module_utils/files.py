"""Atomic, permission-safe file writes on the managed host.

A secret must never exist, even for a moment, with looser permissions than
it ends with, and a reader must see the old file or the new one, never half:
so we create the temporary file with its final mode in the same directory,
fsync it and rename it over the target. A file that cannot be renamed over
(a bind mount) and holds no secret is rewritten in place instead.
"""

from __future__ import annotations

import os
import stat
import tempfile


def ensure_dir(path, mode=0o700):
    """Create ``path`` (and missing parents) with ``mode``; tighten an existing one. -> changed"""
    if not os.path.isdir(path):
        os.makedirs(path, mode)
        os.chmod(path, mode)
        return True
    if stat.S_IMODE(os.stat(path).st_mode) != mode:
        os.chmod(path, mode)
        return True
    return False


def ensure_dirs(paths, mode=0o700):
    """ensure_dir for each, outermost first (a secret's parents must be private too)."""
    for path in paths:
        ensure_dir(path, mode)


def list_dir(path):
    """Names in a directory, sorted; [] when it does not exist."""
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def read_text(path):
    """The file's text, or None if it does not exist."""
    try:
        with open(path, "r") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def read_bytes(path):
    """The file's bytes, or None if it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def write_in_place(path, data):
    """Rewrite an existing file through its own inode, keeping its owner,
    mode and links: for a file that cannot be renamed over, such as a
    container's /etc/hosts (a bind mount). Not atomic; for no secret."""
    with open(path, "r+b") as handle:
        handle.write(data)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())


def write_atomic(path, text, mode=0o600):
    write_atomic_bytes(path, text.encode("utf-8"), mode)


def write_atomic_bytes(path, data, mode=0o600):
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def mode_of(path):
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None

"""Keep one WireGuard private key file on a host: the logic of the keypair module."""

from __future__ import annotations

import os

from ansible_collections.fleetnet.wireguard.plugins.module_utils import files, wg_config, wg_keys

REGENERATE = ("never", "full_idempotence", "always")


class KeyFileError(Exception):
    pass


def adoptable_key(config_path):
    """A PrivateKey written in an existing wg-quick file, so that taking over a
    hand-made setup does not re-key it."""
    text = files.read_text(config_path) if config_path else None
    if not text:
        return None
    try:
        key = wg_config.parse(text).interface.get("PrivateKey")
    except wg_config.ConfigError:
        return None
    return key if key and wg_keys.is_valid_key(key) else None


def _current_key(path):
    text = files.read_text(path)
    return None if text is None else text.strip()


def plan_key(path, regenerate, config_path=None):
    """Decide what to do without doing it: 'keep', 'generate' or 'adopt'.

    Returns (action, private key to keep or adopt, or None). The private key
    goes only to the caller that writes it; it never goes into a result.
    """
    if regenerate not in REGENERATE:
        raise KeyFileError("regenerate must be one of %s" % ", ".join(REGENERATE))
    current = _current_key(path)
    if current is not None:
        if regenerate == "always":
            return "generate", None
        if wg_keys.is_valid_key(current):
            return "keep", current
        if regenerate == "never":
            raise KeyFileError("%s exists but is not a WireGuard private key; fix or remove it, "
                               "or use regenerate=full_idempotence to replace it" % path)
        return "generate", None
    adopted = adoptable_key(config_path)
    if adopted:
        return "adopt", adopted
    return "generate", None


def apply(path, regenerate, config_path=None, check_mode=False):
    """Ensure the key file; return a result dict that holds no secret."""
    current = _current_key(path)
    previous = wg_keys.public_key(current) if current and wg_keys.is_valid_key(current) else None
    action, private_key = plan_key(path, regenerate, config_path)
    directory = os.path.dirname(path)
    dir_wrong = files.mode_of(directory) not in (None, 0o700)
    mode_wrong = action == "keep" and files.mode_of(path) != 0o600
    if action == "generate" and not check_mode:
        private_key = wg_keys.generate_private_key()
    if not check_mode:
        files.ensure_dir(directory, 0o700)
        if action != "keep":
            files.write_atomic(path, private_key + "\n", 0o600)
        elif mode_wrong:
            os.chmod(path, 0o600)
    public = wg_keys.public_key(private_key) if private_key else None
    return {
        "changed": action != "keep" or dir_wrong or mode_wrong,
        "action": action,
        "path": path,
        "public_key": public,
        "previous_public_key": previous if action != "keep" else None,
    }

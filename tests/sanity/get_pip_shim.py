"""Stand-in for ansible-test's pip bootstrap script (get-pip.py), whose
download host is not reachable here: pip from ensurepip, then the requested
packages from the package index, as get-pip.py would install them."""
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], stdout=subprocess.DEVNULL)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
if args:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check"] + args)

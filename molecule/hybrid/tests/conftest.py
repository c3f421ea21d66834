import os
import sys

HERE = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(HERE, "..", "..", "resources", "tests"))
# the collection's own parsers, to check exported files the way the module reads them
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", ".collections"))

"""docs/testing.md names every test file, so a reader can find what proves what."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_testing_doc_names_every_test_file():
    doc = (ROOT / "docs" / "testing.md").read_text()
    files = sorted(ROOT.glob("tests/**/test_*.py"))
    assert len(files) > 10
    missing = [str(f.relative_to(ROOT)) for f in files if f.name not in doc]
    assert missing == [], "docs/testing.md does not name %s" % missing


def test_testing_doc_names_every_molecule_scenario():
    doc = (ROOT / "docs" / "testing.md").read_text()
    scenarios = sorted(d.name for d in (ROOT / "molecule").iterdir() if (d / "molecule.yml").exists())
    missing = [s for s in scenarios if "| `%s` |" % s not in doc]
    assert missing == [], "docs/testing.md's scenario table lacks %s" % missing

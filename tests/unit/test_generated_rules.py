"""data/rules/form_interruptions.yml is generated: it must be what its generator writes now
(an edit to one without the other would change the bot without anyone seeing it)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RULES = Path("data/rules/form_interruptions.yml")


def test_the_form_interruption_rules_match_their_generator(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / RULES).unlink()
    subprocess.run([sys.executable, str(ROOT / "scripts" / "gen-form-interruptions.py")],
                   cwd=tmp_path, check=True)
    assert (tmp_path / RULES).read_text() == (ROOT / RULES).read_text()

"""The shell's defaults (scripts/env.sh, which Rasa's endpoints.yml and the scripts read) and
bot/config.py's defaults (which our Python reads) must describe the same machine: the same
var directory, database, ports and addresses."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("VAR_DIR", "DATABASE_URL", "RASA_PORT", "ACTION_PORT", "WEB_PORT", "BIND_HOST",
         "RASA_URL")


def shell_defaults(workdir: Path) -> dict[str, str]:
    """env.sh sourced in an empty environment, from `workdir`."""
    script = f"source {ROOT / 'scripts' / 'env.sh'} >/dev/null 2>&1; " + "; ".join(
        f'echo "{name}=${name}"' for name in NAMES
    )
    out = subprocess.run(["bash", "-c", script], cwd=workdir, env={"HOME": str(workdir)},
                         capture_output=True, text=True, check=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines())


def test_env_sh_and_config_agree_on_every_default(tmp_path: Path) -> None:
    shell = shell_defaults(tmp_path)
    # Python started with what env.sh exports reads the same as Python started with nothing
    # (from the same directory: both default to ./var).
    from_shell = Settings.from_env(shell)
    bare = Settings.from_env({})
    assert Path(shell["VAR_DIR"]) == tmp_path / "var"
    assert from_shell.database == shell["DATABASE_URL"]
    assert bare.database == f"sqlite:///{Path('var') / 'secondread.db'}"
    assert shell["DATABASE_URL"].endswith("/var/secondread.db")
    assert (from_shell.rasa_url, bare.rasa_url) == (shell["RASA_URL"], shell["RASA_URL"])
    assert (bare.bind_host, bare.action_port) == (shell["BIND_HOST"], int(shell["ACTION_PORT"]))
    assert bare.rasa_url.endswith(f":{shell['RASA_PORT']}")
    assert str(bare.web_port) == shell["WEB_PORT"]

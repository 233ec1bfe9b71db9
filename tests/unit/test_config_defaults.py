"""The shell's defaults (scripts/env.sh, which Rasa's endpoints.yml and the scripts read) come
from bot/config.py (`python -m bot.config --shell`), so they describe the same machine as our
Python: the same var directory, database, ports and addresses."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from bot.config import LOCK_STORE_DEFAULTS, Settings, shell_defaults

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("VAR_DIR", "DATABASE_URL", "RASA_PORT", "ACTION_PORT", "WEB_PORT", "BIND_HOST",
         "RASA_URL")


def sourced_env_sh(workdir: Path) -> dict[str, str]:
    """env.sh sourced in an empty environment, from `workdir`."""
    script = f"source {ROOT / 'scripts' / 'env.sh'} >/dev/null 2>&1; " + "; ".join(
        f'echo "{name}=${name}"' for name in NAMES
    )
    out = subprocess.run(["bash", "-c", script], cwd=workdir, env={"HOME": str(workdir)},
                         capture_output=True, text=True, check=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines())


def test_env_sh_and_config_agree_on_every_default(tmp_path: Path) -> None:
    shell = sourced_env_sh(tmp_path)
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


def test_env_sh_keeps_no_default_of_its_own() -> None:
    """`: "${NAME:=value}"` was how env.sh repeated bot/config.py's defaults."""
    text = (ROOT / "scripts" / "env.sh").read_text()
    assert not re.search(r"\$\{\w+:?=", text)
    assert "-m bot.config --shell" in text


def test_the_environment_wins_over_every_default(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "SECONDREAD_DEV_MODE": "0", "VAR_DIR": str(tmp_path / "v"),
           "DATABASE_URL": "postgresql+psycopg://db.internal/sr", "RASA_PORT": "6005",
           "ACTION_PORT": "6055", "LOCK_STORE": "redis", "XDG_CACHE_HOME": str(tmp_path / "c")}
    defaults = shell_defaults(env, tmp_path)
    assert not set(defaults) & set(env)
    # Defaults that follow from what was given: Rasa's URL and the action endpoint from the
    # ports, the tracker store from the database (under Rasa's plain driver name).
    assert defaults["RASA_URL"] == "http://127.0.0.1:6005"
    assert defaults["ACTION_ENDPOINT_URL"] == "http://127.0.0.1:6055/webhook"
    assert defaults["TRACKER_URL"] == "postgresql://db.internal/sr"
    assert defaults["TRACKER_DIALECT"] == "postgresql"
    assert defaults["MODEL_DIR"] == str(tmp_path / "v" / "models")
    assert defaults["MODEL_CACHE_DIR"] == str(tmp_path / "c" / "secondread" / "models")
    # Outside development mode no key is generated.
    assert not {"SECONDREAD_SECRET_KEY", "RASA_API_TOKEN"} & set(defaults)
    assert not (tmp_path / "v").exists()


def test_an_empty_variable_counts_as_unset_as_it_did_in_the_shell(tmp_path: Path) -> None:
    defaults = shell_defaults({"HOME": str(tmp_path), "WEB_PORT": "", "SECONDREAD_DEV_MODE": "0"},
                              tmp_path)
    assert defaults["WEB_PORT"] == "8000"
    assert {name: defaults[name] for name in LOCK_STORE_DEFAULTS} == LOCK_STORE_DEFAULTS


def test_env_sh_works_before_make_install(tmp_path: Path) -> None:
    """Without the project's virtualenv (a fresh clone) the system's Python 3 reads the defaults;
    a value set in the shell, even unexported, is kept."""
    checkout = tmp_path / "checkout"
    (checkout / "scripts").mkdir(parents=True)
    (checkout / "scripts" / "env.sh").write_text((ROOT / "scripts" / "env.sh").read_text())
    (checkout / "bot").symlink_to(ROOT / "bot")
    env_sh = checkout / "scripts" / "env.sh"
    script = f"WEB_PORT=8123 && source {env_sh} && echo $WEB_PORT $RASA_URL"
    out = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                         env={"HOME": str(tmp_path), "PATH": "/usr/local/bin:/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["8123", "http://127.0.0.1:5005"]

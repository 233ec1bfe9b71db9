"""`bot-admin`: accounts from the command line, no default password."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.staff.cli import main
from bot.staff.models import StaffUser
from bot.staff.passwords import verify_password


class Stdin(io.StringIO):
    def isatty(self) -> bool:
        return False


@pytest.fixture(autouse=True)
def _database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)


def run(*argv: str, stdin: str = "") -> int:
    return main(list(argv), Stdin(stdin))


def test_create_user_with_the_password_on_stdin(
    sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("create-user", "Alex", "--role", "agent", "--name", "Alex",
               "--password-stdin", stdin="a long enough secret\n") == 0
    assert "created agent alex" in capsys.readouterr().out
    with sessions() as session:
        user = session.scalars(select(StaffUser)).one()
    assert (user.username, user.role, user.display_name) == ("alex", "agent", "Alex")
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, "a long enough secret")
    assert "a long enough secret" not in user.password_hash


def test_short_passwords_duplicates_and_bad_roles_are_refused(
    capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("create-user", "sam", "--role", "admin", stdin="short\n") == 1
    assert "at least 12 characters" in capsys.readouterr().err
    assert run("create-user", "sam", "--role", "admin", stdin="\n") == 1
    assert run("create-user", "sam", "--role", "admin", stdin="twelve chars!\n") == 0
    assert run("create-user", "SAM", "--role", "agent", stdin="twelve chars!\n") == 1
    assert "already exists" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run("create-user", "kim", "--role", "root", stdin="twelve chars!\n")


def test_set_password_disable_and_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("create-user", "sam", "--role", "admin", stdin="twelve chars!\n") == 0
    assert run("set-password", "sam", stdin="another passphrase\n") == 0
    assert run("set-password", "nobody", stdin="another passphrase\n") == 1
    assert run("disable-user", "sam") == 0
    capsys.readouterr()
    assert run("list-users") == 0
    assert "sam\tadmin\tdisabled" in capsys.readouterr().out


class Terminal(Stdin):
    def isatty(self) -> bool:
        return True


def test_the_password_is_asked_twice_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter(["first passphrase!", "second passphrase"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["create-user", "kim", "--role", "agent"], Terminal()) == 1
    assert "the passwords differ" in capsys.readouterr().err
    answers = iter(["same passphrase!", "same passphrase!"])
    assert main(["create-user", "kim", "--role", "agent"], Terminal()) == 0


def test_usernames_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    for bad in ("a", "has space", "semi;colon", "x" * 65):
        assert run("create-user", bad, "--role", "agent", stdin="twelve chars!\n") == 1
    assert "usernames are" in capsys.readouterr().err

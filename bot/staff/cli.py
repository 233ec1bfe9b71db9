"""`bot-admin`: manage staff accounts of the console. There is no default account or password.

    bot-admin create-user alex --role admin --name "Alex"   # asks for the password twice
    printf '%s\\n' "$PASSWORD" | bot-admin create-user sam --role agent --password-stdin
    bot-admin set-password alex | disable-user sam | enable-user sam | list-users
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from typing import TextIO

from bot.db import database_url, make_engine, migrate, session_factory
from bot.staff.accounts import Accounts
from bot.staff.passwords import WeakPassword, check_password_rules
from bot.staff.records import AccountExists, AccountNotFound, Role


class PasswordMismatch(ValueError):
    pass


def read_password(from_stdin: bool, stdin: TextIO = sys.stdin) -> str:
    if from_stdin or not stdin.isatty():
        return stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password (at least 12 characters): ")
    check_password_rules(first)
    if getpass.getpass("Repeat the password: ") != first:
        raise PasswordMismatch("the passwords differ")
    return first


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bot-admin", description="SecondRead staff accounts")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-user", help="create a console account")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--name", help="shown to patients in replies, e.g. 'Alex'")
    create.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    password = commands.add_parser("set-password", help="set a new password; ends sessions")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    for name in ("disable-user", "enable-user"):
        commands.add_parser(name).add_argument("username")
    commands.add_parser("list-users")
    return parser


def main(argv: Sequence[str] | None = None, stdin: TextIO = sys.stdin) -> int:
    args = _parser().parse_args(argv)
    url = database_url()
    migrate(url)
    engine = make_engine(url)
    accounts = Accounts(session_factory(engine))
    try:
        if args.command == "create-user":
            account = accounts.create(
                args.username, Role(args.role), read_password(args.password_stdin, stdin),
                args.name,
            )
            print(f"created {account.role.value} {account.username}")
        elif args.command == "set-password":
            accounts.set_password(args.username, read_password(args.password_stdin, stdin))
            print("password set; the account's sessions were ended")
        elif args.command in ("disable-user", "enable-user"):
            accounts.set_active(args.username, args.command == "enable-user")
            print(f"{args.command.split('-')[0]}d {args.username}")
        else:
            for a in accounts.list():
                state = "active" if a.active else "disabled"
                print(f"{a.username}\t{a.role.value}\t{state}\t{a.display_name}")
    except (WeakPassword, PasswordMismatch, AccountExists, AccountNotFound, ValueError) as error:
        message = f"account {error} already exists" if isinstance(error, AccountExists) else (
            f"no account {error}" if isinstance(error, AccountNotFound) else str(error)
        )
        print(f"bot-admin: {message}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

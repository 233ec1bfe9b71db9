"""`python -m bot.actions.server`: rasa-sdk's action server, private.

It listens on BIND_HOST (loopback by default; rasa-sdk's own runner listens on 0.0.0.0) and
answers only calls carrying `Authorization: Bearer <ACTION_SERVER_TOKEN>`, the header Rasa sends
from endpoints.yml; the token is compared in constant time. `/health` stays open for monitoring.
Errors never echo the request (rasa-sdk's handler returns the whole tracker, personal data
included), and there is no CORS: browsers have no business here.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import sys

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import ConfigError, Settings

logger = logging.getLogger(__name__)
OPEN_PATHS = frozenset({"/health"})


def authorized(header: str | None, token: str) -> bool:
    """Whether an Authorization header carries the bearer token (constant-time comparison)."""
    expected = f"Bearer {token}".encode()
    return bool(token) and hmac.compare_digest((header or "").encode(), expected)


def create_server(token: str, package: str = "bot.actions") -> Sanic:  # type: ignore[type-arg]
    """rasa-sdk's app with every route but /health behind the token."""
    if not token:
        raise ConfigError("the action server needs ACTION_SERVER_TOKEN")
    executor = ActionExecutor()
    executor.register_package(package)
    app: Sanic = create_app(executor, cors_origins="")  # type: ignore[type-arg]

    @app.on_request
    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS or authorized(request.headers.get("authorization"), token):
            return None
        logger.warning("refused %s %s: no valid token", request.method, request.path)
        return response.json({"error": "unauthorized"}, status=401)

    async def error_without_body(request: Request, exception: Exception) -> HTTPResponse:
        # The type only: the request (a tracker) and messages may carry patient data.
        logger.error("action call failed: %s", type(exception).__name__)
        return response.json({"error": "the action failed"}, status=500)

    # Replaces rasa-sdk's handler for Exception (Sanic's add() refuses a second one).
    app.error_handler.cached_handlers[(Exception, None)] = error_without_body
    return app


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        settings = Settings.load()
    except ConfigError as error:
        print(f"action server not started: {error}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(description="SecondRead action server")
    parser.add_argument("--host", default=settings.bind_host)
    parser.add_argument("--port", type=int, default=settings.action_port)
    args = parser.parse_args()
    app = create_server(settings.action_server_token)
    logger.info("action server on http://%s:%d (token required)", args.host, args.port)
    app.run(host=args.host, port=args.port, single_process=True, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

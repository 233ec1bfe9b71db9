"""FastAPI application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from bot.config import Settings
from bot.letters.requests import records_requests
from bot.notify.followups import follow_ups_forever
from bot.notify.rasa import RasaNotifier
from bot.notify.telegram import send_to_telegram
from bot.notify.uploads import link_upload_announcer, partial_settings
from bot.retention import purge_daily
from bot.web.comparison_api import comparison_router
from bot.web.console import router as console_router
from bot.web.letters_api import letters_router
from bot.web.presence_api import presence_router
from bot.web.sessions_api import sessions_router
from bot.web.tus_api import TUS_REQUEST_HEADERS, TUS_RESPONSE_HEADERS
from bot.web.uploads_api import uploads_router
from bot.web.widget import STATIC_DIR, widget_router


@asynccontextmanager
async def _daily_retention(_app: FastAPI) -> AsyncIterator[None]:
    task = asyncio.create_task(purge_daily())
    yield
    task.cancel()


def _records_follow_ups(rasa: RasaNotifier, settings: Settings) -> APIRouter:
    """The day-10 and day-30 follow-ups of the records requests the bot wrote."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(
            follow_ups_forever(
                records_requests, rasa, partial_settings(send_to_telegram, settings),
                interval=settings.follow_up_round_seconds,
                first_delay=min(30.0, settings.follow_up_round_seconds),
            )
        )
        yield
        task.cancel()

    return APIRouter(lifespan=lifespan)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.load()
    # No public API docs: they would map every route for anyone (the routes are in the README).
    app = FastAPI(
        title="SecondRead", version="0.1.0", docs_url=None, redoc_url=None, openapi_url=None
    )
    # The widget runs on clinics' own sites: it calls our APIs cross-origin with a bearer token
    # (never cookies), so allowing those origins exposes nothing without a token.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.widget_origins),
        allow_methods=["GET", "POST", "HEAD", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "Accept", *TUS_REQUEST_HEADERS],
        expose_headers=list(TUS_RESPONSE_HEADERS),
        max_age=600,
    )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(widget_router(settings))
    app.include_router(sessions_router(settings))
    # Its lifespan runs the inspection worker; checks of upload-page files are announced in
    # the chat through Rasa (and, for Telegram conversations, the Bot API).
    rasa = RasaNotifier(settings.rasa_url, settings.rasa_api_token or None)
    announce = link_upload_announcer(rasa, partial_settings(send_to_telegram, settings))
    app.include_router(uploads_router(settings, on_checked=announce))
    app.include_router(letters_router(settings))
    app.include_router(comparison_router(settings))
    app.include_router(presence_router(settings))
    app.include_router(console_router)
    app.include_router(APIRouter(lifespan=_daily_retention))
    app.include_router(_records_follow_ups(rasa, settings))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


app = create_app()

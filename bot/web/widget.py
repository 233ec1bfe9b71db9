"""Serves the embeddable chat widget (`/widget.js`, `/widget.css`) and the demo clinic page."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from bot.config import Settings

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# Short cache: a clinic's page picks up a new widget within minutes.
CACHE = {"Cache-Control": "public, max-age=300"}


def widget_router(settings: Settings) -> APIRouter:
    router = APIRouter()

    @router.get("/widget.js", include_in_schema=False)
    async def widget_js() -> FileResponse:
        return FileResponse(
            STATIC_DIR / "widget.js", media_type="text/javascript; charset=utf-8", headers=CACHE
        )

    @router.get("/widget.css", include_in_schema=False)
    async def widget_css() -> FileResponse:
        return FileResponse(
            STATIC_DIR / "widget.css", media_type="text/css; charset=utf-8", headers=CACHE
        )

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def demo_page(request: Request) -> HTMLResponse:
        response = TEMPLATES.TemplateResponse(
            request,
            "home.html",
            {"rasa_url": settings.rasa_url, "widget_url": f"{settings.public_url}/widget.js"},
        )
        response.headers["Content-Security-Policy"] = demo_csp(settings)
        return response

    return router


def demo_csp(settings: Settings) -> str:
    """A strict policy for the demo page: proves the widget needs no inline code or eval."""
    socket = settings.rasa_public_url
    ws = socket.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' {socket} {ws}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )

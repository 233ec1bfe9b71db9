"""Download de-identified copy: a ZIP of an upload's DICOM images with the PS3.15 Annex E basic
profile applied, for teaching or quality review (issue 22). Any signed-in staff member may make
one (the copy carries no identity in its headers; the README inside lists the images that may
still show it in their pixels). A POST with the console's CSRF token, since every copy is
audited; the original stays available to admins only, from the file list."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from bot.staff.exports import DeidentifiedZip, Exports, NothingToExport
from bot.web.console.security import PREFIX, ConsoleRoute, Services, StaffPost
from bot.web.console.templates import back_with_notice, case_url, conversation_url
from bot.web.console.uploads import FileKey

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute)


def exports(services: Services) -> Exports:
    return Exports(services.sessions, services.settings, services.clock)


def zip_response(made: DeidentifiedZip) -> Response:
    """The copy, sent while it is made (no length known beforehand: chunked); the making stops
    once it is sent or when the client goes away. The route is a plain `def`: waiting for the
    first image runs on a worker thread, never on the event loop, and so does each block."""

    def blocks() -> Iterator[bytes]:
        try:
            yield from made
        finally:
            made.close()

    return StreamingResponse(blocks(), media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{made.filename}"',
    }, background=BackgroundTask(made.close))


def zip_or_notice(make: Callable[[], DeidentifiedZip], back_url: str) -> Response:
    """The copy made by `make`, or back to `back_url` with the reason there is nothing to copy."""
    try:
        made = make()
    except NothingToExport as error:
        return back_with_notice(back_url, str(error))
    return zip_response(made)


@router.post("/cases/{number}/uploads/{upload_id}/deidentified")
def case_copy(
    number: str, upload_id: FileKey, principal: StaffPost, services: Services
) -> Response:
    return zip_or_notice(
        lambda: exports(services).for_case(principal, number, upload_id), case_url(number)
    )


@router.post("/conversations/{conversation_id}/uploads/{upload_id}/deidentified")
def conversation_copy(
    conversation_id: str, upload_id: FileKey, principal: StaffPost, services: Services
) -> Response:
    return zip_or_notice(
        lambda: exports(services).for_conversation(principal, conversation_id, upload_id),
        conversation_url(conversation_id),
    )

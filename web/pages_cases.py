"""The queue, one case, its evidence files, and what a commission does to it."""

from __future__ import annotations

import mimetypes

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from intake import actions
from intake.answers import record_commission_answer
from intake.attachments import read_bytes
from intake.category import load_rules
from models.tables import Attachment, AuditLog, Case, CaseStatus
from notify.images import is_image, stripped_copy
from web.cache import as_of, figures, mark_acted
from web.case_data import case_view, visible_case
from web.guard import page, record
from web.queue import CHANNELS, STATUSES, Filters, counts, page_of
from web.render import render
from web.sessions import Viewer

MAX_TEXT = 4000


def region_codes(request: Request) -> list[str]:
    return request.app.state.regions


@page()
async def queue(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
    zone = request.app.state.settings.zone
    filters = Filters.of(request.query_params, viewer.is_central)
    rows, after = await page_of(
        session, filters, viewer.scope, zone, request.query_params.get("after")
    )
    found, counted_at = await figures(
        request, session, ("counts", viewer.scope, viewer.is_central, filters),
        lambda own: counts(own, filters, viewer.scope, zone, viewer.is_central),
    )  # fmt: skip
    return render(request, "queue.html", {
        "viewer": viewer, "language": viewer.account.language, "cases": rows,
        "filters": filters, "next_after": after, "counts": found, "as_of": as_of(counted_at),
        "statuses": STATUSES, "channels": CHANNELS, "regions": region_codes(request),
        "categories": [rule.code for rule in load_rules()],
    })  # fmt: skip


async def _case_or_404(session: AsyncSession, viewer: Viewer, number: str) -> Case:
    case = await visible_case(session, viewer, number)
    if case is None:
        raise HTTPException(404)
    return case


@page()
async def case_page(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
    case = await _case_or_404(session, viewer, request.path_params["number"])
    view = await case_view(session, viewer, case)
    if viewer.is_central:
        view.targets = await actions.reroute_targets(session, case)
    reads = [AuditLog(actor=viewer.actor, action="read.case", case_id=case.id)]
    if view.contact:
        reads.append(AuditLog(actor=viewer.actor, action="read.contact", case_id=case.id))
    record(request, *reads)
    return render(request, "case.html", {
        "viewer": viewer, "language": viewer.account.language, "view": view, "case": case,
        "resolutions": actions.RESOLUTIONS, "notice": request.query_params.get("done", ""),
        "is_image": is_image,
    })  # fmt: skip


def safe_name(case: Case, item: Attachment, mime: str) -> str:
    """A download name of our own making: never the sender's (it may hold paths, quotes,
    newlines or a misleading extension)."""
    extension = {"image/jpeg": ".jpg", "image/png": ".png"}.get(mime) or (
        mimetypes.guess_extension(mime) or ".bin"
    )
    if not extension[1:].isalnum():
        extension = ".bin"
    return f"{case.number}-{item.id}{extension}"


@page()
async def attachment(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
    """An evidence file: images as their metadata-stripped copy, other files as they are,
    always a download (or an inline image for the page's preview) under a safe name."""
    case = await _case_or_404(session, viewer, request.path_params["number"])
    item = await session.get(Attachment, request.path_params["file_id"])
    if item is None or item.case_id != case.id:
        raise HTTPException(404)
    content = read_bytes(request.app.state.settings.ATTACHMENTS_DIR, item.path)
    if content is None:
        raise HTTPException(404)
    mime = "application/octet-stream"
    if is_image(item.mime_type):
        copy = stripped_copy(content)
        if copy is None:
            raise HTTPException(404)
        content, mime = copy
    inline = request.query_params.get("inline") == "1" and mime.startswith("image/")
    record(request, AuditLog(actor=viewer.actor, action="read.attachment", case_id=case.id,
                                   details={"attachment": item.id}))  # fmt: skip
    disposition = "inline" if inline else "attachment"
    return Response(content, media_type=mime, headers={
        "content-disposition": f'{disposition}; filename="{safe_name(case, item, mime)}"',
    })  # fmt: skip


def _text(form: object, name: str) -> str:
    value = form.get(name) if hasattr(form, "get") else None  # type: ignore[union-attr]
    return value.strip()[:MAX_TEXT] if isinstance(value, str) else ""


def _back(case: Case, done: str) -> Response:
    return RedirectResponse(f"/cases/{case.number}?done={done}", status_code=303)


@page(act=True)
async def act(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
    """POST /cases/{number}/{action}: take, answer, resolve, reroute (central), note."""
    case = await _case_or_404(session, viewer, request.path_params["number"])
    action = request.path_params["action"]
    form = await request.form()
    if action != "note" and case.status == CaseStatus.resolved:
        return _back(case, "closed")
    if action == "take":
        await actions.take(session, case, viewer.actor)
    elif action == "answer" and _text(form, "text"):
        await record_commission_answer(session, case, _text(form, "text"), actor=viewer.actor,
                                       via="web")  # fmt: skip
    elif action == "note" and _text(form, "text"):
        await actions.add_note(session, case, viewer.actor, _text(form, "text"), via="web")
    elif action == "resolve" and _text(form, "resolution") in actions.RESOLUTIONS:
        await actions.resolve(session, case, viewer.actor, _text(form, "resolution"))
    elif action == "reroute":
        if not viewer.is_central:
            raise HTTPException(403)
        reason = _text(form, "reason")
        if not reason:
            return _back(case, "reason")
        try:
            await actions.reroute(session, case, viewer.actor, _text(form, "target"), reason)
        except ValueError:
            return _back(case, "target")
    else:
        return _back(case, "empty")
    await session.commit()
    request.app.state.cache.clear()
    response = _back(case, action)
    mark_acted(response, request.app.state.settings.WEB_SECURE_COOKIES)
    return response

"""Every page goes through `page`: who is signed in, CSRF on every state-changing request,
and the role the page needs. The endpoint then gets a store session and the viewer."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from models.tables import AuditLog
from web import sessions
from web.security import same
from web.sessions import Viewer

Endpoint = Callable[[Request, AsyncSession, Viewer], Awaitable[Response]]
SAFE_METHODS = frozenset({"GET", "HEAD"})


def local_path(value: str | None, default: str = "/") -> str:
    """Only a path on this site (no scheme, no //host): a sign-in link cannot send users away."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return default


def token_of(request: Request) -> str | None:
    return sessions.token_from(request.app.state.secret, request.cookies.get(sessions.COOKIE))


async def csrf_ok(request: Request, expected: str) -> bool:
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf")
        sent = value if isinstance(value, str) else None
    return same(sent, expected)


def record(request: Request, *rows: AuditLog) -> None:
    """Access-log rows to write once the page is done (see `_after`)."""
    request.state.audit.extend(rows)


async def _after(request: Request, viewer: Viewer) -> None:
    """The page's access-log rows and the session's last-seen time, in one short write
    transaction after the page's own session is closed: a request never holds two pooled
    connections at once (50 concurrent requests would otherwise starve the pool)."""
    rows: list[AuditLog] = request.state.audit
    stale = sessions.stale(viewer)
    if not rows and not stale:
        return
    async with request.app.state.sessions() as session:
        if stale:
            await sessions.touch(session, viewer)
        session.add_all(rows)
        await session.commit()


def page(*, act: bool = False, central: bool = False) -> Callable[[Endpoint], Callable]:
    """`act`: only accounts that may act (not viewers); `central`: central only, and to the
    others the page does not exist (404)."""

    def wrap(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(endpoint)
        async def handle(request: Request) -> Response:
            # Pages that only read use a read session (no write lock on SQLite); what they
            # must write (the access log) goes through `record`.
            safe = request.method in SAFE_METHODS
            factory = request.app.state.read_sessions if safe else request.app.state.sessions
            request.state.audit = []
            async with factory() as session:
                viewer = await sessions.load(session, request.app.state.settings, token_of(request))
                if viewer is None:
                    if request.method not in SAFE_METHODS:
                        raise HTTPException(403)
                    target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
                    return RedirectResponse(f"/login?next={target}", status_code=303)
                if request.method not in SAFE_METHODS and not await csrf_ok(
                    request, viewer.session.csrf
                ):
                    raise HTTPException(403, "CSRF token missing or wrong")
                if central and not viewer.is_central:
                    raise HTTPException(404)
                if act and not viewer.can_act:
                    raise HTTPException(403)
                response = await endpoint(request, session, viewer)
            await _after(request, viewer)
            return response

        return handle

    return wrap

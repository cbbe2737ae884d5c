"""Sign-in (`/login`: email and password, then a TOTP code when the account has one) and
sign-out. Sign-in is throttled per account and per address; its failures all read the same."""

from __future__ import annotations

import logging

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from models.tables import AuditLog
from models.web import Role, WebAccount
from web import accounts, sessions
from web.guard import local_path, page, token_of
from web.render import render
from web.security import login_csrf, new_token, same
from web.sessions import COOKIE, PRE_COOKIE, Viewer

log = logging.getLogger(__name__)


def _cookie(request: Request, response: Response, name: str, value: str) -> None:
    settings = request.app.state.settings
    response.set_cookie(
        name, value, max_age=settings.WEB_SESSION_HOURS * 3600, path="/", httponly=True,
        samesite="strict", secure=settings.WEB_SECURE_COOKIES,
    )  # fmt: skip


def _form(request: Request, *, step: str, error: str = "", status: int = 200,
          next_path: str = "/") -> Response:  # fmt: skip
    """The sign-in form, with a fresh nonce cookie its CSRF token is bound to."""
    nonce = request.cookies.get(PRE_COOKIE) or new_token()
    response = render(request, "login.html", {
        "step": step, "error": error, "next": next_path,
        "csrf": login_csrf(request.app.state.secret, nonce),
    }, status_code=status)  # fmt: skip
    _cookie(request, response, PRE_COOKIE, nonce)
    return response


async def login_page(request: Request) -> Response:
    return _form(request, step="password", next_path=local_path(request.query_params.get("next")))


async def login(request: Request) -> Response:
    form = await request.form()
    nonce = request.cookies.get(PRE_COOKIE)
    sent = form.get("csrf")
    if not nonce or not same(sent if isinstance(sent, str) else None,
                             login_csrf(request.app.state.secret, nonce)):  # fmt: skip
        raise HTTPException(403, "CSRF token missing or wrong")
    next_path = local_path(str(form.get("next") or "/"))
    address = request.client.host if request.client else "unknown"
    async with request.app.state.sessions() as session:
        if "code" in form:
            return await _second_step(request, session, str(form.get("code") or ""), address,
                                      next_path)  # fmt: skip
        email, password = str(form.get("email") or ""), str(form.get("password") or "")
        throttle = accounts.Throttle.of(email, address)
        if await throttle.blocked(session):
            return _form(request, step="password", error="throttled", status=429,
                         next_path=next_path)  # fmt: skip
        account = await accounts.find(session, email)
        if account is not None and account.disabled:
            account = None
        if not accounts.password_ok(account, password):
            await throttle.failed(session)
            await session.commit()
            log.info("sign-in failed")
            return _form(request, step="password", error="wrong", status=401, next_path=next_path)
        assert account is not None
        if _totp_needed(request, account):
            if not account.totp_secret:
                return _form(request, step="password", error="totp_required", status=403)
            token = await sessions.start(session, account, stage="totp")
            await session.commit()
            response = _form(request, step="code", next_path=next_path)
            _cookie(request, response, COOKIE, sessions.cookie_value(request.app.state.secret, token))
            return response
        await throttle.succeeded(session)
        return await _signed_in(request, session, account, next_path)


def _totp_needed(request: Request, account: WebAccount) -> bool:
    mandatory = request.app.state.settings.WEB_CENTRAL_TOTP and account.role == Role.central
    return bool(account.totp_secret) or mandatory


async def _second_step(request: Request, session: AsyncSession, code: str, address: str,
                       next_path: str) -> Response:  # fmt: skip
    pending_token = token_of(request)
    pending = await sessions.load(session, request.app.state.settings, pending_token, stage="totp")
    if pending is None:
        return _form(request, step="password", error="expired", status=401)
    throttle = accounts.Throttle.of(pending.account.email, address)
    if await throttle.blocked(session):
        return _form(request, step="code", error="throttled", status=429, next_path=next_path)
    if not accounts.totp_ok(pending.account, code):
        await throttle.failed(session)
        await session.commit()
        return _form(request, step="code", error="wrong_code", status=401, next_path=next_path)
    await sessions.end(session, pending_token)
    await throttle.succeeded(session)
    return await _signed_in(request, session, pending.account, next_path)


async def _signed_in(request: Request, session: AsyncSession, account: WebAccount,
                     next_path: str) -> Response:  # fmt: skip
    """A new session id, whatever cookie came in: a planted one is never promoted, and the
    session the browser held before (if any) ends."""
    await sessions.end(session, token_of(request))
    token = await sessions.start(session, account)
    session.add(AuditLog(actor=f"web:{account.email}", action="account.signed_in"))
    await session.commit()
    response = RedirectResponse(next_path, status_code=303)
    _cookie(request, response, COOKIE, sessions.cookie_value(request.app.state.secret, token))
    response.delete_cookie(PRE_COOKIE, path="/")
    return response


@page()
async def logout(request: Request, session: AsyncSession, viewer: Viewer) -> Response:
    await sessions.end(session, token_of(request))
    session.add(AuditLog(actor=viewer.actor, action="account.signed_out"))
    await session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response

"""The console's ASGI application: `create_app(settings, sessions)` (the runner, `shagym web`
and the tests all build it here)."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from core.settings import Settings
from intake.gazetteer import load as load_gazetteer
from models.db import SessionFactory, read_sessions
from web import export, pages_audit, pages_auth, pages_cases, pages_dashboard
from web.cache import TtlCache
from web.render import compile_all, render
from web.security import SecurityHeaders

STATIC = Path(__file__).resolve().parent / "static"


async def _error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if request.method != "GET":
        return PlainTextResponse(str(status), status_code=status)
    return render(request, "error.html", {"status": status}, status_code=status)


def create_app(settings: Settings, sessions: SessionFactory) -> Starlette:
    routes = [
        Route("/", pages_dashboard.dashboard_page),
        Route("/login", pages_auth.login_page, methods=["GET"]),
        Route("/login", pages_auth.login, methods=["POST"]),
        Route("/logout", pages_auth.logout, methods=["POST"]),
        Route("/cases", pages_cases.queue),
        Route("/cases.csv", export.csv_export),
        Route("/cases.xlsx", export.xlsx_export),
        Route("/cases/{number}", pages_cases.case_page),
        Route("/cases/{number}/files/{file_id:int}", pages_cases.attachment),
        Route("/cases/{number}/{action:str}", pages_cases.act, methods=["POST"]),
        Route("/audit", pages_audit.audit),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _error})
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.read_sessions = read_sessions(sessions)
    app.state.cache = TtlCache()
    app.state.secret = settings.web_secret_key()
    app.state.regions = sorted(load_gazetteer().regions)
    app.add_middleware(SecurityHeaders, hsts=settings.WEB_SECURE_COOKIES)
    compile_all()  # once a process (the environment is shared)
    return app

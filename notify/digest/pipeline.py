"""Building many digests at once: each commission's queries run while the previous digest's
chart and templates render in a worker thread, so the two overlap (the database works, or
SQLite's C code runs with the GIL released, while matplotlib draws)."""

from __future__ import annotations

import asyncio
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from functools import cache, partial

from models.db import SessionFactory
from models.tables import Commission
from notify.digest.build import BuiltDigest, build
from notify.digest.data import collect
from notify.digest.queries import Window


@cache
def _renderer() -> ThreadPoolExecutor:
    # One thread: matplotlib figures are not shared across threads, and one is enough to keep
    # rendering off the event loop and overlapped with the next commission's queries.
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="digest-render")


async def build_many(
    sessions: SessionFactory,
    jobs: list[tuple[Commission, Window]],
    *,
    chart_src: str,
    period: dt.date | None = None,
) -> list[BuiltDigest]:
    """The digests of `jobs`, in order."""
    loop = asyncio.get_running_loop()
    rendering = []
    for commission, window in jobs:
        async with sessions() as session:
            data = await collect(session, commission, window)
        job = partial(build, data, chart_src=chart_src, period=period)
        rendering.append(loop.run_in_executor(_renderer(), job))
    return list(await asyncio.gather(*rendering))

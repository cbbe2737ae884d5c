"""`shagym demo`: the whole hotline at work in about a minute, offline and without credentials.

The sandboxes (Bot API emulator, Dovecot, SMTP sink) and the real service run on loopback with
a temporary SQLite store; invented citizens report on Telegram and by email, a commissioner
answers from the group, the next morning's digest goes out, and the story is printed. See
`demo.story` for the plot and `demo.world` for the set.

Only typer is imported here, so the rest of the CLI does not pay for the demo's imports.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer()
DEADLINE = 300.0  # seconds: a hang becomes an error, never a demo that never ends


async def _run(root: Path, started: float, kept: bool) -> None:
    from demo.console import DemoConsole, Printer
    from demo.story import play
    from demo.world import demo_world

    console = DemoConsole(highlight=False)
    async with asyncio.timeout(DEADLINE), demo_world(root) as world:
        printer = Printer(console, world)
        printer.intro()
        story = asyncio.create_task(play(world, printer.act), name="story")
        await asyncio.wait([story, world.service], return_when=asyncio.FIRST_COMPLETED)
        if not story.done():  # the service stopped first: Ctrl-C, or it failed
            story.cancel()
            world.check_service()
        story.result()
        printer.outro(time.monotonic() - started, kept)


def _workdir(keep: Path | None) -> Path:
    if keep is None:
        return Path(tempfile.mkdtemp(prefix="shagym-demo-"))
    if keep.exists() and any(keep.iterdir()):
        raise typer.BadParameter(
            f"{keep} is not empty; give a new or empty directory", param_hint="--keep"
        )
    keep.mkdir(parents=True, exist_ok=True)
    return keep.resolve()


@app.command()
def demo(
    keep: Annotated[
        Path | None,
        typer.Option("--keep", help="Keep the store, emails, attachments and digests in DIR."),
    ] = None,
) -> None:
    """Show the whole hotline working, offline: citizens, commissions, answers, digests."""
    from demo.console import OutputClosed
    from demo.world import COMMISSIONS_FILE, Stopped

    if not COMMISSIONS_FILE.is_file():
        typer.echo(f"error: the demo needs {COMMISSIONS_FILE}: run it from a clone", err=True)
        raise typer.Exit(2)
    started = time.monotonic()
    root = _workdir(keep)
    try:
        asyncio.run(_run(root, started, keep is not None))
    except (KeyboardInterrupt, Stopped):
        typer.echo("demo stopped", err=True)
        raise typer.Exit(130) from None
    except TimeoutError as exc:
        typer.echo(
            f"error: the demo got stuck: {str(exc) or f'not done in {DEADLINE:.0f} s'}", err=True
        )
        raise typer.Exit(1) from None
    except OutputClosed:
        raise typer.Exit(141) from None  # 128 + SIGPIPE, as a shell pipeline expects
    except Exception as exc:
        logging.getLogger(__name__).debug("the demo failed", exc_info=True)
        typer.echo(
            f"error: the demo failed: {type(exc).__name__}: {exc} (-v shows more)", err=True
        )
        raise typer.Exit(1) from None
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)

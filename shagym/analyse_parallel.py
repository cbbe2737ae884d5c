"""Many texts of one file analysed by several processes, the output exactly the serial one.

The parent loads the model, rules, gazetteer and morphology first, then forks: the workers
share those pages and start warm. The lines are cut into contiguous shares; the parent does the
first and writes it as it goes, each worker writes its share to a temporary file, and the parent
copies those after its own, in order. A worker that fails has its share done by the parent, so
a result is never lost or reordered. Analysis is a pure function of each line (the caches only
remember answers), which is why the parts join into what one process would have written.
"""

from __future__ import annotations

import os
import shutil
from contextlib import ExitStack
from typing import IO

from shagym.analyse_cli import analyse_one, result_lines

# Fewer texts than this per process and the fork, the workers' cold caches and the copy cost
# more than the share saves.
MIN_SHARE = 200
# Read by `analyse_one` before forking: Cyrillic words (pymorphy3, the gazetteer, the category
# model and rules) and a phone number (phonenumbers and its KZ metadata, ~75 ms to import).
WARM_TEXT = "В Караганде директор заставляет вступить в партию, звоните +7 701 123 45 67"

Numbered = list[tuple[int, str]]


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def shares(lines: Numbered, jobs: int) -> list[Numbered]:
    """Contiguous shares of the non-blank lines, at most `jobs`, each of MIN_SHARE or more."""
    texts = [item for item in lines if item[1].strip()]
    count = max(1, min(jobs, len(texts) // MIN_SHARE))
    size = -(-len(texts) // count) if texts else 0
    return [texts[k * size : (k + 1) * size] for k in range(count)]


def _fork_worker(share: Numbered, out: IO[str]) -> int:
    pid = os.fork()
    if pid == 0:  # the worker: its results to `out`, then leave without the parent's cleanup
        code = 1
        try:
            out.writelines(result_lines(share))
            out.flush()
            code = 0
        finally:
            os._exit(code)
    return pid


def write_shared(lines: Numbered, sink: IO[str], jobs: int) -> None:
    """The results of `lines` to `sink` in their order, `jobs` processes at most."""
    parts = shares(lines, jobs)
    if len(parts) == 1 or not hasattr(os, "fork"):
        sink.writelines(result_lines(lines))
        return
    import tempfile  # here: a one-text file does not need it

    analyse_one(WARM_TEXT)
    sink.flush()  # nothing buffered is inherited (a worker leaves by os._exit, never flushing)
    with ExitStack() as files:
        workers = []
        for share in parts[1:]:
            # surrogatepass: the parent reads back exactly the strings the worker wrote
            out = files.enter_context(
                tempfile.TemporaryFile("w+", encoding="utf-8", errors="surrogatepass")
            )
            workers.append((_fork_worker(share, out), out, share))
        try:
            sink.writelines(result_lines(parts[0]))
        finally:  # each worker is waited for, whatever happens here: no zombie is left
            done = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0 for pid, _, _ in workers]
        for ok, (_, out, share) in zip(done, workers, strict=True):
            if ok:
                out.seek(0)
                shutil.copyfileobj(out, sink)
            else:
                sink.writelines(result_lines(share))

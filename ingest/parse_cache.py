"""Extraction files processed in parallel, and each file's result remembered by its content.

Parsing is where a large build spends its time: even read from libyaml's events in one pass
(``yaml_reader.read_yaml``), every value is built in Python. Three things make it cheaper, and
none changes what a file gives:

- **In parallel**: each file is processed on its own (``extraction.process``: parse, validate,
  check, rows), so many files are processed by a pool of processes (one per core). A few files
  are processed in this process: a pool costs more to start than they take.
- **Streamed**: results come back in file order while the pool works on the next files, a few
  chunks ahead at most, so the build inserts one file's rows while others are parsed and never
  holds more than a window of them.
- **Remembered**: each file that processed without problems is stored, as its ``FileResult``
  (rows as tuples, warnings, what the folder checks), under the SHA-256 of its bytes and of the
  folder's ``Context`` (vocabularies, shared sources, year), in a folder per *code version* (a
  hash of the code in ``ingest/``, ``schema/`` and ``analysis/``, and of the PyYAML, pydantic and
  Python versions). A later build reads an unchanged file's result back instead of processing it
  again; a changed file or context has another hash, and a change to the code moves to a new
  folder. A file that has problems is never stored: its problems are found again, with their
  messages.

The bytes hashed are the bytes parsed: a file is hashed again after ``read_yaml`` has read it,
and a file that changed in between is processed but not stored. A stored entry that cannot be
read back (truncated, from another version) is processed anew and replaced.

The cache is on for ``evidence build`` (``.cache/emg-evidence/`` beside the database) and
off elsewhere: a caller turns it on for a block with :func:`options`. The cache files are Python
pickles: the folder is the builder's own, like its ``__pycache__``; do not point it at a folder
others can write to.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import multiprocessing
import os
import pickle
import platform
import shutil
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .dataset import Context
from .extraction import FileResult, process
from .files import FileProblem, read_file

#: Below this many files to parse, a pool of processes costs more than it saves.
MIN_PARALLEL_FILES = 16
#: Files handed to a worker at a time: large enough to amortise the round trip, small enough
#: to keep every core busy to the end (and the progress bar moving).
CHUNK_FILES = 8
#: Chunks per worker sent ahead of the one the build is inserting: enough to keep the workers
#: busy, few enough that results waiting to be inserted take little memory.
CHUNKS_AHEAD = 3
#: Folder names under the cache folder: one per code version.
VERSION_PREFIX = "parse-"
#: An entry folder may hold this many times the files of the last build (plus a margin) before
#: the entries that build did not use are removed: old versions of files being edited.
KEEP_FACTOR = 4
KEEP_MARGIN = 1000


@dataclass(frozen=True)
class Options:
    """How :func:`results` runs; set for a block with :func:`options`."""

    #: Folder of the cache; None: no cache.
    cache_dir: Path | None = None
    #: Worker processes; None: one per core the process may use.
    workers: int | None = None
    #: Called with (files done, files in all) as files are parsed or read back.
    on_progress: Callable[[int, int], None] | None = None


_OPTIONS: contextvars.ContextVar[Options | None] = contextvars.ContextVar("parse_cache_options", default=None)


def current_options() -> Options:
    """The options in force here (none set: no cache, one worker per core)."""
    return _OPTIONS.get() or Options()


@contextlib.contextmanager
def options(
    cache_dir: Path | None = None,
    workers: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Iterator[Options]:
    """Use these options for every :func:`results` (``evidence build``, ``load_dataset``) in the block."""
    opts = Options(cache_dir, workers, on_progress)
    token = _OPTIONS.set(opts)
    try:
        yield opts
    finally:
        _OPTIONS.reset(token)


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of everything that decides what a file parses and validates to.

    The source of ``ingest/``, ``schema/`` and ``analysis/`` (the reader, the models, the
    vocabularies and anything else they may import, this module) and the versions of Python,
    PyYAML and pydantic.
    """
    import pydantic
    import pydantic_core
    import yaml

    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for folder in (here, here.parent / "schema", here.parent / "analysis"):
        for source in sorted(folder.glob("*.py")):
            digest.update(source.name.encode())
            digest.update(source.read_bytes())
    for version in (
        sys.version,
        platform.python_implementation(),
        yaml.__version__,
        str(getattr(yaml, "__with_libyaml__", False)),
        pydantic.VERSION,
        pydantic_core.__version__,
    ):
        digest.update(version.encode())
    return digest.hexdigest()


def entry_dir(cache_dir: Path) -> Path:
    """The folder of this code version's entries."""
    return cache_dir / f"{VERSION_PREFIX}{code_version()[:20]}"


def _digest(path: Path, root: Path | None) -> str | None:
    """SHA-256 of the file's bytes as the reader reads them (``files.read_file``: a regular file
    of bounded size, inside ``root`` if given), or None where the reader would refuse the file:
    then it is parsed, and ``read_yaml`` says why it is refused."""
    try:
        return hashlib.sha256(read_file(path, root)).hexdigest()
    except (FileProblem, OSError):
        return None


def _read_entry(entry: Path, path: Path) -> FileResult | None:
    """A stored result, for the file now at ``path``; None if it cannot be read back."""
    try:
        value = pickle.loads(entry.read_bytes())
    except Exception:  # gone, truncated or foreign: process the file again
        return None
    if not isinstance(value, FileResult):
        return None
    value.path = path  # the same bytes may have been stored from another place
    return value


def _write_entry(folder: Path, name: str, payload: bytes) -> None:
    """Write one entry atomically (a half-written entry is never read as whole)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(payload)
            os.replace(tmp, folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # a cache that cannot be written is only slower


def _process(path: Path, folder: Path | None, root: Path | None, context: Context, keep: bool) -> FileResult:
    """One file's result, stored under its bytes' hash if it has no problems (and the bytes did
    not change while it was read)."""
    before = _digest(path, root) if folder is not None and not keep else None
    result = process(path, root, context, keep_record=keep)
    if folder is not None and before is not None and not result.problems and _digest(path, root) == before:
        payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        _write_entry(folder, _entry_name(before, context), payload)
    return result


def _process_chunk(
    paths: list[str], folder: str | None, root: str | None, context: Context, keep: bool
) -> bytes:
    """A worker's task: process a few files; the results go back pickled in one piece."""
    target = Path(folder) if folder is not None else None
    top = Path(root) if root is not None else None
    return pickle.dumps(
        [_process(Path(p), target, top, context, keep) for p in paths], pickle.HIGHEST_PROTOCOL
    )


def _entry_name(digest: str, context: Context) -> str:
    return f"{digest}-{context.digest()[:16]}.pickle"


def _pool_context() -> multiprocessing.context.BaseContext:
    """fork where it is safe (no other thread could hold a lock), else forkserver or spawn."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def worker_count(files: int, requested: int | None = None) -> int:
    """Processes to parse ``files`` files with: 1 (this process) for a few files."""
    if requested is not None:
        cores = max(requested, 1)
    elif hasattr(os, "sched_getaffinity"):
        cores = len(os.sched_getaffinity(0))
    else:
        cores = os.cpu_count() or 1
    if files < MIN_PARALLEL_FILES:
        return 1
    return max(1, min(cores, files // CHUNK_FILES))


def results(
    paths: Sequence[Path], root: Path | None, context: Context, keep_records: bool = False
) -> Iterator[FileResult]:
    """Each file's ``FileResult``, in the order of ``paths``, as ``process`` gives it.

    :param root: the data folder, passed on to ``read_yaml`` (which refuses files outside it)
    :param keep_records: give each result its validated record too (nothing is read from or
        written to the cache then: records are not stored)
    """
    opts = current_options()
    folder = entry_dir(opts.cache_dir) if opts.cache_dir is not None and not keep_records else None
    total = len(paths)
    used: set[str] = set()
    # Which files must be processed: those without a stored result (a damaged one is found when
    # it is read, and processed then, in this process).
    digests = [_digest(p, root) if folder is not None else None for p in paths]
    todo = [
        i for i, d in enumerate(digests)
        if d is None or folder is None or not (folder / _entry_name(d, context)).is_file()
    ]  # fmt: skip
    workers = worker_count(len(todo), opts.workers)
    chunks = [todo[k : k + CHUNK_FILES] for k in range(0, len(todo), CHUNK_FILES)] if workers > 1 else []
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) if chunks else None
    target = str(folder) if folder is not None else None
    top = str(root) if root is not None else None
    pending: deque[Future[bytes]] = deque()
    submitted = 0
    ready: dict[int, FileResult] = {}
    todo_set = set(todo)

    def submit_more() -> None:
        nonlocal submitted
        while pool is not None and submitted < len(chunks) and len(pending) < workers * CHUNKS_AHEAD:
            chunk = chunks[submitted]
            pending.append(
                pool.submit(
                    _process_chunk, [str(paths[i]) for i in chunk], target, top, context, keep_records
                )
            )
            submitted += 1

    try:
        submit_more()
        taken = 0  # chunks whose results are in `ready` or given
        for i, path in enumerate(paths):
            if i not in todo_set:
                name = _entry_name(digests[i], context)  # type: ignore[arg-type]
                result = _read_entry(folder / name, path) if folder is not None else None
                if result is None:  # damaged or gone since: process it here
                    result = _process(path, folder, root, context, keep_records)
                else:
                    used.add(name)
            elif pool is None:
                result = _process(path, folder, root, context, keep_records)
            else:
                if i not in ready:
                    chunk = chunks[taken]
                    outcomes = pickle.loads(pending.popleft().result())
                    taken += 1
                    submit_more()
                    ready.update(zip(chunk, outcomes))
                result = ready.pop(i)
            result.digest = digests[i]
            if folder is not None and not result.problems and digests[i] is not None:
                used.add(_entry_name(digests[i], context))  # type: ignore[arg-type]
            if opts.on_progress is not None:
                opts.on_progress(i + 1, total)
            yield result
    finally:
        if pool is not None:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True)
    if opts.cache_dir is not None and folder is not None:
        prune(opts.cache_dir, used)


def prune(cache_dir: Path, used: set[str]) -> None:
    """Remove other code versions' folders, and this version's unused entries once too many."""
    current = entry_dir(cache_dir)
    try:
        for other in cache_dir.glob(VERSION_PREFIX + "*"):
            if other != current and other.is_dir():
                shutil.rmtree(other, ignore_errors=True)
        if not current.is_dir():
            return
        entries = [e for e in os.scandir(current) if e.name.endswith(".pickle")]
        if len(entries) > KEEP_FACTOR * len(used) + KEEP_MARGIN:
            for entry in entries:
                if entry.name not in used:
                    Path(entry.path).unlink(missing_ok=True)
    except OSError:
        pass

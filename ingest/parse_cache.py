"""Extraction files parsed in parallel, and each file's validated result remembered by its content.

Parsing is where a large build spends its time: even read from libyaml's events in one pass
(``yaml_reader.read_yaml``), every value is built in Python. Two things make it cheaper, and
neither changes what is parsed or how:

- **In parallel**: the files are independent, so many of them are parsed by a pool of processes
  (one per core), each calling ``read_yaml`` and ``parse`` exactly as a serial loop would. A few
  files are parsed in this process: a pool costs more to start than they take.
- **Remembered**: each file that parsed and validated is stored, as its validated
  ``ExtractionIn``, under the SHA-256 of its bytes, in a folder per *code version* (a hash of the
  code in ``ingest/``, ``schema/`` and ``analysis/``, and of the PyYAML, pydantic and Python
  versions). A later build reads an unchanged file's result back instead of parsing it again; a
  changed file has another hash and is parsed anew, and a change to the code moves to a new folder.
  A file that has problems is never stored: its problems are found again, with their messages.

The bytes hashed are the bytes parsed: a file is hashed again after ``read_yaml`` has read it,
and a file that changed in between is parsed but not stored. A stored entry that cannot be read
back (truncated, from another version) is parsed anew and replaced.

The cache is on for ``evidence build`` (``.cache/emg-evidence/`` beside the database) and
off elsewhere: a caller turns it on for a block with :func:`options`, so ``load_dataset`` keeps
its signature. The cache files are Python pickles: the folder is the builder's own, like its
``__pycache__``; do not point it at a folder others can write to.
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
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .files import FileProblem, read_file
from .records import ExtractionIn
from .yaml_reader import DataError, parse, read_yaml

#: Below this many files to parse, a pool of processes costs more than it saves.
MIN_PARALLEL_FILES = 16
#: Files handed to a worker at a time: large enough to amortise the round trip, small enough
#: to keep every core busy to the end (and the progress bar moving).
CHUNK_FILES = 8
#: Folder names under the cache folder: one per code version.
VERSION_PREFIX = "parse-"
#: An entry folder may hold this many times the files of the last build (plus a margin) before
#: the entries that build did not use are removed: old versions of files being edited.
KEEP_FACTOR = 4
KEEP_MARGIN = 1000


@dataclass(frozen=True)
class Options:
    """How :func:`load_extractions` runs; set for a block with :func:`options`."""

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
    """Use these options for every :func:`load_extractions` (``load_dataset``) in the block."""
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


def _read_entry(folder: Path, digest: str) -> ExtractionIn | None:
    try:
        value = pickle.loads((folder / f"{digest}.pickle").read_bytes())
    except FileNotFoundError:
        return None
    except Exception:  # a truncated or foreign entry: parse the file again
        return None
    return value if isinstance(value, ExtractionIn) else None


def _write_entry(folder: Path, digest: str, payload: bytes) -> None:
    """Write one entry atomically (a half-written entry is never read as whole)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(payload)
            os.replace(tmp, folder / f"{digest}.pickle")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # a cache that cannot be written is only slower


#: One file's outcome: its problems (or None), its validated record (or None), and the SHA-256
#: of the bytes it was parsed from if it was stored under it (else None).
_Outcome = tuple[list[str] | None, ExtractionIn | None, str | None]


def _parse_file(path: Path, folder: Path | None, root: Path | None) -> _Outcome:
    """What the serial loop of ``load_dataset`` does for one file, plus storing the result."""
    before = _digest(path, root) if folder is not None else None
    try:
        data = read_yaml(path) if root is None else read_yaml(path, root)
        if not isinstance(data, dict):
            return [f"{path}: (top level): expected a mapping with study, conditions, ..."], None, None
        record = parse(path, ExtractionIn, data)
    except DataError as e:
        return e.problems, None, None
    # Stored only if the bytes parsed are the bytes hashed: an edit in between is not cached.
    if folder is not None and before is not None and _digest(path, root) == before:
        _write_entry(folder, before, pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
        return None, record, before
    return None, record, None


def _parse_chunk(paths: list[str], folder: str | None, root: str | None) -> bytes:
    """A worker's task: parse and store a few files; the outcomes go back pickled in one piece."""
    target = Path(folder) if folder is not None else None
    outcomes = [_parse_file(Path(p), target, Path(root) if root is not None else None) for p in paths]
    return pickle.dumps(outcomes, protocol=pickle.HIGHEST_PROTOCOL)


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


def load_extractions(
    paths: Sequence[Path], root: Path | None = None
) -> tuple[list[tuple[Path, ExtractionIn]], list[str]]:
    """Parse and validate every extraction file, as a serial loop over ``read_yaml`` and ``parse``.

    :param root: the data folder, passed on to ``read_yaml`` (which refuses files outside it)
    :return: the (path, record) of each file that is valid, in the order of ``paths``, and the
        problems of the others, in the same order (each file's as ``read_yaml``/``parse`` say)
    """
    opts = current_options()
    folder = entry_dir(opts.cache_dir) if opts.cache_dir is not None else None
    total = len(paths)
    results: list[ExtractionIn | None] = [None] * total
    problems_of: list[list[str] | None] = [None] * total
    used: set[str] = set()
    done = 0

    def report(n: int = 1) -> None:
        nonlocal done
        done += n
        if opts.on_progress is not None:
            opts.on_progress(done, total)

    todo: list[int] = []
    for i, path in enumerate(paths):
        digest = _digest(path, root) if folder is not None else None
        record = _read_entry(folder, digest) if folder is not None and digest is not None else None
        if record is None:
            todo.append(i)
            continue
        results[i] = record
        used.add(f"{digest}.pickle")
        report()

    def take(i: int, outcome: _Outcome) -> None:
        problems, record, digest = outcome
        problems_of[i] = problems
        results[i] = record
        if digest is not None:
            used.add(f"{digest}.pickle")
        report()

    workers = worker_count(len(todo), opts.workers)
    if workers == 1:
        for i in todo:
            take(i, _parse_file(paths[i], folder, root))
    else:
        chunks = [todo[k : k + CHUNK_FILES] for k in range(0, len(todo), CHUNK_FILES)]
        target = str(folder) if folder is not None else None
        top = str(root) if root is not None else None
        with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
            futures = [
                pool.submit(_parse_chunk, [str(paths[i]) for i in chunk], target, top) for chunk in chunks
            ]
            for chunk, future in zip(chunks, futures):
                for i, outcome in zip(chunk, pickle.loads(future.result())):
                    take(i, outcome)

    if opts.cache_dir is not None and folder is not None:
        prune(opts.cache_dir, used)
    parsed = [(paths[i], r) for i, r in enumerate(results) if r is not None]
    problems = [p for found in problems_of if found for p in found]
    return parsed, problems


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

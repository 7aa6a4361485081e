"""Which files the build reads, and reading one safely.

A data file must be a regular file inside the data folder, of at most MAX_FILE_BYTES. Anything
else is refused before a byte is read: a FIFO would block the build forever, /dev/zero would fill
memory, a directory named like a file cannot be read, a symlink out of the folder would build the
database from a file nobody reviewed. Files the build does not read but that look like data (a
`.yml`, a wrongly cased `.Extraction.YAML`, an editor's `~` backup) are named in a warning
instead of being ignored silently.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .records import EXTRACTION_SUFFIX

#: Largest data file read, in bytes. The largest real file is ~32 KB; 5 MB is ~150 times that,
#: and keeps a runaway file (a generated dump, a binary) from costing memory and minutes of YAML.
MAX_FILE_BYTES = 5_000_000

#: The files the build reads at the top of the data folder and in vocab/.
TOP_LEVEL_FILES = ("sources.yaml", "claims.yaml", "review_pooled.yaml")
VOCAB_FILES = ("muscles.yaml", "synonyms.yaml", "exercises.yaml")


class FileProblem(Exception):
    """A data file that cannot be read as one: ``str(e)`` is the `<file>: (file): message`."""


_KINDS = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def _not_regular(path: Path, mode: int) -> FileProblem:
    kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
    return FileProblem(f"{path}: (file): {kind}, not a regular file: refused without reading it")


def read_file(path: Path, root: Path | None = None) -> bytes:
    """The bytes of ``path``, a regular file of at most MAX_FILE_BYTES inside ``root``.

    The file is opened non-blocking and checked on the open descriptor (fstat), so a FIFO or a
    device is refused without waiting on it or reading it, and nothing can be swapped in between
    the check and the read.
    """
    if root is not None:
        try:
            real, real_root = path.resolve(), root.resolve()
        except (OSError, RuntimeError) as e:  # a symlink loop
            raise FileProblem(f"{path}: (file): cannot read ({e})") from None
        if not real.is_relative_to(real_root):
            raise FileProblem(
                f"{path}: (file): a symlink to {real}, outside the data folder {real_root}: refused"
                " (data files must live in the data folder)"
            )
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        # A socket cannot even be opened ("No such device or address"): name what it is.
        try:
            mode = os.stat(path).st_mode
        except OSError:
            mode = 0
        if mode and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
            raise _not_regular(path, mode) from None
        raise FileProblem(f"{path}: (file): cannot read ({e.strerror})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise FileProblem(f"{path}: (file): a folder, not a file: refused")
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(path, info.st_mode)
        if info.st_size > MAX_FILE_BYTES:
            raise FileProblem(
                f"{path}: (file): too large: {info.st_size:,} bytes, more than the"
                f" {MAX_FILE_BYTES:,} a data file may have"
            )
        os.set_blocking(fd, True)
        chunks, size = [], 0
        # Read at most one byte past the cap: a file that grows while being read is still refused.
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_FILE_BYTES:
            raise FileProblem(
                f"{path}: (file): too large: more than the {MAX_FILE_BYTES:,} bytes a data file may have"
            )
        return b"".join(chunks)
    except OSError as e:
        raise FileProblem(f"{path}: (file): cannot read ({e.strerror})") from None
    finally:
        os.close(fd)


def extraction_paths(data_dir: Path) -> list[Path]:
    """The extraction files the build reads, by name: every entry ending in .extraction.yaml
    (whatever its kind: read_file refuses what is not a regular file)."""
    folder = data_dir / "extractions"
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [folder / name for name in names if name.endswith(EXTRACTION_SUFFIX)]


def _why_skipped(name: str, expected: str, known: tuple[str, ...] | None) -> str:
    lower = name.lower()
    reads = f"*{expected}" if known is None else ", ".join(n for n in known if n.endswith(".yaml"))
    if known is None and lower.endswith(expected) or known is not None and lower in known:
        return f"the build reads only {reads} here and the case of the name differs: rename it"
    if name.endswith("~") or lower.endswith((".bak", ".orig", ".swp", ".tmp", ".rej")):
        return "an editor's backup or temporary file? delete it"
    if lower.endswith((".yml", ".yaml")):
        return f"the build reads only {reads} here: rename it"
    return f"the build reads only {reads} here"


def skipped_files(data_dir: Path) -> list[str]:
    """Warnings naming every file the build leaves unread where data lives: anything in
    extractions/ not named *.extraction.yaml, and YAML-looking files in data/ and vocab/ that
    are not the ones the build reads."""
    warnings: list[str] = []
    places = [
        (data_dir / "extractions", None, EXTRACTION_SUFFIX),
        (data_dir, (*TOP_LEVEL_FILES, "extractions", "vocab"), ".yaml"),
        (data_dir / "vocab", VOCAB_FILES, ".yaml"),
    ]
    for folder, known, expected in places:
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            if known is None:
                if name.endswith(expected):
                    continue
            elif name in known or ".y" not in name.lower():
                # data/ and vocab/ may hold other files (README.md): only YAML-looking names count.
                continue
            what = "a folder" if (folder / name).is_dir() else "a file"
            warnings.append(
                f"{folder / name}: (file): not read: {what}; {_why_skipped(name, expected, known)}"
            )
    return warnings

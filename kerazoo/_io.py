"""Atomic file writes: a crash or kill never leaves a half-written file where a good one was."""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def require_writable_folder(folder: str | os.PathLike, argument: str = "output") -> None:
    """Creates `folder` if needed and checks it can be written, so a run fails before its work, not after."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"`{argument}` cannot be created: {folder} ({error.strerror})") from None
    if not os.access(folder, os.W_OK):
        raise ValueError(f"`{argument}` is not writable: {folder}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yields a temporary path beside `path`; on success it is renamed over `path`, on error removed.

    The temporary file sits in the same folder so the final `os.replace` is a same-filesystem rename,
    which is atomic on POSIX and Windows. The whole suffix is kept (`.weights.h5`, not just `.h5`) so
    writers that pick a format from the extension (Keras, matplotlib) still do. A killed process cannot
    remove its temporary file: the next write of the same path sweeps those whose process is gone.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = "".join(path.suffixes)
    stem = path.name[: len(path.name) - len(suffix)] if suffix else path.name
    _sweep_orphans(path.parent, stem, suffix)
    handle, temporary = tempfile.mkstemp(prefix=f".{stem}.{os.getpid()}.", suffix=suffix, dir=path.parent)
    os.close(handle)
    temporary = Path(temporary)
    try:
        yield temporary
        if temporary.exists():  # mkstemp's 0600 would make this file private; the umask decides, as for open()
            os.chmod(temporary, (0o777 if temporary.is_dir() else 0o666) & ~_umask())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _umask() -> int:
    """The process's umask, read without changing it where Linux shows it (os.umask can only set it)."""
    with contextlib.suppress(OSError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _sweep_orphans(folder: Path, stem: str, suffix: str) -> None:
    """Removes temporary files of earlier writes of this path whose writing process no longer runs."""
    for candidate in folder.glob(f".{glob.escape(stem)}.*{glob.escape(suffix)}"):
        pid = candidate.name[len(stem) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not _process_alive(int(pid)):
            candidate.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True

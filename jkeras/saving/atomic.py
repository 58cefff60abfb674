"""Atomic replacement of a file or directory: write beside it, then rename over it.

    with atomic_path("model.keras") as tmp:
        write(tmp)            # an exception here leaves "model.keras" as it was

The temporary path is in the same directory (`.model.keras.tmp-1a2b3c4d`), so the final rename
stays on one file system. A file is replaced with `os.replace`. A directory is swapped with
`renameat2(RENAME_EXCHANGE)` where Linux offers it (atomic), else by two renames (the previous
directory is briefly at `.<name>.old-<id>`).
"""
import contextlib
import ctypes
import os
import shutil
import uuid

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)


def _fsync(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _exchange(a, b):
    """Atomically swaps two paths (Linux renameat2); False where unavailable."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError, TypeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0


def _replace(tmp, path, is_dir):
    if not is_dir:
        if os.path.isdir(path):
            raise IsADirectoryError(f"Cannot save to {path!r}: it is an existing directory")
        _fsync(tmp)
        os.replace(tmp, path)
        return
    if os.path.lexists(path) and not os.path.isdir(path):
        raise NotADirectoryError(f"Cannot save a directory to {path!r}: it is an existing file")
    if not os.path.exists(path):
        os.rename(tmp, path)
    elif _exchange(tmp, path):
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        old = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.old-{uuid.uuid4().hex[:8]}")
        os.rename(path, old)
        os.rename(tmp, path)
        shutil.rmtree(old, ignore_errors=True)
    _fsync(os.path.dirname(path))


@contextlib.contextmanager
def atomic_path(path, is_dir=False):
    """Yields a temporary path beside `path`; on success it replaces `path`, on error it is removed.

    Args:
        path: the final file or directory.
        is_dir: whether a directory is written (created empty before yielding).
    """
    path = os.path.abspath(os.fspath(path))
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    tmp = os.path.join(parent, f".{os.path.basename(path)}.tmp-{uuid.uuid4().hex[:8]}")
    if is_dir:
        os.makedirs(tmp)
    try:
        yield tmp
        _replace(tmp, path, is_dir)
    except BaseException:
        _remove(tmp)
        raise

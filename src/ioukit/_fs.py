"""Files behind URLs: the one module that knows about fsspec.

Label maps and folders of label maps may be given as URLs (``file://``, ``s3://``, ``gs://``,
``http(s)://``, ``memory://``, ...), so that workers on other machines read the files
themselves. fsspec is imported on the first URL, never by ``import ioukit``; each protocol
needs its own package besides fsspec (s3fs for ``s3://``, gcsfs for ``gs://``, ...), named by
the error raised when it is missing.

A URL is a string that starts with ``protocol://``. Plain paths and ``os.PathLike`` objects
are local files, read with the standard library as before (no fsspec). Chained URLs
(``simplecache::s3://...``) are not recognised.
"""

from __future__ import annotations

import importlib
import itertools
import os
import re
import threading
from collections.abc import Iterable, Sequence
from typing import Any, TypeGuard

from ioukit._errors import InputError, MissingDependencyError

__all__ = ["file_sizes", "fs_of", "is_url", "list_files", "read_bytes", "remember_sizes", "why"]

# at least two letters before "://", so a Windows drive (C:\ or C:/) is never a protocol
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]+://")

# the package each protocol needs besides fsspec (fsspec's own registry says it in prose)
_PACKAGES = {
    "s3": "s3fs",
    "s3a": "s3fs",
    "gs": "gcsfs",
    "gcs": "gcsfs",
    "http": "aiohttp",
    "https": "aiohttp",
    "az": "adlfs",
    "abfs": "adlfs",
    "abfss": "adlfs",
    "adl": "adlfs",
    "hf": "huggingface_hub",
    "sftp": "paramiko",
    "ssh": "paramiko",
    "smb": "smbprotocol",
    "hdfs": "pyarrow",
    "oci": "ocifs",
    "webhdfs": "requests",
    "github": "requests",
}


def is_url(path: object) -> TypeGuard[str]:
    """Whether ``path`` is a URL string (``protocol://...``, ``file://`` included).

    >>> is_url("s3://bucket/masks"), is_url("file:///data"), is_url("/data"), is_url("C:\\\\data")
    (True, True, False, False)
    """
    return isinstance(path, str) and _URL.match(path) is not None


def _protocol(url: str) -> str:
    return url.split("://", 1)[0].lower()


def fs_of(url: str) -> tuple[Any, str]:
    """The fsspec filesystem of ``url`` and the path inside it (``fsspec.core.url_to_fs``).

    Raises
    ------
    MissingDependencyError
        fsspec, or the package of the URL's protocol, is not installed; the message says what
        to ``pip install``.
    InputError
        fsspec does not know the protocol.
    """
    protocol = _protocol(url)
    package = _PACKAGES.get(protocol)
    try:
        fsspec = importlib.import_module("fsspec")
    except ImportError as exc:
        wanted = "fsspec" if package is None else f"fsspec {package}"
        raise MissingDependencyError(
            f"{url}: reading files from URLs needs fsspec: pip install {wanted}."
        ) from exc
    if protocol not in fsspec.available_protocols():
        raise InputError(
            f"{url}: unknown protocol {protocol!r}; fsspec knows file://, memory://, s3://, "
            "gs://, http(s)://, az://, ... (fsspec.available_protocols())."
        )
    try:
        fs, root = fsspec.core.url_to_fs(url)
    except ImportError as exc:
        advice = f"pip install {package}" if package else f"fsspec says: {exc}"
        raise MissingDependencyError(
            f"{url}: the {protocol}:// protocol needs a package besides fsspec: {advice}."
        ) from exc
    return fs, str(root)


def list_files(url: str, *, label: str = "list_files:") -> list[tuple[str, str, int | None]]:
    """Every file under the folder ``url``, recursively: ``(relative posix path, full URL,
    size in bytes)``, sorted by relative path.

    Hidden files and folders (a path component starting with ``.``) are skipped. Sizes come
    from the listing itself (``None`` where the store does not tell); full URLs keep the
    protocol (``fs.unstrip_protocol``). Linked folders are not followed. ``label`` starts the
    error message (``"pair_files: `pred_dir`"``).

    Raises
    ------
    InputError
        ``url`` is not a folder (missing, or a file).

    >>> import fsspec
    >>> fsspec.filesystem("memory").pipe({"/doc_fs/a.png": b"12", "/doc_fs/s/b.npy": b"123"})
    >>> list_files("memory://doc_fs")
    [('a.png', 'memory:///doc_fs/a.png', 2), ('s/b.npy', 'memory:///doc_fs/s/b.npy', 3)]
    """
    fs, root = fs_of(url)
    root = root.rstrip("/")
    try:
        found: dict[str, dict[str, Any]] = fs.find(root, detail=True)
    except FileNotFoundError:
        found = {}
    except OSError as exc:
        raise InputError(f"{label} cannot list {url!r} ({why(exc)}).") from exc
    # empty, missing, or a file (find() returns a file itself)
    if root in found or (not found and not fs.isdir(root)):
        raise InputError(f"{label} {url!r} is not a folder.")
    prefix = root + "/" if root else ""
    out = []
    for name, info in found.items():
        if info.get("type", "file") != "file" or not name.startswith(prefix):
            continue
        rel = name[len(prefix) :]
        if any(part.startswith(".") for part in rel.split("/")):
            continue
        size = info.get("size")
        out.append((rel, fs.unstrip_protocol(name), None if size is None else int(size)))
    out.sort()
    return out


def read_bytes(url: str) -> bytes:
    """The whole content of the file ``url``.

    Raises
    ------
    InputError
        ``url: no such file.``, or the reason the store gave for not reading it.
    """
    return bytes(_ask(url, "cat_file", "read it"))


def _ask(url: str, method: str, doing: str) -> Any:
    """``fs.<method>(path)`` for the file ``url``, its failures as :class:`InputError`."""
    fs, path = fs_of(url)
    try:
        return getattr(fs, method)(path)
    except FileNotFoundError as exc:
        raise InputError(f"{url}: no such file.") from exc
    except OSError as exc:
        raise InputError(f"{url}: cannot {doing} ({why(exc)}).") from exc


# sizes of files met in listings (full URL -> bytes), so that sizing the files of a pairing
# needs no second listing; the oldest are forgotten beyond _SIZES_KEPT (then asked again)
_LISTED_SIZES: dict[str, int] = {}
_SIZES_KEPT = 1 << 22
_SIZES_LOCK = threading.Lock()


def remember_sizes(items: Iterable[tuple[str, int]]) -> None:
    """Keep ``(full URL, size)`` from a listing for :func:`file_sizes`."""
    with _SIZES_LOCK:
        for url, size in items:
            _LISTED_SIZES.pop(url, None)  # re-inserted as the newest
            _LISTED_SIZES[url] = size
        excess = len(_LISTED_SIZES) - _SIZES_KEPT
        for url in list(itertools.islice(_LISTED_SIZES, max(excess, 0))):
            del _LISTED_SIZES[url]


def file_sizes(files: Sequence[str | os.PathLike[str]]) -> list[int]:
    """Sizes in bytes of local files (``os.stat``) and URLs (remembered from a listing, else
    one request each; 0 where the store does not tell).

    Raises
    ------
    InputError
        A file does not exist.
    """
    with _SIZES_LOCK:
        known = [_LISTED_SIZES.get(f) if isinstance(f, str) else None for f in files]
    out = []
    for f, size in zip(files, known, strict=True):
        if size is None:
            size = _url_size(f) if is_url(f) else _local_size(f)
        out.append(size)
    return out


def _url_size(url: str) -> int:
    size = _ask(url, "size", "read its size")
    return 0 if size is None else int(size)


def _local_size(path: str | os.PathLike[str]) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file.") from exc


def why(exc: BaseException) -> str:
    """``"TypeName: message"`` of an exception, for error messages."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

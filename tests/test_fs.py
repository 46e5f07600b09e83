"""Label maps and folders behind fsspec URLs (ioukit._fs, and the URL paths of ioukit.io):
``file://`` URLs of tmp_path and ``memory://``, fsspec's in-process filesystem, against the local
reads and pairings of the same files."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ioukit import InputError, MissingDependencyError
from ioukit._fs import fs_of, is_url, list_files, read_bytes
from ioukit.io import Pair, pair_file_sizes, pair_files, read_label_map

fsspec = pytest.importorskip("fsspec")
Image = pytest.importorskip("PIL.Image")

RNG = np.random.default_rng(13)


@pytest.fixture
def mem() -> Iterator[str]:
    """A fresh folder of the memory filesystem (shared by the whole process): its URL."""
    root = f"/ioukit-test-{uuid.uuid4().hex}"
    yield f"memory://{root}"
    fs = fsspec.filesystem("memory")
    if fs.exists(root):
        fs.rm(root, recursive=True)


def _write(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)


def _put(url: str, files: dict[str, bytes]) -> None:
    fs, root = fs_of(url)
    fs.pipe({f"{root}/{name}": data for name, data in files.items()})


def _label_files(tmp_path: Path) -> dict[str, bytes]:
    """One file of each kind and mode, written by Pillow / NumPy, as bytes by name."""
    arrays = {
        "l.png": (RNG.integers(0, 256, (31, 47)).astype(np.uint8), None),
        "p.png": (RNG.integers(0, 256, (31, 47)).astype(np.uint8), "P"),
        "i16.png": (RNG.integers(0, 65536, (20, 33)).astype(np.uint16), None),
        "l.tif": (RNG.integers(0, 256, (20, 33)).astype(np.uint8), None),
        "i32.tiff": (RNG.integers(0, 100000, (20, 33)).astype(np.int32), None),
    }
    for name, (arr, mode) in arrays.items():
        im = Image.fromarray(arr)
        if mode == "P":
            im.putpalette(RNG.integers(0, 256, 768).astype(np.uint8).tolist())
        im.save(tmp_path / name)
    np.save(tmp_path / "vol.npy", RNG.integers(0, 9, (3, 4, 5)).astype(np.int16))
    names = [*arrays, "vol.npy"]
    return {name: (tmp_path / name).read_bytes() for name in names}


# -- is_url ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("file:///data/a.png", True),
        ("memory://a/b", True),
        ("s3://bucket/key.png", True),
        ("https://host/x.png?sig=1", True),
        ("/data/a.png", False),
        ("relative/a.png", False),
        ("C:\\data\\a.png", False),  # a Windows drive is not a protocol
        ("C://data", False),
        (Path("/data"), False),
        ("", False),
    ],
)
def test_is_url(path: Any, expected: bool) -> None:
    assert is_url(path) is expected


# -- read_label_map --------------------------------------------------------------------------


def test_urls_read_the_same_arrays_as_local_files(tmp_path: Path, mem: str) -> None:
    files = _label_files(tmp_path)
    _put(mem, files)
    for name in files:
        local = read_label_map(tmp_path / name)
        for url in (f"{mem}/{name}", (tmp_path / name).as_uri()):
            out = read_label_map(url)
            assert out.dtype == local.dtype, url
            assert out.shape == local.shape, url
            np.testing.assert_array_equal(out, local)
    with Image.open(tmp_path / "i16.png") as im:
        assert im.mode == "I;16"
    with Image.open(tmp_path / "p.png") as im:
        assert im.mode == "P"
    assert read_label_map(f"{mem}/i16.png").dtype == np.uint16
    assert read_label_map(f"{mem}/vol.npy").shape == (3, 4, 5)


@pytest.mark.parametrize("damage", ["header", "half"])
def test_corrupt_file_behind_a_url_is_named(tmp_path: Path, mem: str, damage: str) -> None:
    data = _label_files(tmp_path)["l.png"]
    data = data[:10] if damage == "header" else data[: len(data) // 2]
    _put(mem, {"bad.png": data, "bad.npy": (tmp_path / "vol.npy").read_bytes()[:60]})
    with pytest.raises(InputError, match=rf"^{mem}/bad\.png: cannot read it as PNG"):
        read_label_map(f"{mem}/bad.png")
    with pytest.raises(InputError, match=rf"^{mem}/bad\.npy: cannot read it as \.npy"):
        read_label_map(f"{mem}/bad.npy")


def test_url_errors_match_the_local_ones(tmp_path: Path, mem: str) -> None:
    rgb = RNG.integers(0, 256, (4, 5, 3)).astype(np.uint8)
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    np.save(tmp_path / "s.npy", np.array(["a", "b"]))
    _put(mem, {n: (tmp_path / n).read_bytes() for n in ("rgb.png", "s.npy")})
    for name in ("rgb.png", "s.npy", "nope.png", "nope.npy"):
        with pytest.raises(InputError) as local:
            read_label_map(tmp_path / name)
        with pytest.raises(InputError) as remote:
            read_label_map(f"{mem}/{name}")
        expected = str(local.value).replace(str(tmp_path / name), f"{mem}/{name}")
        assert str(remote.value) == expected
    assert "no such file" in expected


def test_unsupported_type_is_refused_before_reading(mem: str) -> None:
    # nothing is read: the file does not exist, and http(s) would need aiohttp
    with pytest.raises(InputError, match=r"x\.jpg: unsupported file type '\.jpg'"):
        read_label_map(f"{mem}/x.jpg")
    with pytest.raises(InputError, match=r"unsupported file type '\.jpg'"):
        read_label_map("https://example.invalid/x.jpg?name=y.png")


def test_read_bytes(mem: str) -> None:
    _put(mem, {"a.bin": b"\x00\x01\x02"})
    assert read_bytes(f"{mem}/a.bin") == b"\x00\x01\x02"
    with pytest.raises(InputError, match=rf"^{mem}/b\.bin: no such file\.$"):
        read_bytes(f"{mem}/b.bin")


# -- pair_files ------------------------------------------------------------------------------

PAIRING = {
    "pred/a.png": b"1",
    "pred/b.PNG": b"22",
    "pred/c.npy": b"333",
    "pred/sub/deep/d.tif": b"4444",
    "pred/sub/e.png": b"",
    "pred/extra.png": b"",
    "pred/notes.txt": b"",
    "pred/.hidden.png": b"",
    "pred/.cache/a.png": b"",
    "target/a.png": b"55555",
    "target/b.png": b"666666",
    "target/c.tiff": b"7",
    "target/sub/deep/d.png": b"88",
    "target/e.png": b"",
    "target/f.png": b"",
    "target/.git/x.png": b"",
    "target/sub/.h/f.png": b"",
}


def test_url_pairing_equals_local_pairing(tmp_path: Path, mem: str) -> None:
    _write(tmp_path, PAIRING)
    _put(mem, PAIRING)
    local = pair_files(tmp_path / "pred", tmp_path / "target")
    assert [p.name for p in local.pairs] == ["a", "b", "c", "sub/deep/d"]
    file_root = (tmp_path).as_uri()
    for root in (mem, file_root):
        pairs, missing, extra = pair_files(f"{root}/pred", f"{root}/target")
        assert (missing, extra) == (local.missing_predictions, local.extra_predictions)
        assert [p.name for p in pairs] == [p.name for p in local.pairs]
        for remote, here in zip(pairs, local.pairs, strict=True):
            rel_pred = Path(here.pred).relative_to(tmp_path).as_posix()
            rel_target = Path(here.target).relative_to(tmp_path).as_posix()
            assert isinstance(remote.pred, str)
            assert isinstance(remote.target, str)
            assert is_url(remote.pred)
            assert remote.pred.endswith(f"/{rel_pred}")
            assert remote.target.endswith(f"/{rel_target}")
            with fsspec.open(remote.pred, "rb") as f:
                assert f.read() == PAIRING[rel_pred]
    assert pair_files(f"{file_root}/pred", tmp_path / "target").pairs[0].pred == (
        (tmp_path / "pred/a.png").as_uri()
    )


def test_mixing_a_local_folder_and_a_url(tmp_path: Path, mem: str) -> None:
    _write(tmp_path, {k: v for k, v in PAIRING.items() if k.startswith("target/")})
    _put(mem, {k: v for k, v in PAIRING.items() if k.startswith("pred/")})
    pairs, missing, extra = pair_files(f"{mem}/pred", tmp_path / "target")
    assert [p.name for p in pairs] == ["a", "b", "c", "sub/deep/d"]
    assert pairs[1] == Pair("b", f"memory://{mem[9:]}/pred/b.PNG", tmp_path / "target/b.png")
    assert isinstance(pairs[1].target, Path)
    assert missing == ["e.png", "f.png"]
    assert extra == ["extra.png", "sub/e.png"]
    arrays = {"x_1_pred.npy": np.arange(6).reshape(2, 3), "x_1_gt.npy": np.ones((2, 3))}
    for name, arr in arrays.items():
        np.save(tmp_path / name, arr)
        _put(f"{mem}/q", {name: (tmp_path / name).read_bytes()})
    (pair,) = pair_files(tmp_path, f"{mem}/q", pred_suffix="_pred", target_suffix="_gt").pairs
    assert pair.name == "x_1"
    np.testing.assert_array_equal(read_label_map(pair.pred), arrays["x_1_pred.npy"])
    np.testing.assert_array_equal(read_label_map(pair.target), arrays["x_1_gt.npy"])


def test_url_duplicates_are_the_same_error(tmp_path: Path, mem: str) -> None:
    names = ("p/a.png", "p/a.tif", "p/s/b.png", "p/s/b.npy", "t/a.png", "t/c.png", "t/c.npy")
    files = dict.fromkeys(names, b"")
    _write(tmp_path, files)
    _put(mem, files)
    with pytest.raises(InputError) as local:
        pair_files(tmp_path / "p", tmp_path / "t")
    with pytest.raises(InputError) as remote:
        pair_files(f"{mem}/p", f"{mem}/t")
    assert str(remote.value) == str(local.value)
    assert "prediction folder: s/b.npy and s/b.png" in str(remote.value)


def test_url_folder_must_exist_and_be_a_folder(mem: str) -> None:
    _put(mem, {"f.png": b"", "t/a.png": b""})
    for folder in (f"{mem}/nope", f"{mem}/f.png"):
        with pytest.raises(InputError, match=rf"pair_files: `pred_dir` '{folder}' is not a folder"):
            pair_files(folder, f"{mem}/t")
        with pytest.raises(InputError, match=rf"`target_dir` '{folder}' is not a folder"):
            pair_files(f"{mem}/t", folder)


def test_links_are_followed_locally_but_not_behind_file_urls(tmp_path: Path) -> None:
    _write(tmp_path, {"data/a.png": b"", "p/b.png": b"", "t/sub/a.png": b"", "t/b.png": b""})
    (tmp_path / "p/sub").symlink_to(tmp_path / "data", target_is_directory=True)
    (tmp_path / "p/loop").symlink_to(tmp_path / "p", target_is_directory=True)  # a cycle
    assert [p.name for p in pair_files(tmp_path / "p", tmp_path / "t").pairs] == ["b", "sub/a"]
    pairs, missing, _ = pair_files((tmp_path / "p").as_uri(), (tmp_path / "t").as_uri())
    assert [p.name for p in pairs] == ["b"]
    assert missing == ["sub/a.png"]


def test_list_files(mem: str) -> None:
    _put(mem, {"b.png": b"12", "a/c.npy": b"1", ".x/d.png": b"", "a/.e.png": b"", "z.txt": b""})
    assert list_files(mem) == [
        ("a/c.npy", f"memory://{mem[9:]}/a/c.npy", 1),
        ("b.png", f"memory://{mem[9:]}/b.png", 2),
        ("z.txt", f"memory://{mem[9:]}/z.txt", 0),
    ]
    assert list_files(mem + "/") == list_files(mem)
    with pytest.raises(InputError, match=r"list_files: '.*/nope' is not a folder"):
        list_files(f"{mem}/nope")


# -- pair_file_sizes -------------------------------------------------------------------------


def test_sizes_are_the_file_sizes(tmp_path: Path, mem: str) -> None:
    _write(tmp_path, PAIRING)
    _put(mem, PAIRING)
    expected = [1 + 5, 2 + 6, 3 + 1, 4 + 2]
    local = pair_files(tmp_path / "pred", tmp_path / "target").pairs
    assert pair_file_sizes(local) == expected
    assert pair_file_sizes(iter(local)) == expected
    for pred, target in [
        (f"{mem}/pred", f"{mem}/target"),
        ((tmp_path / "pred").as_uri(), (tmp_path / "target").as_uri()),
        (f"{mem}/pred", tmp_path / "target"),
    ]:
        assert pair_file_sizes(pair_files(pred, target).pairs) == expected
    assert pair_file_sizes([]) == []


def test_sizes_of_a_url_listing_need_no_request(
    tmp_path: Path, mem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {"p/a.npy": b"123", "p/s/b.npy": b"12", "t/a.npy": b"1", "t/s/b.npy": b"1234"}
    _put(mem, files)
    pairs = pair_files(f"{mem}/p", f"{mem}/t").pairs
    memory = type(fsspec.filesystem("memory"))

    def no_request(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the store was asked again")

    for method in ("find", "ls", "info", "size", "sizes", "cat_file", "open"):
        monkeypatch.setattr(memory, method, no_request)
    assert pair_file_sizes(pairs) == [4, 6]
    monkeypatch.undo()
    # a pair no listing met: one request per file
    made = Pair("x", f"{mem}/p/a.npy", f"memory://{mem[9:]}/t/s/b.npy")
    assert pair_file_sizes([made]) == [3 + 4]
    with pytest.raises(InputError, match=r"nope\.npy: no such file"):
        pair_file_sizes([Pair("y", f"{mem}/nope.npy", f"{mem}/t/a.npy")])
    with pytest.raises(InputError, match=r"nope\.png: no such file"):
        pair_file_sizes([Pair("z", tmp_path / "nope.png", tmp_path / "nope.png")])


# -- dependencies ------------------------------------------------------------------------------


def test_missing_fsspec_says_what_to_install(
    tmp_path: Path, mem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    np.save(tmp_path / "a.npy", np.zeros((2, 2), np.uint8))
    for name in [m for m in sys.modules if m == "fsspec" or m.startswith("fsspec.")]:
        monkeypatch.setitem(sys.modules, name, None)  # import fsspec now raises ImportError
    with pytest.raises(MissingDependencyError, match=r"needs fsspec: pip install fsspec\.$"):
        read_label_map(f"{mem}/a.npy")
    with pytest.raises(MissingDependencyError, match=r"pip install fsspec s3fs\.$"):
        pair_files("s3://bucket/pred", tmp_path)
    assert read_label_map(tmp_path / "a.npy").shape == (2, 2)  # local files need no fsspec
    assert pair_files(tmp_path, tmp_path).pairs[0].name == "a"


@pytest.mark.parametrize(
    ("url", "package"),
    [
        ("s3://bucket/pred", "s3fs"),
        ("gs://bucket/pred", "gcsfs"),
        ("https://host/pred/a.png", "aiohttp"),
        ("az://container/pred", "adlfs"),
    ],
)
def test_missing_protocol_package_says_what_to_install(url: str, package: str) -> None:
    if importlib.util.find_spec(package) is not None:
        pytest.skip(f"{package} is installed")
    with pytest.raises(
        MissingDependencyError, match=rf"protocol needs .*: pip install {package}\."
    ):
        read_label_map(url if url.endswith(".png") else url + "/a.png")


def test_unknown_protocol() -> None:
    with pytest.raises(InputError, match=r"unknown protocol 'nosuchproto'"):
        pair_files("nosuchproto://x/pred", "nosuchproto://x/target")


def test_import_ioukit_does_not_import_fsspec() -> None:
    code = (
        "import json, sys, ioukit, ioukit.io, ioukit._fs; "
        "print(json.dumps([m for m in sys.modules if m.split('.')[0] == 'fsspec']))"
    )
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert json.loads(out.stdout) == []

"""The streaming multipart reader and the tidying of patient-side file names."""

from __future__ import annotations

import os

import pytest

from bot.uploads.multipart import (
    MAX_FIELD_BYTES,
    Field,
    FileData,
    FileEnd,
    FileStart,
    MalformedForm,
    StreamingForm,
    boundary_of,
)
from bot.uploads.naming import clean_relative_path, summary_kind


def _body(parts: list[tuple[str, str | None, bytes]], boundary: bytes = b"XyZ") -> bytes:
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += b"--" + boundary + b"\r\nContent-Disposition: " + disposition.encode("utf-8")
        out += b"\r\n\r\n" + data + b"\r\n"
    return out + b"--" + boundary + b"--\r\n"


def _events(body: bytes, step: int) -> list[object]:
    form = StreamingForm(b"XyZ")
    merged: list[object] = []
    for start in range(0, len(body), step):
        for event in form.feed(body[start : start + step]):
            if isinstance(event, FileData):
                data = bytes(event.data)
                if merged and isinstance(merged[-1], bytes):
                    merged[-1] += data
                else:
                    merged.append(data)
            else:
                merged.append(event)
    form.finish()
    return merged


@pytest.mark.parametrize("step", [1, 2, 3, 7, 64, 4096])
def test_events_whatever_the_chunking(step: int) -> None:
    # File data that looks like the start of a boundary must come through intact.
    tricky = (b"ab\r\n--Xy\r\n--XyQ\r\n-" + os.urandom(40)) * 20 + b"\r\n--X"
    body = _body(
        [
            ("token", None, b"t0k3n"),
            ("path", None, "CD/DICOM/é 1".encode()),
            ("file", "CD/DICOM/é 1", tricky),
            ("file", "empty", b""),
        ]
    )
    assert _events(body, step) == [
        Field("token", "t0k3n"),
        Field("path", "CD/DICOM/é 1"),
        FileStart("file", "CD/DICOM/é 1"),
        tricky,
        FileEnd(),
        FileStart("file", "empty"),
        FileEnd(),
    ]


def test_a_body_cut_short_is_malformed() -> None:
    body = _body([("file", "a", b"123")])
    form = StreamingForm(b"XyZ")
    form.feed(body[:-10])
    with pytest.raises(MalformedForm):
        form.finish()


def test_oversized_fields_and_headers_are_refused() -> None:
    with pytest.raises(MalformedForm):
        StreamingForm(b"XyZ").feed(_body([("path", None, b"x" * (MAX_FIELD_BYTES + 1))]))
    with pytest.raises(MalformedForm):
        StreamingForm(b"XyZ").feed(_body([("file", "x" * 10_000, b"1")]))
    with pytest.raises(MalformedForm):
        StreamingForm(b"XyZ").feed(b"--XyZ\r\nContent-Type: text/plain\r\n\r\n1\r\n--XyZ--\r\n")


@pytest.mark.parametrize(
    "content_type",
    [None, "", "application/json", "multipart/form-data", "multipart/mixed; boundary=a"],
)
def test_boundary_is_required(content_type: str | None) -> None:
    with pytest.raises(MalformedForm):
        boundary_of(content_type)


def test_boundary_of() -> None:
    assert boundary_of('multipart/form-data; boundary="----abc"') == b"----abc"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("CD/DICOM/IM1", "CD/DICOM/IM1"),
        ("CD\\DICOM\\IM1", "CD/DICOM/IM1"),
        ("C:\\Users\\jane\\scan.zip", "Users/jane/scan.zip"),
        ("/etc/passwd", "etc/passwd"),
        ("../../x/./y//z", "x/y/z"),
        ("a\x00b\nc", "abc"),
        ("", "file-7"),
        ("../..", "file-7"),
        ("d/" * 600 + "IM1", ("d/" * 600 + "IM1")[-1024:].lstrip("/")),
    ],
)
def test_clean_relative_path(raw: str, expected: str) -> None:
    assert clean_relative_path(raw, 7) == expected


def test_summary_kind() -> None:
    assert summary_kind(["scan.zip"]) == "file"
    assert summary_kind(["a.pdf", "b.zip"]) == "files"
    assert summary_kind(["CD/DICOMDIR", "CD/IM1"]) == "folder"

"""A streaming multipart/form-data reader that turns body chunks into events.

python_multipart does the parsing; this layer keeps only what an upload needs: small text fields
(held in memory, bounded) and file parts, whose data is handed on as views into the chunk being
parsed (no copy, never spooled to a temporary file as Starlette's `request.form()` would).
"""

from __future__ import annotations

from dataclasses import dataclass

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

MAX_FIELD_BYTES = 4096  # a token or a relative path; anything longer is refused
MAX_HEADER_BYTES = 8192


class MalformedForm(ValueError):
    """The body is not well-formed multipart/form-data (or is cut short)."""


@dataclass(frozen=True)
class Field:
    name: str
    value: str


@dataclass(frozen=True)
class FileStart:
    field_name: str
    filename: str  # as the client sent it, possibly a relative path (PHI-ish: never log)


@dataclass(frozen=True)
class FileData:
    data: memoryview  # valid only until the next chunk is fed


@dataclass(frozen=True)
class FileEnd:
    pass


Event = Field | FileStart | FileData | FileEnd


def boundary_of(content_type: str | None) -> bytes:
    kind, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise MalformedForm("expected multipart/form-data with a boundary")
    return boundary


class StreamingForm:
    def __init__(self, boundary: bytes) -> None:
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_end": self._on_end,
            },
        )
        self._events: list[Event] = []
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._disposition = b""
        self._field_name: str | None = None
        self._is_file = False
        self._value = bytearray()
        self._ended = False
        self._chunk = b""

    def feed(self, chunk: bytes) -> list[Event]:
        """Parse one chunk of the body; the events it completed, in order."""
        self._events = []
        self._chunk = chunk
        try:
            self._parser.write(chunk)
        except MultipartParseError as error:
            raise MalformedForm("the multipart body is malformed") from error
        return self._events

    def finish(self) -> None:
        """The body has ended: it must have ended with the closing boundary."""
        if not self._ended:
            raise MalformedForm("the multipart body ended early")

    # --- python_multipart callbacks ----------------------------------------------------------

    def _on_part_begin(self) -> None:
        self._disposition = b""
        self._field_name = None
        self._is_file = False
        self._value = bytearray()

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]
        self._check_header_size()

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]
        self._check_header_size()

    def _check_header_size(self) -> None:
        if len(self._header_name) + len(self._header_value) > MAX_HEADER_BYTES:
            raise MalformedForm("a part header is too long")

    def _on_header_end(self) -> None:
        if bytes(self._header_name).strip().lower() == b"content-disposition":
            self._disposition = bytes(self._header_value)
        self._header_name = bytearray()
        self._header_value = bytearray()

    def _on_headers_finished(self) -> None:
        kind, options = parse_options_header(self._disposition)
        if kind != b"form-data" or b"name" not in options:
            raise MalformedForm("a part has no form-data name")
        self._field_name = _text(options[b"name"])
        if b"filename" in options:
            self._is_file = True
            self._events.append(FileStart(self._field_name, _text(options[b"filename"])))

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            if end > start:
                # Slices of the chunk are passed on as views; the parser's own look-behind
                # buffer (a partial boundary that wasn't one) is reused, so copy that.
                if data is self._chunk:
                    self._events.append(FileData(memoryview(data)[start:end]))
                else:
                    self._events.append(FileData(memoryview(bytes(data[start:end]))))
            return
        self._value += data[start:end]
        if len(self._value) > MAX_FIELD_BYTES:
            raise MalformedForm("a form field is too long")

    def _on_part_end(self) -> None:
        if self._is_file:
            self._events.append(FileEnd())
        elif self._field_name is not None:
            self._events.append(Field(self._field_name, _text(bytes(self._value))))

    def _on_end(self) -> None:
        self._ended = True


def _text(value: bytes) -> str:
    # Browsers send UTF-8 in part headers; python_multipart hands them over as raw bytes.
    return value.decode("utf-8", errors="replace")

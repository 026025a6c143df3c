"""Streaming the `file` part of a multipart/form-data body without buffering it in memory or /tmp."""

from __future__ import annotations

from collections.abc import AsyncIterator

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from justpush.errors import UploadError, UploadTooLargeError

# Room for part headers and other small form fields next to the file.
FORM_OVERHEAD_BYTES = 1024 * 1024


class MultipartFile:
    """Yields the bytes of one named file part as they arrive; `filename` is set once its headers came."""

    def __init__(self, request: Request, *, field: str, max_bytes: int) -> None:
        content_type, params = parse_options_header(request.headers.get("content-type", ""))
        boundary = params.get(b"boundary")
        if content_type != b"multipart/form-data" or not boundary:
            raise UploadError("expected multipart/form-data with a boundary", details={"reason": "bad_form"})
        self.filename: str | None = None
        self.found = False
        self._request = request
        self._field = field
        self._max_body = max_bytes + FORM_OVERHEAD_BYTES
        self._boundary = boundary
        self._pending: list[bytes] = []
        self._in_file = False
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}

    # -- parser callbacks ------------------------------------------------------------------------

    def _on_part_begin(self) -> None:
        self._headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = self._header_value = b""

    def _on_headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", errors="replace")
        self._in_file = name == self._field and not self.found
        if self._in_file:
            self.found = True
            raw = params.get(b"filename")
            self.filename = raw.decode("utf-8", errors="replace")[:255] if raw else None

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self._pending.append(data[start:end])

    def _on_part_end(self) -> None:
        self._in_file = False

    # -- streaming -------------------------------------------------------------------------------

    async def chunks(self) -> AsyncIterator[bytes]:
        parser = MultipartParser(
            self._boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
            },
        )
        received = 0
        try:
            async for chunk in self._request.stream():
                received += len(chunk)
                if received > self._max_body:
                    raise UploadTooLargeError(
                        f"the request body is larger than {self._max_body} bytes",
                        details={"limit": self._max_body, "reason": "too_large"},
                    )
                parser.write(chunk)
                while self._pending:
                    yield self._pending.pop(0)
            parser.finalize()
        except MultipartParseError as exc:
            raise UploadError(f"malformed multipart body: {exc}", details={"reason": "bad_form"}) from exc
        while self._pending:
            yield self._pending.pop(0)
        if not self.found:
            raise UploadError(
                f"the multipart body has no '{self._field}' field", details={"reason": "bad_form"}
            )

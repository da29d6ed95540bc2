"""PostgreSQL ``COPY ... FROM STDIN`` in CSV: values rendered column by column, fed by a producer thread."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import queue
import threading
from collections.abc import Callable, Iterable
from typing import Any

from dbaudit.dialects.base import TableLike

NULL = "\\N"


def pg_converter(table: TableLike, column: str) -> Callable[[Any], Any] | None:
    spec = table.columns[column]
    kind = spec.kind
    if kind == "bool":
        return lambda v: NULL if v is None else ("t" if v else "f")
    if kind == "json":
        return lambda v: NULL if v is None else json.dumps(v)
    if kind == "bytes":
        return lambda v: NULL if v is None else "\\x" + bytes(v).hex()
    if kind == "interval":
        return lambda v: NULL if v is None else f"{v.total_seconds()} seconds"
    if kind == "array":
        return lambda v: NULL if v is None else _pg_array(v)
    if kind == "datetime":
        return _datetime_text
    return None


def _datetime_text(value: Any) -> Any:
    """A timestamp as ISO text for COPY (``isoformat`` is cheaper than the ``str`` csv would call)."""
    if type(value) is dt.datetime:
        return value.isoformat()
    return NULL if value is None else value


def _datetime_column(values: list[Any]) -> list[Any]:
    """:func:`_datetime_text` over a whole column, without a Python call per value."""
    datetime = dt.datetime
    return [v.isoformat() if type(v) is datetime else (NULL if v is None else v) for v in values]


def _pg_array(values: list[Any]) -> str:
    items = []
    for value in values:
        if value is None:
            items.append("NULL")
            continue
        if isinstance(value, bool):
            value = "t" if value else "f"
        text_value = str(value).replace("\\", "\\\\").replace('"', '\\"')
        items.append(f'"{text_value}"')
    return "{" + ",".join(items) + "}"


def _plain(value: Any) -> Any:
    if value is None:
        return NULL
    return value


class CsvStream(io.RawIOBase):
    """A file object ``copy_expert`` reads from, fed by a producer thread.

    The thread takes the chunks (generating them, for a streamed table), converts values column by column
    (NULL marks only where a column holds ``None``) and renders them with the C ``csv`` writer, while the main
    thread sends the previous chunk: generation overlaps with the server's loading.
    """

    CHUNK = 20000
    READ_SIZE = 1 << 20

    def __init__(
        self, chunks: Iterable[list[list[Any]]], converters: list[Callable[[Any], Any] | None]
    ) -> None:
        self._queue: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=3)
        self._stop = threading.Event()
        self._current = b""
        self._position = 0
        self._done = False
        self.failure: BaseException | None = None
        self._thread = threading.Thread(target=self._produce, args=(chunks, converters), daemon=True)
        self._thread.start()

    def _produce(
        self, chunks: Iterable[list[list[Any]]], converters: list[Callable[[Any], Any] | None]
    ) -> None:
        try:
            for chunk in chunks:
                if self._stop.is_set():
                    return
                if chunk and chunk[0]:
                    self._put(render_csv(chunk, converters))
            self._put(None)
        except BaseException as exc:  # handed to the reading thread, which raises it
            self._put(exc)

    def _put(self, item: bytes | BaseException | None) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        self._stop.set()
        super().close()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        try:
            return self._read(size)
        except BaseException as exc:  # Ctrl-C, or a chunk that could not be produced: remember which
            self.failure = exc
            self._stop.set()
            raise

    def _read(self, size: int) -> bytes:
        while self._position >= len(self._current):
            if self._done:
                return b""
            try:
                item = self._queue.get(timeout=0.1)  # a timeout, so Ctrl-C is seen while waiting
            except queue.Empty:
                continue
            if item is None:
                self._done = True
                return b""
            if isinstance(item, BaseException):
                raise item
            self._current, self._position = item, 0
        end = len(self._current) if size < 0 else self._position + size
        data = self._current[self._position : end]
        self._position += len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:  # pragma: no cover - copy_expert only calls read
        return self.read(size if size is not None else -1)


def render_csv(chunk: list[list[Any]], converters: list[Callable[[Any], Any] | None]) -> bytes:
    """CSV text of one chunk given column by column."""
    columns = list(chunk)
    for index, convert in enumerate(converters):
        values = columns[index]
        if convert is _datetime_text:
            columns[index] = _datetime_column(values)  # rendered while the server loads the previous chunk
        elif convert is not None:
            columns[index] = [convert(v) for v in values]
        elif None in values:
            columns[index] = [NULL if v is None else v for v in values]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(zip(*columns, strict=True))
    return out.getvalue().encode("utf-8")

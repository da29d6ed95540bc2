"""A helper process that imports a slow library while this process works, then runs calls into it.

The scan reads Alembic's configuration with Alembic's own ``Config``, and importing Alembic imports
SQLAlchemy: about 0.6 s on a small machine, more than parsing every file of a large project takes.
``dbaudit scan``, run from the console script, starts this helper first, so that the imports (Alembic's where
the project may hold an Alembic configuration, sqlglot's for the SQL strings, Jinja2's and the renderer's for
the output) run on another core while the scan imports its own modules, lists, reads and parses files; the
scan's calls into Alembic and sqlglot, and the rendering of its result, then go to the helper and wait only
for what is left of the imports.  ``dbaudit report`` starts it before it connects and sends it the whole scan
(:func:`submit`), which runs there while the report reads the database.

Nothing is started where fork is unavailable or unsafe (no ``os.fork``, other threads running, as in a
test runner with background threads) or where the modules are already imported; :func:`call` and
:func:`submit` then run the function here.  The result is the same either way: the same function runs on
the same arguments, only in another process.  The helper reads requests until this process closes its end
of the pipe or exits; it never writes to the terminal and ignores Ctrl-C, which this process handles.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from typing import IO, Any, Generic, TypeVar

T = TypeVar("T")


class _Helper:
    def __init__(self, pid: int, requests: IO[bytes], replies: IO[bytes]) -> None:
        self.pid = pid
        self.requests = requests
        self.replies = replies
        self.lock = threading.Lock()
        self.unread: collections.deque[Pending[Any]] = collections.deque()
        """Calls sent whose replies are not read yet, oldest first (the helper answers in order)."""

    def send(self, pending: Pending[Any]) -> None:
        # pickled whole before anything is written: a call that cannot be pickled leaves the pipe as it was
        data = pickle.dumps((pending.function, pending.args))
        with self.lock:
            self.requests.write(data)
            self.requests.flush()
            self.unread.append(pending)
            pending.helper = self

    def read_until(self, pending: Pending[Any]) -> None:
        """Read replies, oldest first, until ``pending`` has its own."""
        with self.lock:
            while pending.reply is None and pending.helper is self:
                self.unread[0].reply = pickle.load(self.replies)
                self.unread.popleft()

    def close(self) -> None:
        for pending in self.unread:
            pending.helper = None  # never answered: each runs in this process when its result is asked for
        self.unread.clear()
        for stream in (self.requests, self.replies):
            with contextlib.suppress(OSError):
                stream.close()
        # a helper still importing would read the end of its pipe only when done: no reason to wait
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGTERM)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


class Pending(Generic[T]):
    """A call sent to the helper (or kept for this process) whose result is read when asked for."""

    def __init__(self, function: Callable[..., T], args: tuple[Any, ...]) -> None:
        self.function = function
        self.args = args
        self.helper: _Helper | None = None
        """The helper that answers it; ``None``: it runs here, when its result is asked for."""
        self.reply: tuple[str, Any] | None = None

    def result(self) -> T:
        """The function's value, or its exception raised here as it was raised where it ran."""
        helper = self.helper
        if helper is not None and self.reply is None:
            try:
                helper.read_until(self)
            except (OSError, EOFError, pickle.PickleError):
                # the helper is gone (killed, out of memory): this process does the work from now on
                stop()
        reply = self.reply
        if reply is not None:
            kind, value = reply
            if kind == "ok":
                return value  # type: ignore[no-any-return]
            if kind == "raise":
                raise value
            # an exception that could not cross the pipe: run it here, to raise the real one
        return self.function(*self.args)


_helper: _Helper | None = None


def start(*modules: str, prepare: Callable[[], object] | None = None) -> bool:
    """Fork the helper and have it import ``modules`` now, then call ``prepare`` (work a later call will find
    done, such as compiling a template); ``False`` (nothing started) where that is not safe or not useful
    (see the module's documentation)."""
    global _helper
    if _helper is not None:
        return True
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return False
    if all(name in sys.modules for name in modules):
        return False  # imported here already: a call costs nothing more in this process
    requests_r, requests_w = os.pipe()
    replies_r, replies_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the helper
        code = 0
        try:
            os.close(requests_w)
            os.close(replies_r)
            _serve(requests_r, replies_w, modules, prepare)
        except BaseException:
            code = 1
        finally:
            # never the parent's exit handlers or buffered output: they belong to the parent
            os._exit(code)
    os.close(requests_r)
    os.close(replies_w)
    _helper = _Helper(pid, os.fdopen(requests_w, "wb"), os.fdopen(replies_r, "rb"))
    atexit.register(stop)
    return True


def running() -> bool:
    """Whether calls go to a helper process (it may still be importing)."""
    return _helper is not None


def stop() -> None:
    """End the helper and wait for it (at exit, or when it stopped answering)."""
    global _helper
    helper, _helper = _helper, None
    if helper is not None:
        helper.close()


def submit(function: Callable[..., T], *args: Any) -> Pending[T]:
    """Send ``function(*args)`` to the helper now, to run there while this process goes on; its
    :meth:`Pending.result` waits for it.  With no helper (or a call that cannot be sent) it runs here, when
    the result is asked for.  ``function`` is a module-level function (sent by name)."""
    pending = Pending(function, args)
    helper = _helper
    if helper is not None:
        try:
            helper.send(pending)
        except (pickle.PickleError, TypeError, AttributeError):
            pass  # arguments that cannot be pickled: it runs here
        except OSError:
            stop()  # the helper is gone
    return pending


def call(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)``, in the helper when one runs, else here.  ``function`` is a module-level function
    (sent by name); its exceptions are raised here as they were raised there."""
    return submit(function, *args).result()


def _serve(
    requests_fd: int, replies_fd: int, modules: tuple[str, ...], prepare: Callable[[], object] | None
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The imports run in a thread, so that a call is answered as soon as what it needs is imported (Python's
    # import locks make it wait for that module, not for the next ones on the list).
    threading.Thread(
        target=_import_all, args=(modules, prepare), name="dbaudit-helper-imports", daemon=True
    ).start()
    with os.fdopen(requests_fd, "rb") as requests, os.fdopen(replies_fd, "wb") as replies:
        while _answer(requests, replies):
            pass


def _import_all(modules: tuple[str, ...], prepare: Callable[[], object] | None) -> None:
    for name in modules:
        # an import that fails here fails again in the call that needs it, and is told there
        with contextlib.suppress(Exception):
            __import__(name)
    if prepare is not None:
        with contextlib.suppress(Exception):  # likewise: the call that needs the work does it again
            prepare()


def _answer(requests: IO[bytes], replies: IO[bytes]) -> bool:
    """Read one call, run it, send its outcome; ``False`` once this process has closed its end."""
    try:
        function, args = pickle.load(requests)
    except EOFError:
        return False
    try:
        reply: tuple[str, Any] = ("ok", function(*args))
    except Exception as exc:
        reply = ("raise", exc)
    try:
        data = pickle.dumps(reply)
        pickle.loads(data)  # an exception whose constructor takes other arguments fails here
    except Exception:
        data = pickle.dumps(("unpicklable", None))
    replies.write(data)
    replies.flush()
    return True

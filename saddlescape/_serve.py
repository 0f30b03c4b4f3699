"""``saddlescape serve``: the playground in a browser tab, through textual-serve.

Each browser tab (each websocket) gets its own ``saddlescape tui`` process, driven by Textual's
web driver. Safe by default: localhost only; plug-in paths (``module:attr``, ``file.py:attr``:
code the server would import) refused in the served apps unless ``allow_plugins``; at most
``max_sessions`` apps at once, a page saying so when full; on Ctrl-C or SIGTERM every app process
it started is ended. Needs ``pip install 'saddlescape[serve]'``.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import sys
from collections.abc import Sequence
from typing import Any

from .landscapes import ParamError

__all__ = ["LOCAL_HOSTS", "NO_PLUGINS_ENV", "make_server", "tui_command"]

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
NO_PLUGINS_ENV = "SADDLESCAPE_NO_PLUGINS"  # read by the plug-in loader in the served apps
# websocket pings: a tab that has not answered for half of this is closed and its app ended.
# (textual-serve's 15 s closed tabs whose machine was busy: a slow client lags behind the
# playground's 60 frames a second, and its answers to the pings with it)
HEARTBEAT_S = 60

FULL_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>saddlescape: full</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto">
<h1>The playground is full</h1>
<p>This server runs at most {limit} playground(s) at once, and all are in use. Close a tab that
has one open, or try again in a minute.</p></body></html>"""


def tui_command(tui_args: Sequence[str]) -> str:
    """The shell command each tab runs: this Python, ``-m saddlescape tui`` and the options
    (``exec``, so ending the shell's process ends the app)."""
    return "exec " + shlex.join([sys.executable, "-m", "saddlescape", "tui", *tui_args])


def make_server(tui_args: Sequence[str], *, host: str = "127.0.0.1", port: int = 8000, max_sessions: int = 4,
                allow_plugins: bool = False) -> Any:
    """A textual-serve server of the playground (not started: ``.serve()`` runs it)."""
    try:
        from aiohttp import WSMsgType, web
        from textual_serve.app_service import AppService
        from textual_serve.server import Server
    except ImportError:
        raise ParamError("saddlescape serve needs textual-serve: pip install 'saddlescape[serve]'") from None
    if isinstance(max_sessions, bool) or not isinstance(max_sessions, int) or max_sessions < 1:
        raise ParamError(f"--max-sessions {max_sessions!r} is not allowed; use an integer >= 1")
    if not 0 < int(port) < 65536:
        raise ParamError(f"--port {port!r} is not allowed; use 1-65535 (0 is not a port a browser can reach)")
    if allow_plugins:
        os.environ.pop(NO_PLUGINS_ENV, None)
    else:
        os.environ[NO_PLUGINS_ENV] = "1"  # the app processes inherit it

    class PlaygroundServer(Server):
        """textual-serve's server with a session limit and an end to every app it started."""

        def __init__(self) -> None:
            super().__init__(tui_command(tui_args), host=host, port=int(port), title="saddlescape")
            self.max_sessions = max_sessions
            self.sessions: set[Any] = set()

        async def _make_app(self) -> Any:
            app = await super()._make_app()
            app.on_shutdown.append(self._end_sessions)
            return app

        async def handle_index(self, request: Any) -> Any:
            if len(self.sessions) >= self.max_sessions:
                return web.Response(status=503, content_type="text/html",
                                    text=FULL_PAGE.format(limit=self.max_sessions))
            return await super().handle_index(request)

        async def handle_websocket(self, request: Any) -> Any:
            websocket = web.WebSocketResponse(heartbeat=HEARTBEAT_S)
            await websocket.prepare(request)
            if len(self.sessions) >= self.max_sessions:  # (a tab opened before the others filled it)
                await websocket.close(code=1013, message=b"the playground is full")
                return websocket
            width = _to_int(request.query.get("width"), 80)
            height = _to_int(request.query.get("height"), 24)
            async def close() -> None:  # the app quit: close its tab's socket
                await websocket.close()

            service = AppService(self.command, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                                 close=close, download_manager=self.download_manager, debug=self.debug)
            self.sessions.add(service)
            try:
                await service.start(width, height)
                await self._process_messages(websocket, service)
            except asyncio.CancelledError:
                await websocket.close()
            finally:
                self.sessions.discard(service)
                await _end(service)
            return websocket

        async def _end_sessions(self, app: Any) -> None:
            await asyncio.gather(*(_end(s) for s in list(self.sessions)), return_exceptions=True)
            self.sessions.clear()

    del WSMsgType  # (imported to fail early on an incomplete aiohttp)
    return PlaygroundServer()


def _to_int(text: str | None, default: int) -> int:
    try:
        return max(10, min(1000, int(text))) if text is not None else default
    except ValueError:
        return default


async def _end(service: Any) -> None:
    """Ask the app to quit; kill its process if it has not within 3 s."""
    proc = getattr(service, "_process", None)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(service.stop(), timeout=3.0)
    if proc is not None and proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGKILL)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(proc.wait(), timeout=3.0)

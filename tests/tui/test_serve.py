"""`saddlescape serve` end to end with no browser: the app's own websocket protocol, its terminal
stream read into a screen emulator (pyte), keys sent as a browser sends them."""
from __future__ import annotations

import asyncio
import codecs
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from saddlescape.cli import main

aiohttp = pytest.importorskip("aiohttp")
pyte = pytest.importorskip("pyte")
pytest.importorskip("textual_serve")



def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _apps(mark: str) -> list[int]:
    """PIDs of one server's playgrounds: their command line carries ``mark``, the seed that server
    was given (its port: unique, so tests in parallel workers never see each other's apps)."""
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmd = fh.read().split(b"\0")
        except OSError:
            continue
        if b"tui" in cmd and mark.encode() in cmd:
            out.append(int(pid))
    return out


def _wait(cond, what: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def server():
    # the scene's kernels and stepping loop into the cache first: what is tested here is serving,
    # and a cold compile inside each served app (beside the rest of the suite) only adds minutes
    for opt in ("gd", "momentum"):
        subprocess.run([sys.executable, "-m", "saddlescape", "run", "--landscape", "himmelblau", "--optimizer", opt,
                        "--walkers", "2", "--steps", "2"], check=True, capture_output=True)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "saddlescape", "serve", "--port", str(port), "--landscape",
                             "himmelblau", "--walkers", "8", "--seed", str(port), "--max-sessions", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def accepting():
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    _wait(accepting, "the server to listen", 300)  # (it builds the scene first: a cold cache compiles)
    yield port, proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for pid in _apps(str(port)):  # (nothing should be left; never leave anything behind either way)
        os.kill(pid, signal.SIGKILL)


class Tab:
    """One browser tab: the websocket, and the screen the terminal stream draws."""

    def __init__(self, ws):
        self.ws = ws
        self.screen = pyte.Screen(100, 30)
        self.stream = pyte.Stream(self.screen)
        self.decode = codecs.getincrementaldecoder("utf-8")("replace").decode

    def text(self) -> str:
        return "\n".join(self.screen.display)

    async def until(self, cond, what: str, timeout: float = 300.0) -> str:
        # (deadlines, not sleeps: generous because a cold cache compiles the stepping loop first,
        # in parallel with the rest of the suite; they only cost time when something is wrong)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                msg = await self.ws.receive(timeout=0.5)
            except asyncio.TimeoutError:
                msg = None
            if msg is not None and msg.type == aiohttp.WSMsgType.BINARY:
                self.stream.feed(self.decode(msg.data))
            elif msg is not None and msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                raise AssertionError(f"the app closed while waiting for {what}")
            if cond(self.text()):
                return self.text()
        raise AssertionError(f"timed out waiting for {what}; the screen:\n{self.text()}")

    async def press(self, key: str) -> None:
        await self.ws.send_str(json.dumps(["stdin", key]))


async def test_a_tab_plays_the_playground_a_second_is_turned_away_and_closing_ends_the_app(server):
    port, _proc = server
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(base + "/") as page:
            assert page.status == 200 and "ws" in await page.text()
        async with http.ws_connect(f"ws://127.0.0.1:{port}/ws?width=100&height=30") as ws:
            tab = Tab(ws)
            await tab.until(lambda s: "himmelblau" in s and "step 0 " in s, "the scene")
            await tab.until(lambda s: "0/4" in s, "the counters")
            assert len(_apps(str(port))) == 1
            await tab.press(" ")  # space: the walkers start
            await tab.until(lambda s: "running" in s and "step 0 " not in s, "the walkers to move")
            async with http.get(base + "/") as full:  # the one session is taken
                assert full.status == 503 and "full" in await full.text()
            async with http.ws_connect(f"ws://127.0.0.1:{port}/ws") as second:
                msg = await second.receive(timeout=30)
                assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED) and second.close_code == 1013
    _wait(lambda: not _apps(str(port)), "the app process to end after its tab closed", 60)


async def test_ctrl_c_ends_the_server_and_every_app_it_started(server):
    port, proc = server
    async with aiohttp.ClientSession() as http, http.ws_connect(f"ws://127.0.0.1:{port}/ws?width=100&height=30") as ws:
        await Tab(ws).until(lambda s: "himmelblau" in s, "the scene")
        assert len(_apps(str(port))) == 1
        proc.send_signal(signal.SIGINT)
        _wait(lambda: proc.poll() is not None, "the server to stop", 30)
    assert proc.returncode == 0
    _wait(lambda: not _apps(str(port)), "every app process to end", 60)


def test_bad_serve_options_are_one_line_and_plugins_are_off_unless_allowed(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("SADDLESCAPE_NO_PLUGINS", raising=False)
    plugin = tmp_path / "mine.py"
    plugin.write_text("raise SystemExit('never imported')\n")
    for args, said in ((["--landscape", f"{plugin}:f"], "plug-in paths are off"),
                       (["--max-sessions", "0"], "--max-sessions 0"), (["--port", "0"], "--port 0")):
        assert main(["serve", *args]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and said in err, (args, err)
    monkeypatch.delenv("SADDLESCAPE_NO_PLUGINS", raising=False)


def _chromium() -> str | None:
    import shutil

    return next(filter(None, (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome"))), None)


def _pixels(png: bytes):
    import io

    import matplotlib.image

    return matplotlib.image.imread(io.BytesIO(png), format="png")[..., :3]


def test_a_real_browser_draws_the_heatmap_and_its_keys_reach_the_app(server):
    # the terminal is drawn on a canvas: the page's pixels are checked, not its DOM text
    browser_path = _chromium()
    if browser_path is None:
        pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium with apt-get)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    import numpy as np

    port, _proc = server
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.goto(f"http://127.0.0.1:{port}/")
            map_box = (slice(60, 700), slice(20, 640))  # the landscape's panel, left of the side panel

            def heatmap():
                px = _pixels(page.screenshot())[map_box]
                colours = np.unique((px * 15).round().reshape(-1, 3), axis=0)
                return (px,) if len(colours) >= 12 else None  # a colour ramp, not a blank page or text

            _wait(heatmap, "the heatmap on the canvas", 300)
            last = [_pixels(page.screenshot())[map_box]]

            def settled():  # paused and fully drawn: two looks half a second apart agree
                page.wait_for_timeout(500)
                now = _pixels(page.screenshot())[map_box]
                same, last[0] = np.array_equal(now, last[0]), now
                return (now,) if same else None

            (before,) = _wait(settled, "the paused scene to finish drawing", 120)
            page.locator(".xterm-helper-textarea").focus()
            page.keyboard.press("Space")  # run: the walkers move over the map
            # (on a cold cache the stepping loop may still be compiling: space starts the walkers when
            # it is ready, so the deadline is generous; it only costs time when the key is lost)
            _wait(lambda: np.abs(_pixels(page.screenshot())[map_box] - before).max() > 0.2,
                  "the walkers to move after space", 300)
        finally:
            browser.close()

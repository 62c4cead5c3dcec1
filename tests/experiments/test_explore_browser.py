"""``feedlab explore`` in a real headless browser (Debian's chromium and chromedriver,
driven by selenium): the page loads with no SEVERE console message and no request off
this machine; changing the policy and pressing Reset rebuilds the model; Step updates a
plot; the feed inspector shows a feed. Screenshots go to ``$FEEDLAB_ARTEFACTS`` (default:
the test's tmp dir); ``FEEDLAB_DOCS_SCREENSHOT=path`` also writes the docs figure.

Without a browser the test skips, unless ``FEEDLAB_REQUIRE_BROWSER=1`` (CI: .ci/run
installs the browser and sets it), which turns a missing browser into a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow  # ~1 min: a server, a browser, a few steps

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1500,1480",
]
OVERRIDES = ["experiment=feed_ab_test", "network.n=1000", "dynamics.affect.enabled=true"]


def _need_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium")
    if missing:
        msg = f"no browser: missing {', '.join(missing)} (apt-get install chromium chromium-driver)"
        if os.environ.get("FEEDLAB_REQUIRE_BROWSER") == "1":
            pytest.fail(msg + "; FEEDLAB_REQUIRE_BROWSER=1 makes this a failure")
        pytest.skip(msg)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    _need_browser()
    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "feedlab", "explore", "--port", str(port), *OVERRIDES],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"feedlab explore did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url, log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # our own child's process group
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={tempfile.mkdtemp(dir=tmp_path)}"]:
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    d = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    try:
        yield d
    finally:
        d.quit()


def _wait(what: str, cond: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = cond()
        except Exception:  # the page is re-rendering; try again
            value = None
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}")


def _body(d: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(d.find_element(By.TAG_NAME, "body").text)


def _time(d: Any) -> float:
    """SolaraViz's step counter ("Time: 5.0")."""
    text = _body(d)
    return float(text.split("Time: ", 1)[1].split()[0]) if "Time: " in text else -1.0


def _button(d: Any, label: str) -> Any:
    from selenium.webdriver.common.by import By

    for b in d.find_elements(By.TAG_NAME, "button"):
        if b.text.strip().upper() == label.upper() and b.is_enabled():
            return b
    return None


def _card_images(d: Any, title: str) -> list[str]:
    from selenium.webdriver.common.by import By

    for card in d.find_elements(By.CSS_SELECTOR, ".v-card"):
        if card.text.startswith(title):
            return [str(i.get_attribute("src")) for i in card.find_elements(By.TAG_NAME, "img")]
    return []


def _choose(d: Any, label: str, option: str) -> None:
    """Pick ``option`` in the Vuetify select labelled ``label``."""
    from selenium.webdriver.common.by import By

    field = next(
        f
        for f in d.find_elements(By.CSS_SELECTOR, ".v-select")
        if f.find_element(By.TAG_NAME, "label").text.strip() == label
    )
    field.find_element(By.CSS_SELECTOR, ".v-select__slot").click()
    item = _wait(
        f"the option {option}",
        lambda: next(
            (
                i
                for i in d.find_elements(By.CSS_SELECTOR, ".menuable__content__active .v-list-item")
                if i.text.strip() == option
            ),
            None,
        ),
    )
    item.click()


def _offsite_requests(d: Any) -> list[str]:
    urls = []
    for entry in d.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            url = msg["params"]["request"]["url"]
            if not url.startswith(
                ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "chrome")
            ):
                urls.append(url)
    return urls


def test_explore_in_a_real_browser(server: tuple[str, Path], driver: Any, tmp_path: Path) -> None:
    url, log = server
    shots = Path(os.environ.get("FEEDLAB_ARTEFACTS", tmp_path)) / "explore"
    shots.mkdir(parents=True, exist_ok=True)
    d = driver
    d.get(url)
    _wait("the panels", lambda: "Feed inspector" in _body(d) and _button(d, "Step"), 120)
    _wait("the first plots", lambda: _card_images(d, "Metrics"))
    d.save_screenshot(str(shots / "1-loaded.png"))

    severe = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, f"console errors: {severe}"
    assert _offsite_requests(d) == []
    assert "Could not load URL" not in log.read_text()  # no asset fetched from a CDN
    assert "ranking: engagement" in _body(d)
    assert "control/treatment" in _body(d)  # the A/B arms of feed_ab_test
    assert _card_images(d, "A/B arms")

    # change the policy, press Reset: the model is rebuilt with it
    _choose(d, "ranking", "chronological")
    _button(d, "Reset").click()
    _wait("the rebuilt model", lambda: "ranking: chronological" in _body(d))
    d.save_screenshot(str(shots / "2-reset.png"))

    # step: the metrics plot changes and the feed inspector shows a feed
    before = _card_images(d, "Metrics")
    _button(d, "Step").click()
    _wait("step 1", lambda: "step 1" in _body(d) and "Time: 1.0" in _body(d))
    _wait("a new metrics plot", lambda: _card_images(d, "Metrics") != before)
    from selenium.webdriver.common.by import By

    rows = _wait(
        "the feed table",
        lambda: d.find_elements(By.CSS_SELECTOR, "table.feedlab-feed tr"),
    )
    assert len(rows) >= 2
    assert "items in feed" in _body(d)
    for t in range(2, 6):  # a few more steps for the picture
        _button(d, "Step").click()
        _wait(f"step {t}", lambda t=t: f"Time: {t}.0" in _body(d))
    time.sleep(1.0)
    d.save_screenshot(str(shots / "3-stepped.png"))

    # play runs steps until pause
    _button(d, "▶").click()
    _wait("playing", lambda: _time(d) >= 8, 120)
    _button(d, "❚❚").click()
    _wait("the pause", lambda: _button(d, "▶"))
    time.sleep(1.5)  # a step already under way when pausing still finishes
    paused = _time(d)
    time.sleep(1.5)
    assert _time(d) == paused
    severe = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, f"console errors: {severe}"
    assert _offsite_requests(d) == []
    target = os.environ.get("FEEDLAB_DOCS_SCREENSHOT")
    if target:
        shutil.copyfile(shots / "3-stepped.png", target)

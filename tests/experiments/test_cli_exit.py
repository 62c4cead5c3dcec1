"""The ``feedlab`` console script ends a sweep without interpreter shutdown
(:func:`feedlab.experiments.cli._exit_now`), but with everything Python promises at exit:
the exit handlers run, the standard streams are flushed, the exit code is Python's."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROGRAM = """
import atexit, sys, threading, time
from feedlab.experiments.cli import _exit_now
atexit.register(lambda: print("exit handler ran", flush=True))
print("buffered output", end="")  # no newline, no flush: only the exit's flush shows it
if sys.argv[2] == "thread":  # a non-daemon thread: the ordinary exit waits for it
    threading.Thread(target=lambda: (time.sleep(0.3), print("thread done"))).start()
code = sys.argv[1]
_exit_now(None if code == "none" else int(code) if code.lstrip("-").isdigit() else code)
"""


def _run(code: str, thread: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROGRAM, code, thread or "-"],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(("code", "status"), [("0", 0), ("1", 1), ("130", 130), ("none", 0)])
def test_fast_exit_keeps_the_code_the_handlers_and_the_output(code: str, status: int) -> None:
    out = _run(code)
    assert out.returncode == status
    assert out.stdout == "buffered outputexit handler ran\n"


def test_fast_exit_with_a_message_prints_it_and_exits_1() -> None:
    out = _run("sweep refused")
    assert out.returncode == 1
    assert "sweep refused" in out.stderr
    assert "exit handler ran" in out.stdout


def test_fast_exit_waits_for_a_running_thread_as_python_does() -> None:
    out = _run("0", "thread")
    assert out.returncode == 0
    assert "thread done" in out.stdout  # os._exit would have killed the thread
    assert "exit handler ran" in out.stdout

"""The large-N step benchmark (benchmarks/step_compare.py, step_section.py): the access
floor kernel reads what it claims, a baseline commit unpacks as an importable
``feedlab``, and the doc section reports the ratios of the numbers it is given.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from feedlab.benchmarks import step_compare
from feedlab.benchmarks.step_section import section


def test_random_reads_sum_the_elements_they_read():
    data = np.ones(1 << 10)
    assert step_compare._random_reads(data, 5000, 3) == 5000.0
    data = np.zeros(1 << 10)
    assert step_compare._random_reads(data, 5000, 3) == 0.0


def test_access_floor_counts_seventy_reads_per_user():
    fl = step_compare.access_floor(2000, repeats=1)
    assert fl["reads"] == 70 * 2000
    assert fl["array_mb"] >= 20 * 2000 * 8 / 1e6  # at least the edge arrays' size
    assert fl["cpu_seconds"] > 0 and fl["ns_per_read"] > 0


def test_baseline_unpacks_as_an_importable_feedlab(tmp_path):
    dest = step_compare._unpack_baseline("HEAD", tmp_path / "src")
    code = "import feedlab.models.sampling as s; print(s.__file__)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(dest), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    assert Path(out.strip()).is_relative_to(dest)


def _run(cpu: float, wall: float, rss: float) -> dict:
    phases = dict.fromkeys(("post", "gather", "rank", "react", "update", "record"), cpu / 6)
    return {
        "median_step_cpu_seconds": cpu,
        "median_step_seconds": wall,
        "phase_seconds": phases,
        "peak_rss_gb": rss,
        "build_seconds": 10.0,
    }


def test_section_reports_speed_ups_floor_ratios_and_the_full_scale_estimate(tmp_path):
    res = {
        "command": "python -m feedlab.benchmarks.step_compare --n 100000 1000000",
        "started": "2026-12-07T05:00:00+00:00",
        "wall_seconds": 600.0,
        "commit": "abc",
        "baseline": "9e09ef3",
        "threads": 2,
        "cores": 2,
        "load_start": [1.0, 1.0, 1.0],
        "load_end": [1.0, 1.0, 1.0],
        "accesses_per_user": 70,
        "rows": [
            {
                "n": 100_000,
                "steps": 10,
                "floor": {
                    "reads": 7e6,
                    "array_mb": 16.0,
                    "cpu_seconds": 0.05,
                    "wall_seconds": 0.05,
                    "ns_per_read": 7.1,
                },
                "current": _run(0.2, 0.25, 1.0),
                "baseline": _run(0.4, 0.5, 1.1),
                "threads": _run(0.25, 0.125, 1.0),
            },
            {
                "n": 1_000_000,
                "steps": 2,
                "floor": {
                    "reads": 7e7,
                    "array_mb": 268.0,
                    "cpu_seconds": 1.0,
                    "wall_seconds": 1.0,
                    "ns_per_read": 14.3,
                },
                "current": _run(6.0, 6.0, 5.0),
                "baseline": _run(18.0, 18.0, 6.0),
            },
        ],
    }
    path = tmp_path / "r.json"
    path.write_text(json.dumps(res))
    text = section(path)
    assert "## The large-N step against the baseline" in text
    assert "2.00× faster than the baseline's" in text  # 0.4 / 0.2 at 10⁵
    assert "3.00× faster" in text  # 18 / 6 at 10⁶
    assert "| 4.0× |" in text  # 0.2 s step over a 0.05 s floor
    assert "wall clock 2.00× faster than one thread (target ≥ 1.6× at N = 10⁵ with 2 idle" in text
    assert "cores: met;" in text
    # 0.2 s on the limit, exactly 4× the floor: both met; load 1 at the start: shared
    assert "step 200 ms CPU (≤ 0.2 s on an idle core: met, measured on a shared machine)" in text
    assert "4.0× the access floor (≤ 4×: met)" in text
    assert "**The machine was shared with other work**" in text
    assert "10.2 min of CPU" in text
    assert "| 6.00 s (6.00 s) |" in text  # (10 s build + 100 × 6 s) / 60
    res["load_start"] = [0.2, 0.5, 0.5]  # idle before; the end's load is its own
    res["rows"][0]["current"] = _run(0.25, 0.25, 1.0)  # 0.25 s, 5× the floor
    res["rows"][0]["threads"] = _run(0.3, 0.2, 1.0)  # 1.25× with 2 threads
    path.write_text(json.dumps(res))
    text = section(path)
    assert "The machine was otherwise idle" in text and "shared" not in text
    assert "step 250 ms CPU (≤ 0.2 s on an idle core: **not met**)" in text
    assert "5.0× the access floor (≤ 4×: **not met**)" in text
    assert "(target ≥ 1.6× at N = 10⁵ with 2 idle cores: **not met**;" in text
    assert section(tmp_path / "missing.json") == ""


def test_phase_floor_counts_the_accesses_of_each_phase():
    from feedlab.benchmarks.step_section import phase_floor

    counts = {"candidates": 2_000_000.0, "feed_items": 1_000_000.0}
    floor = phase_floor(counts, 100_000, ns_per_read=10.0)
    assert floor["gather"] == (2e6, 0.02) and floor["rank"] == (2e6, 0.02)
    assert floor["react"] == (2e6, 0.02)  # read the post line, write its counters
    assert floor["update"] == (1.1e6, pytest.approx(0.011))
    assert floor["post"] == (1e5, pytest.approx(0.001)) and floor["record"] == (0.0, 0.0)
    # about seventy per user in all, as the whole-step floor assumes
    assert 65 <= sum(r for r, _ in floor.values()) / 100_000 <= 75

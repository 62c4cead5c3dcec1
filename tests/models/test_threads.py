"""``platform.threads``: the hot kernels on several threads give bit-identical runs.

Every parallel kernel (models/kernels.py, :func:`feedlab.models.kernels.threaded`) writes
only its own items, so the thread count must not change a single bit of a run: these
tests run the same configs at 1 and 2 threads (the fused engagement ranker; arms with
the prediction → score → top-k path) and compare the whole state and the events. The
first run compiles the parallel twins (tens of seconds; cached on disk afterwards).
"""

import numpy as np
import pytest

from feedlab.experiments import build, compose
from feedlab.experiments.schema import ConfigError
from feedlab.models.config import thread_limit

CONFIGS = {
    "engagement_window_oon": ["platform.window=2", "platform.out_of_network=3"],
    "ab_test_arms": ["experiment=feed_ab_test"],
}


def _state(overrides: list[str], threads: int) -> dict[str, np.ndarray]:
    m = build(
        compose(
            [
                "network.n=400",
                "seed=3",
                "output.mesa_agents=false",
                f"platform.threads={threads}",
                *overrides,
            ]
        )
    )
    stats = []
    for _ in range(5):
        m.step()
        stats.append([m.step_stats[k] for k in sorted(m.step_stats)])
    out = {
        "opinion": m.users.opinion,
        "arousal": m.users.arousal,
        "platform_trust": m.users.platform_trust,
        "src": m.graph.src,
        "dst": m.graph.indices,
        "trust": m.graph.trust,
        "stats": np.array(stats),
        "likes": m.posts.likes,
    }
    out.update({f"event_{k}": np.asarray(v) for k, v in m.event_table().items()})
    return out


@pytest.mark.slow
@pytest.mark.skipif(thread_limit() < 2, reason="Numba's pool has one thread here")
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_one_and_two_threads_give_identical_runs(name):
    one = _state(CONFIGS[name], 1)
    two = _state(CONFIGS[name], 2)
    assert one.keys() == two.keys()
    for k in one:
        assert np.array_equal(one[k], two[k]), k


def test_too_many_threads_is_refused_naming_the_field():
    with pytest.raises(ConfigError) as err:
        build(compose(["network.n=50", f"platform.threads={thread_limit() + 1}"]))
    assert "platform.threads" in str(err.value)
    assert f"allowed: 1..{thread_limit()}" in str(err.value)
    with pytest.raises(ConfigError) as err:
        build(compose(["network.n=50", "platform.threads=0"]))
    assert "platform.threads" in str(err.value)


def test_run_key_does_not_depend_on_threads() -> None:
    """Results are bit-identical at any thread count, so the run key ignores it."""
    from feedlab.experiments.record import run_key
    from feedlab.experiments.run import compose

    one, two = compose(["platform.threads=1"]), compose(["platform.threads=2"])
    assert run_key(one) == run_key(two)
    assert run_key(one) != run_key(compose(["platform.window=2"]))


@pytest.mark.slow
def test_blas_thread_count_does_not_change_a_large_run(tmp_path) -> None:
    """A run of 20,000 users (past the size at which OpenBLAS splits a dot product over
    its threads) gives the same bytes with two BLAS threads as with one: a model pins
    BLAS to one thread (models/blas.py). Without the pin the echo-chamber index's last
    bits follow the thread count."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    outs = {}
    for threads in ("1", "2"):
        out = tmp_path / threads
        env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "feedlab.experiments.cli",
                "run",
                "network.n=20000",
                "steps=2",
                "output.agents=false",
                f"output.dir={out}",
                "--quiet",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        (run,) = [d for d in (out / "runs").iterdir() if (d / "DONE").is_file()]
        outs[threads] = (Path(run) / "timeseries.parquet").read_bytes()
    assert outs["1"] == outs["2"]

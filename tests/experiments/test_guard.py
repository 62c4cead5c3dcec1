"""The hydra-node lock: no command line or config file makes Hydra import or call code.

The exploits run through the real ``feedlab`` command (a pickle whose payload would create
a marker file); the catalogue of refused hydra settings runs in-process through the same
check the command uses."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from feedlab.experiments.guard import CALLBACKS, check_command_line, check_hydra_node
from feedlab.experiments.run import CONF_DIR
from feedlab.experiments.schema import ConfigError


class _Payload:
    """Unpickling this creates ``path`` (what an attacker's pickle would do)."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):  # type: ignore[override]
        return (Path.touch, (Path(self.path),))


@pytest.fixture
def payload(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "PWNED"
    pkl = tmp_path / "cb.pkl"
    pkl.write_bytes(pickle.dumps(_Payload(marker)))
    return pkl, marker


def _feedlab(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedlab.experiments.cli", "run", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _evil_experiment(root: Path, name: str, hydra_yaml: str) -> Path:
    folder = root / "myconf" / "experiment"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text("# @package _global_\nhydra:\n" + hydra_yaml)
    return root / "myconf"


def test_callback_exploit_on_the_command_line_is_refused(payload, tmp_path: Path) -> None:
    pkl, marker = payload
    out = _feedlab(
        [f"+hydra.callbacks.x={{_target_:joblib.load,filename:{pkl}}}", "steps=2"], tmp_path
    )
    assert out.returncode == 2, out.stderr
    assert "hydra.callbacks" in out.stderr and "Traceback" not in out.stderr
    assert not marker.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cb.pkl"]


def test_callback_exploit_in_an_experiment_file_is_refused(payload, tmp_path: Path) -> None:
    pkl, marker = payload
    confdir = _evil_experiment(
        tmp_path,
        "evil",
        f"  callbacks:\n    x:\n      _target_: joblib.load\n      filename: {pkl}\n",
    )
    for mode in ([], ["-m"]):
        out = _feedlab(
            [*mode, "--config-dir", str(confdir), "experiment=evil", "steps=2"], tmp_path
        )
        assert out.returncode == 2, out.stderr
        assert "hydra.callbacks" in out.stderr and "Traceback" not in out.stderr
    assert not marker.exists()
    assert not (tmp_path / "outputs").exists()


def test_logging_factory_in_one_sweep_job_is_refused(tmp_path: Path) -> None:
    confdir = _evil_experiment(
        tmp_path,
        "evil",
        "  job_logging:\n    handlers:\n      x:\n        (): pathlib.Path.touch\n"
        f"        self: {tmp_path / 'PWNED'}\n",
    )
    with pytest.raises(ConfigError, match=r"job_logging\.handlers\.x\.\(\)"):
        check_command_line(
            ["-m", "--config-dir", str(confdir), "experiment=feed_ab_test,evil"], CONF_DIR
        )


# (overrides, the field the refusal must name)
REFUSED = [
    (["+hydra.callbacks.x={_target_:builtins.print}"], "hydra.callbacks"),
    (["~hydra.callbacks.feedlab_sweep"], "hydra.callbacks"),
    (["hydra.callbacks.feedlab_sweep._target_=builtins.print"], "hydra.callbacks"),
    (["+hydra.job_logging.handlers.x={class:os.system}"], "hydra.job_logging.handlers.x.class"),
    (["hydra.job_logging.handlers.console.class=builtins.exec"], "handlers.console.class"),
    (["hydra.job_logging.handlers.console.stream=ext://os.system"], "console.stream"),
    (["+hydra.hydra_logging.formatters.f={class:os.system}"], "hydra.hydra_logging.formatters"),
    (["hydra.launcher._target_=builtins.print"], "hydra.launcher._target_"),
    (["hydra/launcher=slurm", "hydra.launcher.setup=[touch x]"], "hydra.launcher.setup"),
    (["hydra.sweeper._target_=builtins.print"], "hydra.sweeper._target_"),
    (["hydra.searchpath=[pkg://os]"], "hydra.searchpath"),
    (["+hydra.job.env_set.PYTHONPATH=/tmp"], "hydra.job.env_set"),
    (["+hydra.job.env_set.LD_PRELOAD=/tmp/x.so"], "hydra.job.env_set"),
    (["hydra.job.env_copy=[HOME]"], "hydra.job.env_copy"),
    (["+hydra.job.x={_target_:os.system}"], "hydra.job.x._target_"),
    (["hydra.run.dir=/proc/x"], "hydra.run.dir"),
    (["-m", "hydra.sweep.dir=/sys/x"], "hydra.sweep.dir"),
    (["steps=${steps}"], "config"),
    (["--experimental-rerun", "x.pickle"], "--experimental-rerun"),
    (["--config-name", "other"], "--config-name"),
    (["-cp", "/tmp"], "-cp"),
    (["--config-dir", "/nonexistent/feedlab"], "--config-dir"),
]


@pytest.mark.parametrize(("argv", "field"), REFUSED, ids=[" ".join(a) for a, _ in REFUSED])
def test_hydra_settings_off_the_allowlist_are_refused(argv: list[str], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        check_command_line(argv, CONF_DIR)
    assert field in str(info.value)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["ranking=chronological", "steps=3"],
        ["-m", "seed=0,1"],
        ["-m", "experiment=ranking_comparison"],
        ["-m", "hydra/launcher=slurm", "hydra.launcher.partition=debug"],
        ["-m", "hydra/launcher=basic", "hydra.sweep.dir=outputs/x"],
        ["hydra/job_logging=default"],
        ["hydra.verbose=true"],
    ],
)
def test_ordinary_command_lines_pass(argv: list[str]) -> None:
    check_command_line(argv, CONF_DIR)


def test_the_allowlist_accepts_feedlabs_own_node_and_nothing_added() -> None:
    node = {
        "callbacks": dict(CALLBACKS),
        "launcher": {
            "_target_": "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"
        },
        "sweeper": {"_target_": "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"},
    }
    assert check_hydra_node(node) == []
    node["callbacks"] = {**CALLBACKS, "y": {"_target_": "x"}}
    assert check_hydra_node(node)

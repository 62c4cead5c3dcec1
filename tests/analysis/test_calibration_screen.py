"""``feedlab calibrate --screen``, ``--scale-check`` and ``--write-config --conf-dir``: the
sensitivity screen ranks parameters on the targets' measurements in a resumable sweep
folder, the scale check measures at other sizes, and the calibrated config is written with
its provenance header into a given conf root (never into the real ``conf/`` from a test).
"""

from __future__ import annotations

import json
import shutil

import pytest

from feedlab.analysis.calibration import cli as ccli
from feedlab.analysis.calibration import engine, report, scale, screen, spec
from feedlab.experiments import run as run_mod
from feedlab.experiments.run import compose
from feedlab.experiments.schema import ConfigError
from feedlab.experiments.verify import verify

LIKE = "dynamics.reaction.like.intercept"
SHARE = "dynamics.reaction.share.intercept"

TINY = """
targets: ["metric:total_likes", "metric:total_shares"]
hold_out: ["metric:total_reshares"]
overrides: [network.n=60, steps=3]
params:
  dynamics.reaction.like.intercept: {prior: uniform, low: -4.0, high: -1.0}
  dynamics.reaction.share.intercept: {prior: uniform, low: -6.0, high: -3.0}
truth: {dynamics.reaction.like.intercept: -2.2, dynamics.reaction.share.intercept: -4.0}
truth_seeds: 3
smc: {population: 8, generations: 3, quantile: 0.5, seeds: 1, noise_seeds: 2,
      min_acceptance: 0.0, ppc_draws: 3}
budget: 40
seed: 3
screen:
  targets: ["metric:total_likes"]
  overrides: [network.n=50]
  trajectories: 3
  levels: 4
  cover: 0.8
  params:
    dynamics.reaction.like.intercept: [-4.0, -1.0]
    dynamics.high_outrage: [0.4, 0.8]
"""


def _config(tmp_path, body: str = TINY) -> str:
    path = tmp_path / "tiny.yaml"
    path.write_text(body)
    return str(path)


def test_screen_ranks_on_the_measurement_and_resumes(tmp_path):
    sc = screen.load(_config(tmp_path), out=tmp_path / "s")
    assert sc.spec.overrides == ("network.n=60", "steps=3", "network.n=50")
    res = screen.run(sc)
    screen.write(res, sc.spec.out)
    mu = {r["param"]: r["mu_star"] for r in res["indices"]}
    # high_outrage is a metrics threshold: the runs are bit-identical, mu* exactly 0
    assert mu["dynamics.high_outrage"] == 0.0 and mu[LIKE] > 0
    assert res["influential"] == {"metric:total_likes": [LIKE]}
    assert res["free"] == [LIKE]
    # the config frees the share intercept, which this screen's fitted target ignores
    assert res["inert_in_config"] == [LIKE, SHARE][1:]
    assert res["noise_floor"]["metric:total_likes"] < mu[LIKE]
    assert res["screen"]["floor_factor"] == 2.0
    assert res["runs_expected"] == 3 * 3 + 6 and res["runs_simulated_now"] == 15
    assert verify(sc.spec.out).ok
    assert "**" in (sc.spec.out / "screen.md").read_text()
    again = screen.run(screen.load(_config(tmp_path), out=tmp_path / "s"))
    assert again["runs_simulated_now"] == 0 and again["indices"] == res["indices"]


def test_select_covers_the_share_of_total_mu_star():
    rows = [
        {"target": "t", "param": "a", "mu_star": 6.0},
        {"target": "t", "param": "b", "mu_star": 3.0},
        {"target": "t", "param": "c", "mu_star": 1.0},
        {"target": "u", "param": "a", "mu_star": 0.0},
    ]
    assert screen.select(rows, 0.8) == {"t": ["a", "b"], "u": []}
    assert screen.select(rows, 0.5) == {"t": ["a"], "u": []}
    # below the noise floor a parameter is not influential, however high its rank
    assert screen.select(rows, 0.8, {"t": 4.0}) == {"t": ["a"], "u": []}
    assert screen.noise_floor(1.0, 4) == pytest.approx(2 / (3.141592653589793**0.5 * (2 / 3)))


def test_screen_and_scale_check_refuse_bad_input(tmp_path, capsys):
    body = TINY.replace("dynamics.high_outrage: [0.4, 0.8]", "dynamics.nope: [0, 1]")
    with pytest.raises(ConfigError) as e:
        screen.load(_config(tmp_path, body), out=tmp_path / "x")
    assert any("screen.params.dynamics.nope" in p for p in e.value.problems)
    assert ccli.main(["--screen", "--truth", f"{LIKE}=-2", "--config", _config(tmp_path)]) == 2
    assert "--truth: not used with --screen" in capsys.readouterr().err
    assert ccli.main(["--conf-dir", str(tmp_path / "c"), "--config", _config(tmp_path)]) == 2
    assert (
        ccli.main(
            [
                "--scale-check",
                "1000",
                "--config",
                _config(tmp_path),
                "--out",
                str(tmp_path / "none"),
            ]
        )
        == 2
    )
    assert "calibration.json" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not (tmp_path / "none").exists()
    with pytest.raises(ConfigError):
        scale.parse_sizes("1e4")


def test_write_config_writes_the_calibrated_config_with_provenance_into_a_conf_root(
    tmp_path, monkeypatch
):
    s = spec.load(_config(tmp_path), out=tmp_path / "w", budget=16)  # two generations
    o = engine.calibrate(s)
    real = run_mod.CONF_DIR / "dynamics" / "calibrated.yaml"
    before = real.read_bytes() if real.exists() else None
    conf = tmp_path / "conf"
    shutil.copytree(run_mod.CONF_DIR, conf)
    (conf / "dynamics" / "calibrated.yaml").unlink(missing_ok=True)
    summary = report.write(o, "feedlab calibrate test", write_config=True, conf_dir=conf)
    dest = conf / "dynamics" / "calibrated.yaml"
    assert str(dest) in summary["configs"]
    text = dest.read_text()
    head = [ln for ln in text.splitlines() if ln.startswith("#")]
    for needle in (
        "# Generated by `feedlab calibrate` (feedlab calibrate test)",
        "# fitted targets: metric:total_likes, metric:total_shares",
        "# held-out targets: metric:total_reshares",
        "# simulated with: network.n=60 steps=3",
        "# commit: ",
        "# seed: 3; budget: 16",
        "# date: ",
        f"# {LIKE}: median ",
    ):
        assert any(ln.startswith(needle) for ln in head), needle
    assert (real.read_bytes() if real.exists() else None) == before  # the real conf/ untouched
    # the written file is a config of the group: it composes from that conf root
    monkeypatch.setattr(run_mod, "CONF_DIR", conf)
    d = compose(["dynamics=calibrated"])
    med = {r["param"]: r["median"] for r in summary["marginals"]}
    assert d["dynamics"]["reaction"]["like"]["intercept"] == float(f"{med[LIKE]:.6g}")
    assert d["dynamics"]["reaction"]["share"]["intercept"] == float(f"{med[SHARE]:.6g}")
    assert d["dynamics"]["reaction"]["comment"]["intercept"] == -4.0  # default kept
    monkeypatch.undo()

    # the scale check reads the posterior medians and measures at other sizes
    chk = scale.load(_config(tmp_path), "40,80", seeds=2, out=tmp_path / "w")
    assert chk.calibrated == pytest.approx({n: med[n] for n in (LIKE, SHARE)})
    res = scale.run(chk)
    scale.write(res, chk.folder)
    assert res["runs_expected"] == 2 * 2 * 2  # sizes × arms × seeds (one run per seed)
    assert verify(chk.folder).ok
    rows = {(r["target"], r["n"], r["arm"]) for r in res["rows"]}
    assert len(rows) == 3 * 2 * 2
    assert json.loads((chk.folder / "scale.json").read_text())["check"]["sizes"] == [40, 80]

"""``feedlab report <topic>``: the per-topic reports are feedlab commands."""

from __future__ import annotations

import json
from pathlib import Path

from feedlab.analysis.report import TOPICS, main
from feedlab.experiments.cli import main as cli_main
from feedlab.experiments.run import run_experiment


def test_report_lists_its_topics(capsys) -> None:
    assert cli_main(["report"]) == 0
    out = capsys.readouterr().out
    assert all(topic in out for topic in TOPICS)


def test_unknown_topic_exits_2(capsys) -> None:
    assert main(["nope"]) == 2
    assert "unknown topic 'nope'" in capsys.readouterr().err


def test_cascades_summary_of_a_run(tmp_path: Path, capsys) -> None:
    res = run_experiment(
        [
            "event=transgression",
            "network.n=300",
            "steps=8",
            "output.quiet=true",
            "output.progress=false",
            f"output.dir={tmp_path}",
        ]
    )
    capsys.readouterr()
    assert cli_main(["report", "cascades", "summary", str(res.run_dir)]) == 0
    row = json.loads(capsys.readouterr().out.splitlines()[0])
    assert row["cascade_size"] == res.summary["cascade_size"]

"""A catalogue of bad inputs: every one is refused before any work, by a ConfigError whose
message names the field, and nothing is written.

Each case goes through the in-process entry point ``run_experiment([...overrides...,
output.dir=<tmp>])`` from a scratch working directory; after the refusal both folders
must be empty (no run directory, no staging folder). A few cases also go through the real
``feedlab run`` command: exit code 2, no traceback, no files. Refusals of the ``hydra``
node (callbacks, launchers, searchpath, ...) are covered by tests/experiments/test_guard.py.

The bad network files are made once per module in their own folder (``files``); the
unreadable-file case uses ``/proc/self/mem`` (a regular file whose read fails), since a
``chmod 000`` file is still readable by root.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from feedlab.experiments import run as run_module
from feedlab.experiments.run import run_experiment
from feedlab.experiments.schema import ConfigError

ROOT = Path(__file__).resolve().parents[2]
POLBLOGS = ROOT / "data" / "polblogs.gml.gz"

# one refusal = (id, overrides, regex the message must match: it names the field)
Case = tuple[str, list[str], str]

# ----------------------------------------------------------------- bad network files

#: file name -> bytes (written once into the module's `files` folder)
FILES: dict[str, bytes] = {
    "empty.txt": b"",
    "one_user.txt": b"0 0\n",
    "comments_only.txt": b"# a header\n% and another\n",
    "header_only.csv": b"source,target\n",
    "one_column.txt": b"1\n2\n3\n",
    "garbage.txt": bytes(range(256)) * 8,
    "garbage.gml": b"graph [\n" + bytes(range(256)) * 4,
    "bad.gml": b'graph [ node [ id 0 label "a" ] node [ id',
    "nodes_none.gml": b"graph [\n directed 1\n]\n",
    "not_xml.graphml": b"<graphml><graph edgedefault='directed'><node id='a'>",
    "undirected.gml": b"graph [\n node [ id 0 ]\n node [ id 1 ]\n edge [ source 0 target 1 ]\n]\n",
    "nogroup.gml": (
        b'graph [\n directed 1\n node [ id 0 side "a" ]\n node [ id 1 side "b" ]\n'
        b" edge [ source 0 target 1 ]\n]\n"
    ),
    "nogroup.graphml": (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n'
        b'<graph edgedefault="directed"><node id="a"/><node id="b"/>'
        b'<edge source="a" target="b"/></graph></graphml>\n'
    ),
    "list_groups.gml": (
        b"graph [\n directed 1\n node [ id 0 value [ x 1 ] ]\n node [ id 1 value [ x 2 ] ]\n"
        b" edge [ source 0 target 1 ]\n]\n"
    ),
    "huge_id.txt": b"0 3000000000\n",  # 13 bytes naming 3,000,000,001 users
    "big_ids.txt": b"0 15000000\n",  # 15,000,001 users: under max_users, over a small budget
    "negative.txt": b"-1 2\n2 3\n",
    "text_ids.txt": b"alice bob\nbob carol\n",
    "edges.txt": b"0 1\n1 2\n",
    "edges.dat": b"0 1\n1 2\n",
    "plain.txt.gz": b"0 1\n1 2\n",  # not gzip despite the name
    "truncated.gml.gz": POLBLOGS.read_bytes()[:2000],
    "corrupt.txt.gz": gzip.compress(b"0 1\n1 2\n" * 200)[:12] + b"\xff" * 64,
    "empty_inside.txt.gz": gzip.compress(b""),
    "gz_garbage.txt.gz": gzip.compress(bytes(range(256)) * 4),
}


def _file(name: str, *extra: str) -> list[str]:
    return ["network=from_file", f"network.path={{files}}/{name}", *extra]


NETWORK_FILES: list[Case] = [
    ("file-missing", _file("no_such_file.txt"), r"network\.path: .*does not exist"),
    (
        "file-is-directory",
        ["network=from_file", "network.path={files}"],
        r"network\.path: .*is a directory",
    ),
    (
        "file-is-device",
        ["network=from_file", "network.path=/dev/zero", "network.format=edgelist"],
        r"network\.path: '/dev/zero' is a character device, not a regular file",
    ),
    (
        "file-is-fifo",
        ["network=from_file", "network.path={files}/pipe.txt"],
        r"network\.path: .*is a named pipe, not a regular file",
    ),
    (
        "file-unreadable",
        ["network=from_file", "network.path=/proc/self/mem", "network.format=edgelist"],
        r"network\.path: '/proc/self/mem' cannot be read",
    ),
    ("file-empty", _file("empty.txt"), r"network\.path: .*is empty \(0 users\)"),
    ("file-one-user", _file("one_user.txt"), r"network\.path: .*gives 1 user; .*at least 2"),
    ("file-comments-only", _file("comments_only.txt"), r"network\.path: .*gives 0 users"),
    ("file-csv-header-only", _file("header_only.csv"), r"network\.path: .*gives 0 users"),
    ("file-gz-empty-inside", _file("empty_inside.txt.gz"), r"network\.path: .*gives 0 users"),
    (
        "file-one-column",
        _file("one_column.txt"),
        r"network\.path: .*line 1 has fewer than 2 fields",
    ),
    ("file-binary-edgelist", _file("garbage.txt"), r"network\.path: .*holds binary data"),
    ("file-binary-gml", _file("garbage.gml"), r"network\.path: .*holds binary data"),
    ("file-binary-in-gzip", _file("gz_garbage.txt.gz"), r"network\.path: .*holds binary data"),
    ("file-bad-gml", _file("bad.gml"), r"network\.path: .*cannot be parsed as gml"),
    (
        "file-gml-no-nodes",
        _file("nodes_none.gml", "network.directed=true"),
        r"network\.path: .*gives 0 users",
    ),
    ("file-bad-graphml", _file("not_xml.graphml"), r"network\.path: .*cannot be parsed as graphml"),
    (
        "file-edgelist-read-as-gml",
        _file("edges.txt", "network.format=gml"),
        r"network\.path: .*cannot be parsed as gml \(network\.format: gml\)",
    ),
    (
        "file-truncated-gzip",
        _file("truncated.gml.gz"),
        r"network\.path: .*not a valid gzip file \(truncated or corrupt",
    ),
    ("file-corrupt-gzip", _file("corrupt.txt.gz"), r"network\.path: .*not a valid gzip file"),
    ("file-not-gzip", _file("plain.txt.gz"), r"network\.path: .*not a valid gzip file"),
    (
        "file-gml-no-group-attribute",
        _file("nogroup.gml", "network.directed=true", "network.group_attribute=value"),
        r"network\.group_attribute: no node of network\.path .* has attribute 'value'; allowed: 'side' or ''",
    ),
    (
        "file-graphml-no-group-attribute",
        _file("nogroup.graphml", "network.directed=true", "network.group_attribute=value"),
        r"network\.group_attribute: no node of network\.path .* has attribute 'value'",
    ),
    (
        "file-group-attribute-not-scalar",
        _file("list_groups.gml", "network.directed=true", "network.group_attribute=value"),
        r"network\.group_attribute: the values of 'value' .* are not plain numbers or strings",
    ),
    (
        "file-undirected-but-directed",
        _file("undirected.gml", "network.directed=true"),
        r"network\.directed: true, but 'undirected\.gml' declares an undirected graph",
    ),
    (
        "file-huge-id-max-users",
        _file("huge_id.txt", "network.relabel=false"),
        r"network\.path: 3,000,000,001 users \(largest node id 3,000,000,000 .*relabel: false\) "
        r"exceed limits\.max_users",
    ),
    (
        "file-huge-id-int32",
        _file("huge_id.txt", "network.relabel=false", "limits.max_users=10000000000"),
        r"network\.path: 3,000,000,001 users .*\(node ids are int32\)",
    ),
    (
        "file-ids-exceed-memory",
        _file("big_ids.txt", "network.relabel=false", "limits.memory_gb=0.5"),
        r"network\.path: 15,000,001 users .* need an estimated .* GiB, more than the budget",
    ),
    (
        "file-negative-ids",
        _file("negative.txt", "network.relabel=false"),
        r"network\.relabel: false needs non-negative",
    ),
    (
        "file-text-ids",
        _file("text_ids.txt", "network.relabel=false"),
        r"network\.relabel: false needs non-negative",
    ),
    ("file-unknown-extension", _file("edges.dat"), r"network\.format: 'auto' cannot tell"),
    (
        "file-groups-from-edgelist",
        _file("edges.txt", "network.group_attribute=side"),
        r"network\.group_attribute: 'side' cannot be read from an edge list",
    ),
    ("file-path-empty", ["network=from_file"], r"network\.path: required for from_file"),
    (
        "file-leaves-package",
        ["network=from_file", "network.path=feedlab://../../etc/hostname"],
        r"network\.path: .*leaves the feedlab package",
    ),
    (
        "file-bad-format",
        _file("edges.txt", "network.format=xlsx"),
        r"network\.format: 'xlsx' is not allowed",
    ),
    (
        "file-directed-not-bool",
        _file("edges.txt", "network.directed=maybe"),
        r"network\.directed: expected true or false",
    ),
]

# ------------------------------------------------------------- every config group

CONFIG: list[Case] = [
    # seeds, steps and top-level types
    ("seed-negative", ["seed=-1"], r"seed: -1 is out of range"),
    ("seed-text", ["seed=abc"], r"seed: expected an integer, got 'abc'"),
    ("seed-fraction", ["seed=1.5"], r"seed: expected an integer, got 1\.5"),
    ("seed-too-large", ["seed=18446744073709551616"], r"seed: .* is out of range"),
    ("seed-list", ["seed=[1,2]"], r"seed: expected an integer"),
    ("steps-negative", ["steps=-1"], r"steps: -1 is out of range"),
    ("steps-text", ["steps=ten"], r"steps: expected an integer, got 'ten'"),
    ("steps-too-many", ["steps=100000000"], r"steps: 100000000 is out of range"),
    ("steps-null", ["steps=null"], r"steps: expected an integer, got None"),
    ("steps-bool", ["steps=true"], r"steps: expected an integer, got True"),
    ("record-every-zero", ["record_every=0"], r"record_every: 0 is out of range"),
    (
        "arms-assignment",
        ["arms_assignment=alternate"],
        r"arms_assignment: 'alternate' is not allowed",
    ),
    # unknown keys and options
    ("unknown-top-key", ["+nosuchkey=1"], r"nosuchkey: unknown field"),
    ("unknown-top-key-no-plus", ["nosuchkey=1"], r"Could not override 'nosuchkey'"),
    ("unknown-population-key", ["+population.nosuch=1"], r"population\.nosuch: unknown field"),
    ("unknown-platform-key", ["+platform.nosuch=1"], r"platform\.nosuch: unknown field"),
    (
        "unknown-dynamics-key",
        ["+dynamics.trust.nosuch=1"],
        r"dynamics\.trust\.nosuch: unknown field",
    ),
    ("unknown-ranking-key", ["+ranking.nosuch=1"], r"ranking\.nosuch: unknown field"),
    ("unknown-network-key", ["+network.nosuch=1"], r"network\.nosuch: unknown field"),
    ("unknown-output-key", ["+output.nosuch=1"], r"output\.nosuch: unknown field"),
    ("unknown-limits-key", ["+limits.nosuch=1"], r"limits\.nosuch: unknown field"),
    ("unknown-option", ["ranking=nosuch"], r"Could not find 'ranking/nosuch'"),
    ("unknown-experiment", ["experiment=nosuch"], r"Could not find 'experiment/nosuch'"),
    ("override-syntax", ["steps=[1,2"], r"config: no viable alternative"),
    # _target_ anywhere
    ("target-top", ["+_target_=os.system"], r"_target_: refused"),
    ("target-ranking", ["+ranking._target_=os.system"], r"ranking\._target_: refused"),
    ("target-network", ["+network._target_=os.system"], r"network\._target_: refused"),
    (
        "target-population",
        ["+population.opinion._target_=os.system"],
        r"population\.opinion\._target_: refused",
    ),
    ("target-output", ["+output._target_=os.system"], r"output\._target_: refused"),
    ("partial-event", ["+event._partial_=true"], r"event\._partial_: refused"),
    (
        "target-in-arm",
        ["arms=[{name:a,ranking:{name:random,_target_:os.system},share:1.0}]"],
        r"arms\[0\]\.ranking\._target_: refused",
    ),
    # interpolation loops and unresolvable values
    ("loop-self", ["steps=${steps}"], r"steps: Recursive interpolation detected"),
    (
        "loop-pair",
        ["steps=${seed}", "seed=${steps}"],
        r"(steps|seed): Recursive interpolation detected",
    ),
    ("loop-new-key", ["+a=${b}", "+b=${a}"], r"(a|b): Recursive interpolation detected"),
    (
        "missing-env",
        ["seed=${oc.env:FEEDLAB_TEST_NO_SUCH_VARIABLE}"],
        r"seed: .*FEEDLAB_TEST_NO_SUCH_VARIABLE",
    ),
    ("missing-key", ["steps=${nosuch}"], r"steps: .*nosuch"),
    # network (generators)
    ("network-unit", ["network.name=erdos"], r"network\.name: 'erdos' is not a network unit"),
    ("network-n-small", ["network.n=1"], r"network\.n: 1 is out of range"),
    ("network-n-huge", ["network.n=50000000"], r"50,000,000 users exceed limits\.max_users"),
    ("network-homophily", ["network.homophily=1.5"], r"network\.homophily: 1\.5 is out of range"),
    # ranking
    ("ranking-unit", ["ranking.name=nosuch"], r"ranking\.name: 'nosuch' is not a ranking unit"),
    (
        "ranking-weight-negative",
        ["ranking.weights.like=-1"],
        r"ranking\.weights\.like: -1\.0 is out of range",
    ),
    (
        "ranking-weight-text",
        ["ranking.weights.like=lots"],
        r"ranking\.weights\.like: expected a number",
    ),
    (
        "ranking-weight-nan",
        ["ranking.weights.share=nan"],
        r"ranking\.weights\.share: nan is not a finite number",
    ),
    (
        "ranking-pairwise",
        ["dynamics.interaction=pairwise", "ranking=engagement"],
        r"ranking\.name: 'engagement' cannot drive pairwise interaction",
    ),
    # population
    (
        "population-init",
        ["population.opinion.init=bimodal"],
        r"population\.opinion\.init: 'bimodal' is not allowed",
    ),
    (
        "population-activity-negative",
        ["population.activity.mean=-1"],
        r"population\.activity\.mean: -1\.0 is out of range",
    ),
    (
        "population-tolerance-text",
        ["population.tolerance.sd=wide"],
        r"population\.tolerance\.sd: expected a number",
    ),
    (
        "population-not-mapping",
        ["population.tolerance=5"],
        r"population\.tolerance: expected a mapping",
    ),
    (
        "population-max-posts",
        ["population.max_posts=-3"],
        r"population\.max_posts: -3 is out of range",
    ),
    # platform
    ("platform-window-zero", ["platform.window=0"], r"platform\.window: 0 is out of range"),
    (
        "platform-out-of-network",
        ["platform.out_of_network=-1"],
        r"platform\.out_of_network: -1 is out of range",
    ),
    (
        "platform-noise",
        ["platform.prediction_noise=100"],
        r"platform\.prediction_noise: 100\.0 is out of range",
    ),
    (
        "platform-capacity-small",
        ["platform.post_capacity=10"],
        r"platform\.post_capacity: 10 slots cannot hold",
    ),
    (
        "platform-reshow-text",
        ["platform.reshow_seen=sometimes"],
        r"platform\.reshow_seen: expected true or false",
    ),
    (
        "platform-labels",
        ["platform.labels.enabled=1"],
        r"platform\.labels\.enabled: expected true or false",
    ),
    # dynamics
    (
        "dynamics-interaction",
        ["dynamics.interaction=gossip"],
        r"dynamics\.interaction: 'gossip' is not allowed",
    ),
    (
        "dynamics-trust-rule",
        ["dynamics.trust.rule=bayes"],
        r"dynamics\.trust\.rule: 'bayes' is not allowed",
    ),
    (
        "dynamics-follow-prob",
        ["dynamics.follow.unfollow_prob=2"],
        r"dynamics\.follow\.unfollow_prob: 2\.0 is out of range",
    ),
    (
        "dynamics-enabled-text",
        ["dynamics.emotion.enabled=yes"],
        r"dynamics\.emotion\.enabled: expected true or false",
    ),
    (
        "dynamics-reaction-text",
        ["dynamics.reaction.like.intercept=low"],
        r"dynamics\.reaction\.like\.intercept: expected a number",
    ),
    # influencer
    ("influencer-option", ["influencer=nosuch"], r"Could not find 'influencer/nosuch'"),
    (
        "influencer-unit",
        ["influencer.name=nosuch"],
        r"influencer\.name: 'nosuch' is not a influencer unit",
    ),
    (
        "influencer-share",
        ["influencer=sponsored", "influencer.roles.share=2"],
        r"influencer\.roles\.share: 2\.0 is out of range",
    ),
    (
        "influencer-rate",
        ["influencer=sponsored", "influencer.rate=-0.5"],
        r"influencer\.rate: -0\.5 is out of range",
    ),
    (
        "influencer-selection",
        ["influencer=authentic", "influencer.roles.selection=loudest"],
        r"influencer\.roles\.selection: 'loudest' is not allowed",
    ),
    # event
    ("event-unit", ["event.name=nosuch"], r"event\.name: 'nosuch' is not a event unit"),
    (
        "event-severity",
        ["event=transgression", "event.severity=3"],
        r"event\.severity: 3\.0 is out of range",
    ),
    (
        "event-target",
        ["event=transgression", "event.target=everyone"],
        r"event\.target: 'everyone' is not allowed",
    ),
    (
        "event-apology-before",
        ["event=transgression", "event.apology_time=5"],
        r"event\.apology_time",
    ),
    # arms
    ("arms-not-list", ["arms=5"], r"arms: expected a list"),
    (
        "arms-shares",
        [
            "arms=[{name:a,ranking:{name:random},share:0.5},{name:b,ranking:{name:chronological},share:0.2}]"
        ],
        r"arms: shares sum to 0\.7",
    ),
    (
        "arms-duplicate",
        [
            "arms=[{name:a,ranking:{name:random},share:0.5},{name:a,ranking:{name:chronological},share:0.5}]"
        ],
        r"arms: duplicate arm names",
    ),
    (
        "arms-name",
        ["arms=[{name:'a__b',ranking:{name:random},share:1.0}]"],
        r"arms\[0\]\.name: 'a__b' is not allowed",
    ),
    (
        "arms-share-zero",
        ["arms=[{name:a,ranking:{name:random},share:0}]"],
        r"arms\[0\]\.share: 0\.0 is out of range",
    ),
    (
        "arms-ranking-unit",
        ["arms=[{name:a,ranking:{name:nosuch},share:1.0}]"],
        r"arms\[0\]\.ranking\.name: 'nosuch'",
    ),
    ("arms-missing-share", ["arms=[{name:a,ranking:{name:random}}]"], r"arms\[0\]\.share: missing"),
    # output
    ("output-agents", ["output.agents=sometimes"], r"output\.agents: 'sometimes' is not allowed"),
    ("output-progress", ["output.progress=3"], r"output\.progress: expected true or false"),
    ("output-quiet", ["output.quiet=loud"], r"output\.quiet: expected true or false"),
    ("output-mesa", ["output.mesa_agents=null"], r"output\.mesa_agents: expected true or false"),
    # limits
    ("limits-memory", ["limits.memory_gb=-1"], r"limits\.memory_gb: -1\.0 is out of range"),
    ("limits-max-users", ["limits.max_users=0"], r"limits\.max_users: 0 is out of range"),
    ("limits-max-runs", ["limits.max_runs=0"], r"limits\.max_runs: 0 is out of range"),
    (
        "limits-timeout",
        ["limits.run_timeout_s=-5"],
        r"limits\.run_timeout_s: -5\.0 is out of range",
    ),
    (
        "limits-memory-budget",
        ["limits.memory_gb=0.0001"],
        r"network: .* need an estimated .* GiB, more than the budget",
    ),
]

CASES = NETWORK_FILES + CONFIG


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bad_network_files")
    for name, content in FILES.items():
        (folder / name).write_bytes(content)
    os.mkfifo(folder / "pipe.txt")
    return folder


def _not_refused(*args: object, **kwargs: object) -> None:
    raise AssertionError("the config passed validation: the model was about to be built")


def _refused(overrides: list[str], files: Path, out: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        run_experiment(
            [o.replace("{files}", str(files)) for o in overrides] + [f"output.dir={out}"]
        )
    return info.value


@pytest.mark.parametrize(
    ("overrides", "pattern"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_refused_naming_the_field(
    overrides: list[str],
    pattern: str,
    files: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cwd = tmp_path / "cwd"
    out = tmp_path / "out"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.delenv("FEEDLAB_DATA", raising=False)
    monkeypatch.setattr(run_module, "_build", _not_refused)  # fail fast, never simulate
    exc = _refused(overrides, files, out)
    message = str(exc)
    assert re.search(pattern, message), message
    assert "Traceback" not in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd"], "output.dir was created"
    assert list(cwd.iterdir()) == [], "files were left in the working directory"
    assert sorted(p.name for p in files.iterdir()) == sorted([*FILES, "pipe.txt"])


def test_catalogue_is_large_and_covers_every_group() -> None:
    """At least 70 refusals, and every config group has some."""
    assert len(CASES) >= 70
    assert len({c[0] for c in CASES}) == len(CASES)
    text = " ".join(" ".join(c[1]) for c in CASES)
    for group in (
        "network.path",
        "ranking",
        "population",
        "platform",
        "dynamics",
        "influencer",
        "event",
        "arms",
        "output",
        "limits",
        "seed",
        "steps",
        "_target_",
        "${steps}",
    ):
        assert group in text, group


# --------------------------------------------------------------- the real command


CLI_CASES = [
    ("directory", ["network=from_file", "network.path={files}"], "network.path: "),
    (
        "truncated-gzip",
        ["network=from_file", "network.path={files}/truncated.gml.gz"],
        "network.path: ",
    ),
    (
        "huge-id",
        ["network=from_file", "network.path={files}/huge_id.txt", "network.relabel=false"],
        "network.path: ",
    ),
    ("interpolation-loop", ["steps=${steps}"], "full_key: steps"),
]


@pytest.mark.parametrize(
    ("overrides", "field"), [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES]
)
def test_feedlab_run_refuses_with_exit_2(
    overrides: list[str], field: str, files: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    args = [o.replace("{files}", str(files)) for o in overrides]
    env = {k: v for k, v in os.environ.items() if k not in ("FEEDLAB_DATA", "HYDRA_FULL_ERROR")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "feedlab.experiments.cli",
            "run",
            *args,
            f"output.dir={out}",
            "output.quiet=true",
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("feedlab: invalid configuration")
    assert field in proc.stderr
    assert not out.exists()
    assert list(cwd.iterdir()) == []

"""``feedlab explore [overrides]``: watch a model run in the browser and turn its knobs.

A local web app on Mesa's SolaraViz (docs/explore.md). Its model is ``FeedModel`` built
from flat parameters (:mod:`feedlab.experiments.flat`), so SolaraViz's own Reset rebuilds
it from the controls. Panels (each a Solara component of the model):

- controls: ranking policy, network, N, seed and the main dynamics parameters, with the
  ranges of the config schema (:func:`controls`), the attention economy's switches
  (sessions, churn) and the business model (ads with ``ad_funded`` and ``hybrid``);
  step / play / pause / reset (SolaraViz);
- :func:`MetricsPanel`: time series of the headline live metrics, read from the model's
  Mesa DataCollector (time spent, daily active users and revenue when recorded);
- :func:`OpinionPanel`: the opinion distribution by group;
- :func:`NetworkPanel`: a sampled subgraph (a few hundred accounts, :func:`sample_nodes`)
  coloured by opinion and sized by followers; drawing cost does not grow with N;
- :func:`FeedInspectorPanel`: one user's candidates and feed of the last step with the
  policy's scores and the user's reactions (:class:`FeedInspector`);
- :func:`ArmsPanel`: the A/B arms side by side when ``arms`` are configured.

Everything is served from this machine: Solara's front end comes from the
``solara-assets`` package, plots are PNG images drawn here (matplotlib, no JS charting
library), so the app works offline.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from feedlab.experiments.params import iter_fields, presets
from feedlab.experiments.schema import ConfigError
from feedlab.models.extension import Extension
from feedlab.models.model import FeedModel

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from feedlab.models.model import StepContext

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
ENV_OVERRIDES = "FEEDLAB_EXPLORE_OVERRIDES"
"""The app reads its Hydra overrides (a JSON list) from this variable."""

#: (title, metrics drawn when present) of the metrics panel, in order
HEADLINE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("polarisation", ("opinion_variance", "group_mean_distance")),
    ("affective gap", ("affective_gap",)),
    ("high-outrage share of feeds", ("outrage_share_impressions",)),
    ("trust", ("mean_platform_trust", "mean_edge_trust")),
    ("engagement per user", ("engagement_per_user",)),
    ("value per item read", ("mean_value",)),
    ("time spent", ("time_spent_mean", "time_well_spent")),  # with dynamics.session / churn
    ("daily active users", ("dau",)),  # with dynamics.churn
    # with a business model (the selector; docs/attention.md §Business models)
    ("revenue per user and step", ("revenue_per_user",)),
    ("cumulative revenue", ("cumulative_revenue",)),
)
#: per-arm metrics of the arms panel (columns ``<metric>__<arm>``)
ARM_METRICS = ("opinion_variance", "engagement_per_user", "mean_value", "outrage_share_impressions")
#: dynamics and platform parameters offered as sliders (ranges from the schema)
SLIDERS = (
    "dynamics.emotion.gain",
    "dynamics.opinion.backfire_rate",
    "dynamics.trust.alpha_down",
    "dynamics.follow.unfollow_prob",
    "dynamics.stance_noise",
    "platform.prediction_noise",
)
CHECKBOXES = ("dynamics.affect.enabled", "dynamics.session.enabled", "dynamics.churn.enabled")
#: the business-model selector (control ``business_model``): each option -> whether it
#: sells ads (then the app adds ``ads=feed_ads``; docs/attention.md §Business models)
BUSINESS_MODELS: dict[str, bool] = {
    "none": False,
    "ad_funded": True,
    "subscription": False,
    "hybrid": True,
}
#: Solara server settings of the app: no telemetry, and a front-end asset missing from
#: the ``solara-assets`` package fails at once (a refused local address) instead of being
#: fetched from the CDN, so the app never touches the network (docs/explore.md)
OFFLINE_ENV = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
    "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/no-cdn/",
    "PYTHONWARNINGS": "ignore:Cookies with samesite",  # harmless on a local address
}
SAMPLE_SIZE = 300
MAX_N = 100_000


# ------------------------------------------------------------------ controls
def _schema_field(path: str) -> tuple[Any, dataclasses.Field]:
    """(type, field) of a dotted config path in the run schema."""
    from feedlab.experiments.config import RunConfig

    for p, f, tp, leaf in iter_fields(RunConfig):
        if p == path and leaf:
            return tp, f
    raise KeyError(path)


def _lookup(data: Mapping[str, Any], path: str) -> Any:
    cur: Any = data
    for part in path.split("."):
        cur = cur[part]
    return cur


def _choice(overrides: Sequence[str], group: str, cfg: Mapping[str, Any]) -> str:
    """The preset chosen for a config group: from the overrides; else the preset the
    composed config came from (an experiment may choose it: the preset of that unit whose
    values the config has, or the unit's own file); else conf/config.yaml's default.
    """
    for o in overrides:
        key, _, value = o.partition("=")
        if key.lstrip("+~") == group:
            return value
    node = cfg.get(group) or {}
    same_unit = {k: v for k, v in presets(group).items() if v.get("name") == node.get("name")}
    for name, values in same_unit.items():
        if all(node.get(k) == v for k, v in values.items()):
            return name
    if node.get("name") in same_unit:
        return str(node["name"])
    defaults = yaml.safe_load((CONF_DIR / "config.yaml").read_text())["defaults"]
    return next(str(d[group]) for d in defaults if isinstance(d, dict) and group in d)


def controls(cfg: Mapping[str, Any], overrides: Sequence[str] = ()) -> dict[str, Any]:
    """SolaraViz ``model_params``: the inputs (name = FeedModel's flat parameter; dotted
    config paths spelt with ``__``) with the composed config's values and the schema's
    ranges, and the remaining overrides as a fixed parameter.
    """
    generated = [k for k, v in presets("network").items() if "n" in v]
    out: dict[str, Any] = {
        "ranking": {
            "type": "Select",
            "label": "ranking",
            "value": _choice(overrides, "ranking", cfg),
            "values": sorted(presets("ranking")),
        },
        "network": {
            "type": "Select",
            "label": "network",
            "value": _choice(overrides, "network", cfg),
            "values": generated,
        },
        "n": {
            "type": "SliderInt",
            "label": "N (users)",
            "value": int(cfg["network"]["n"]),
            "min": 100,
            "max": MAX_N,
            "step": 100,
        },
        "seed": {
            "type": "SliderInt",
            "label": "seed",
            "value": int(cfg["seed"]),
            "min": 0,
            "max": 99,
        },
    }
    for path in SLIDERS:
        _, f = _schema_field(path)
        lo = f.metadata.get("ge", f.metadata.get("gt", 0.0))
        value = float(_lookup(cfg, path))
        hi = f.metadata.get("le", f.metadata.get("lt")) or max(1.0, 4 * value)
        hi = min(float(hi), max(1.0, 4 * value))  # a useful span of wide schema ranges
        out[path.replace(".", "__")] = {
            "type": "SliderFloat",
            "label": path,
            "value": value,
            "min": float(lo),
            "max": hi,
            "step": round((hi - float(lo)) / 100, 6),
        }
    for path in CHECKBOXES:
        out[path.replace(".", "__")] = {
            "type": "Checkbox",
            "label": path,
            "value": bool(_lookup(cfg, path)),
        }
    model = str(cfg.get("platform", {}).get("business_model", "none"))
    out["business_model"] = {
        "type": "Select",
        "label": "business model (ads: feed_ads)",
        "value": model if model in BUSINESS_MODELS else "none",
        "values": list(BUSINESS_MODELS),
    }
    owned = {
        "ranking",
        "network",
        "network.n",
        "seed",
        "ads",
        "platform.business_model",
        *SLIDERS,
        *CHECKBOXES,
    }
    out["overrides"] = [o for o in overrides if o.partition("=")[0].lstrip("+~") not in owned]
    return out


def business_model_overrides(model: str, overrides: Sequence[str]) -> list[str]:
    """The Hydra overrides of a business-model choice around the fixed ``overrides``: a
    model that sells ads gets ``ads=feed_ads`` first (a group before the values set under
    it); one that does not drops any ``ads.*`` values (there is no ads node to set).
    """
    if model not in BUSINESS_MODELS:
        raise ConfigError([f"business_model: {model!r} is not one of {', '.join(BUSINESS_MODELS)}"])
    if BUSINESS_MODELS[model]:
        head, rest = ["ads=feed_ads"], list(overrides)
    else:
        head, rest = [], [o for o in overrides if not o.lstrip("+~").startswith("ads.")]
    return [*head, *rest, f"platform.business_model={model}"]


def initial_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The model's keyword arguments from the controls' current values."""
    return {k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items()}


# ------------------------------------------------------------------ feed inspector
class FeedInspector(Extension):
    """Keeps one user's candidates and feed of the last step (``on_feed``): the pairs, the
    policy's score of each candidate, the feed rank and the user's reactions. It reads the
    step and draws nothing from the model's streams (a policy that needs randomness to
    score gets a private generator), so it never changes a run.
    """

    def __init__(self, user: int = 0):
        self.user = user
        self.rows: list[dict[str, Any]] = []
        self.step = -1
        self.n_candidates = 0
        self.n_feed = 0

    def on_feed(self, model: FeedModel, t: int, ctx: StepContext) -> None:
        """Record the inspected user's candidates and feed."""
        u = int(self.user) % model.n
        cand = ctx.cand
        mask = cand.viewers == u
        self.step, self.rows, self.n_candidates, self.n_feed = t + 1, [], 0, 0
        if not mask.any():
            return
        sub, idx = cand.subset(mask)
        arm = int(model.users.arm[u]) if len(model.policies) > 1 else 0
        policy = model.policies[arm]
        score_of = getattr(policy, "score", None)
        scores = (
            np.asarray(score_of(sub, np.random.default_rng(0)), dtype=float)
            if score_of is not None
            else np.full(sub.size, np.nan)
        )
        in_feed = np.flatnonzero(ctx.feed.viewer == u)
        rank = dict(zip(ctx.feed.pair[in_feed].tolist(), ctx.feed.rank[in_feed].tolist()))
        react = dict(zip(ctx.feed.pair[in_feed].tolist(), ctx.reactions[in_feed].tolist()))
        for j in range(sub.size):
            pair = int(idx[j])
            r = react.get(pair, [False] * 4)
            self.rows.append(
                {
                    "post": int(sub.post_id[j]),
                    "author": int(sub.origin_author[j]),
                    "stance": float(sub.stance[j]),
                    "outrage": float(sub.outrage[j]),
                    "quality": float(sub.quality[j]),
                    "trust": float(sub.trust[j]),
                    "score": float(scores[j]),
                    "rank": rank.get(pair),
                    "reactions": "".join(c for c, on in zip("LCSN", r) if on),
                }
            )
        self.n_candidates, self.n_feed = sub.size, len(rank)


class ExploreModel(FeedModel):
    """The explorer's model: FeedModel from flat parameters with a :class:`FeedInspector`
    (``model.inspector``). A subclass, so that SolaraViz's Reset (which calls the model's
    class with the controls' values) rebuilds it with its inspector.
    """

    def __init__(self, **params: Any):
        inspector = FeedInspector()
        if "business_model" in params:  # the selector: a group and a value, as overrides
            model = str(params.pop("business_model"))
            params["overrides"] = business_model_overrides(model, params.get("overrides") or [])
        super().__init__(extensions=[inspector], **params)
        self.inspector = inspector


# ------------------------------------------------------------------ drawing
def _figure(w: float, h: float, **adjust: float) -> Figure:
    """A figure with fixed margins: matplotlib's automatic layouts cost more than the
    drawing itself (the redraw budget is 1 s at N = 10⁴ with the step).
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), dpi=80)
    fig.subplots_adjust(**{"left": 0.08, "right": 0.97, "top": 0.9, "bottom": 0.1, **adjust})
    return fig


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes (what the app shows)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def metrics_figure(model: FeedModel) -> Figure:
    """Time series of the headline metrics present in the model's DataCollector."""
    dc = model.datacollector
    series = dc.model_vars if dc is not None else {}
    steps = np.asarray(dc._collection_steps if dc is not None else [], dtype=float)
    panels = [(t, [m for m in ms if m in series]) for t, ms in HEADLINE]
    panels = [(t, ms) for t, ms in panels if ms]
    cols = 3
    rows = max(1, -(-len(panels) // cols))
    fig = _figure(7.5, max(3.5, 1.17 * rows), hspace=0.55, wspace=0.3, top=0.93, bottom=0.08)
    mark = "o" if steps.size < 3 else None  # a visible point before the first steps
    for i, (title, names) in enumerate(panels):
        ax = fig.add_subplot(rows, cols, i + 1)
        for name in names:
            ax.plot(steps, np.asarray(series[name], dtype=float), label=name, lw=1.4, marker=mark)
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=7)
        if len(names) > 1:
            ax.legend(fontsize=6, frameon=False)
    return fig


def opinion_figure(model: FeedModel) -> Figure:
    """Histogram of opinions per group."""
    fig = _figure(4.2, 3.0, left=0.14, bottom=0.16)
    ax = fig.add_subplot(1, 1, 1)
    x, g = model.users.opinion, model.users.group
    bins = np.linspace(-1, 1, 41).tolist()
    for k in range(model.n_groups):
        ax.hist(x[g == k], bins=bins, histtype="stepfilled", alpha=0.5, label=f"group {k}")
    ax.set_xlabel("opinion", fontsize=8)
    ax.set_ylabel("users", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, frameon=False)
    ax.set_title(f"opinions by group, step {model.t}", fontsize=9)
    return fig


def sample_nodes(model: FeedModel, size: int = SAMPLE_SIZE) -> np.ndarray:
    """A fixed snowball sample of about ``size`` accounts (random seeds and the accounts
    they follow), from a private generator: the same nodes at every redraw, and the cost
    of drawing does not grow with N.
    """
    g, n = model.graph, model.n
    if n <= size:
        return np.arange(n)
    rng = np.random.default_rng(model.seed)
    chosen: list[int] = []
    seen: set[int] = set()
    per_seed = 12
    while len(chosen) < size:
        s = int(rng.integers(n))
        nbrs = g.indices[g.indptr[s] : g.indptr[s + 1]]
        take = rng.permutation(nbrs)[:per_seed].tolist()
        for v in [s, *take]:
            if v not in seen and len(chosen) < size:
                seen.add(v)
                chosen.append(int(v))
    return np.array(sorted(chosen))


def _subgraph_edges(model: FeedModel, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Current follow edges among ``nodes`` as positions into ``nodes``."""
    g = model.graph
    counts = g.indptr[nodes + 1] - g.indptr[nodes]
    src = np.repeat(np.arange(nodes.size), counts)
    dst = np.concatenate([g.indices[g.indptr[v] : g.indptr[v + 1]] for v in nodes])
    pos = np.searchsorted(nodes, dst)
    pos = np.minimum(pos, nodes.size - 1)
    keep = nodes[pos] == dst
    return src[keep], pos[keep]


def _layout(model: FeedModel, nodes: np.ndarray) -> np.ndarray:
    """Spring layout of the sampled subgraph at set-up (kept, so nodes do not jump)."""
    import networkx as nx

    src, dst = _subgraph_edges(model, nodes)
    h = nx.Graph()
    h.add_nodes_from(range(nodes.size))
    h.add_edges_from(zip(src.tolist(), dst.tolist()))
    pos = nx.spring_layout(h, seed=0, iterations=40)
    return np.array([pos[i] for i in range(nodes.size)])


def network_figure(model: FeedModel) -> Figure:
    """The sampled subgraph: colour = opinion, size = followers (in-degree)."""
    from matplotlib.collections import LineCollection

    cache = model.__dict__.setdefault("_explore_sample", {})
    if "nodes" not in cache:
        cache["nodes"] = sample_nodes(model)
        cache["xy"] = _layout(model, cache["nodes"])
    nodes, xy = cache["nodes"], cache["xy"]
    src, dst = _subgraph_edges(model, nodes)
    fig = _figure(4.2, 3.6, left=0.02, right=0.88, top=0.92, bottom=0.02)
    ax = fig.add_subplot(1, 1, 1)
    ax.add_collection(
        LineCollection(list(np.stack([xy[src], xy[dst]], axis=1)), colors="0.75", linewidths=0.4)
    )
    followers = model.graph.in_degree()[nodes]
    sc = ax.scatter(
        xy[:, 0],
        xy[:, 1],
        c=model.users.opinion[nodes],
        s=6 + 40 * np.sqrt(followers / max(1, followers.max())),
        cmap="coolwarm",
        vmin=-1,
        vmax=1,
        linewidths=0,
    )
    fig.colorbar(sc, ax=ax, shrink=0.7, label="opinion")
    ax.set_axis_off()
    ax.set_title(f"{nodes.size} of {model.n} accounts (size = followers)", fontsize=9)
    return fig


def arms_figure(model: FeedModel) -> Figure:
    """Per-arm time series of :data:`ARM_METRICS`, one line per arm."""
    dc = model.datacollector
    series = dc.model_vars if dc is not None else {}
    steps = np.asarray(dc._collection_steps if dc is not None else [], dtype=float)
    fig = _figure(7.5, 2.6, wspace=0.35, bottom=0.12, top=0.88)
    mark = "o" if steps.size < 3 else None
    for i, metric in enumerate(ARM_METRICS):
        ax = fig.add_subplot(1, len(ARM_METRICS), i + 1)
        for arm in model.arm_names:
            name = f"{metric}__{arm}"
            if name in series:
                ax.plot(
                    steps, np.asarray(series[name], dtype=float), label=arm, lw=1.4, marker=mark
                )
        ax.set_title(metric, fontsize=8)
        ax.tick_params(labelsize=7)
        if i == 0 and ax.get_lines():
            ax.legend(fontsize=7, frameon=False)
    return fig


def inspector_html(model: FeedModel, top: int = 10) -> str:
    """The feed inspector's table (HTML): the user's feed in rank order, then the other
    candidates by score.

    HTML, not Markdown: Solara's Markdown loads KaTeX, which ``solara-assets`` does not
    bundle.
    """
    ins: FeedInspector | None = getattr(model, "inspector", None)
    if ins is None or ins.step < 0:
        return "<p>Step the model to see a user's candidates and feed.</p>"
    u = int(ins.user) % model.n
    head = (
        f"<p class='feedlab-feed-head'><b>user {u}</b> (group {int(model.users.group[u])}, "
        f"opinion {model.users.opinion[u]:+.2f}), step {ins.step}: {ins.n_feed} items in "
        f"feed of {ins.n_candidates} candidates; reactions L like, C comment, S share, "
        "N negative feedback</p>"
    )
    if not ins.rows:
        return head + "<p>No candidates for this user in the last step.</p>"
    rows = sorted(ins.rows, key=lambda r: (r["rank"] is None, r["rank"] or 0, -r["score"]))
    cols = (
        "in feed",
        "post",
        "author",
        "stance",
        "outrage",
        "quality",
        "trust",
        "score",
        "reactions",
    )
    cells = "".join(f"<th style='padding:0 6px'>{c}</th>" for c in cols)
    lines = [head, "<table class='feedlab-feed' style='font-size:12px'>", f"<tr>{cells}</tr>"]
    for r in rows[:top]:
        values = (
            "-" if r["rank"] is None else str(r["rank"] + 1),
            str(r["post"]),
            str(r["author"]),
            f"{r['stance']:+.2f}",
            f"{r['outrage']:.2f}",
            f"{r['quality']:.2f}",
            f"{r['trust']:.2f}",
            f"{r['score']:.3g}",
            r["reactions"] or "-",
        )
        style = " style='font-weight:bold'" if r["rank"] is not None else ""
        row = "".join(f"<td style='padding:0 6px'>{v}</td>" for v in values)
        lines.append(f"<tr{style}>{row}</tr>")
    lines.append("</table>")
    if len(rows) > top:
        lines.append(f"<p>… and {len(rows) - top} more candidates</p>")
    return "".join(lines)


def describe(model: FeedModel) -> str:
    """One line naming the model's policy, network, size, seed and step."""
    cfg = getattr(model, "config", {})
    ranking = (cfg.get("ranking") or {}).get("name", "?")
    network = (cfg.get("network") or {}).get("name", "?")
    arms = f", arms {'/'.join(model.arm_names)}" if len(model.policies) > 1 else ""
    return (
        f"ranking: {ranking} · network: {network} · N = {model.n} · seed {model.seed} · "
        f"step {model.t}{arms}"
    )


def describe_parameters(model: FeedModel) -> str:
    """The slider and checkbox parameters the model was built with (the sliders show their
    value only while dragged).
    """
    cfg = getattr(model, "config", {})
    parts = []
    for path in (*SLIDERS, *CHECKBOXES, "platform.business_model"):
        try:
            value = _lookup(cfg, path)
        except (KeyError, TypeError):
            continue
        name = path.rsplit(".", 2)[-2] if path.endswith(".enabled") else path.rsplit(".", 1)[1]
        plain = isinstance(value, (bool, str))
        parts.append(f"{name} {value}" if plain else f"{name} {value:g}")
    return "built with " + " · ".join(parts)


# ------------------------------------------------------------------ the app
def overrides_from_env() -> list[str]:
    """The app's Hydra overrides (``feedlab explore`` passes them in the environment)."""
    return list(json.loads(os.environ.get(ENV_OVERRIDES, "[]")))


def check(overrides: Sequence[str]) -> dict[str, Any]:
    """Compose and validate the overrides (bad input: ConfigError before any work)."""
    from feedlab.experiments.config import validate
    from feedlab.experiments.run import compose

    cfg = compose(list(overrides))
    validate(cfg)
    if "n" not in cfg["network"]:
        raise ConfigError(
            [
                f"network: {cfg['network'].get('name')!r} has a fixed size; feedlab explore "
                "needs a generated network (its N is a control)"
            ]
        )
    return cfg


def page(overrides: Sequence[str]) -> Any:
    """The SolaraViz page for these overrides (the app module shows it)."""
    import solara
    from mesa.visualization import SolaraViz
    from mesa.visualization.utils import update_counter

    cfg = check(overrides)
    params = controls(cfg, overrides)
    model = ExploreModel(**initial_params(params))

    @solara.component
    def Plot(draw: Callable[[FeedModel], Figure], model: FeedModel, t: int) -> None:
        # drawn once per model and step (t is a prop so that a step re-renders it), not on
        # every render (e.g. another inspected user)
        solara.Image(solara.use_memo(lambda: png(draw(model)), [draw, model, t]))

    @solara.component
    def MetricsPanel(model: FeedModel) -> None:
        update_counter.get()
        with solara.Card("Metrics"):
            solara.HTML(
                tag="div",
                unsafe_innerHTML=f"{describe(model)}<br><span style='font-size:11px'>"
                f"{describe_parameters(model)}</span>",
                classes=["feedlab-status"],
            )
            Plot(metrics_figure, model, model.t)

    @solara.component
    def OpinionPanel(model: FeedModel) -> None:
        update_counter.get()
        with solara.Card("Opinion distribution by group"):
            Plot(opinion_figure, model, model.t)

    @solara.component
    def NetworkPanel(model: FeedModel) -> None:
        update_counter.get()
        with solara.Card("Network (sampled subgraph)"):
            Plot(network_figure, model, model.t)

    @solara.component
    def FeedInspectorPanel(model: FeedModel) -> None:
        update_counter.get()
        user, set_user = solara.use_state(0)

        def choose(value: int | None) -> None:
            set_user(int(value or 0))
            model.inspector.user = int(value or 0)  # type: ignore[attr-defined]

        with solara.Card("Feed inspector"):
            solara.InputInt("user (takes effect at the next step)", value=user, on_value=choose)
            solara.HTML(tag="div", unsafe_innerHTML=inspector_html(model))

    @solara.component
    def ArmsPanel(model: FeedModel) -> None:
        update_counter.get()
        with solara.Card("A/B arms"):
            if len(model.policies) > 1:
                Plot(arms_figure, model, model.t)
            else:
                solara.Text(
                    "No arms configured: try feedlab explore experiment=feed_ab_test "
                    "(arms: [...] in the config)."
                )

    components = [MetricsPanel, OpinionPanel, NetworkPanel, FeedInspectorPanel, ArmsPanel]
    return SolaraViz(
        model,
        components=components,  # type: ignore[arg-type]
        model_params=params,
        name="feedlab explore",
        play_interval=50,
    )


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def main(argv: Sequence[str] | None = None) -> int:
    """``feedlab explore [--host H] [--port P] [overrides]``: check the overrides, then
    serve the app (Solara's server) until interrupted; exit code 2 for bad input.
    """
    import argparse

    ap = argparse.ArgumentParser(
        prog="feedlab explore",
        description="Explore a model in the browser (Mesa SolaraViz; docs/explore.md).",
    )
    ap.add_argument("--host", default="127.0.0.1", help="address to serve on (default: local)")
    ap.add_argument("--port", type=int, default=8765, help="port (0 = a free one)")
    ap.add_argument("overrides", nargs="*", help="Hydra overrides, as for feedlab run")
    args = ap.parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        check(args.overrides)
    except ConfigError as exc:
        print(f"feedlab explore: {exc}", file=sys.stderr)
        return 2
    port = args.port or _free_port(args.host)
    env = {**os.environ, **OFFLINE_ENV, ENV_OVERRIDES: json.dumps(args.overrides)}
    print(f"feedlab explore: serving on http://{args.host}:{port}/ (Ctrl-C to stop)")
    cmd = [
        sys.executable,
        "-m",
        "solara",
        "run",
        "feedlab.experiments.explore_app",
        "--host",
        args.host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",  # no PyPI query at start-up
        "--log-level",
        "warning",
    ]
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 0

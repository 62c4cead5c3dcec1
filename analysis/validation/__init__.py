"""``feedlab validate``: feedlab checked against the literature (docs/validation.md).

    feedlab validate                  # fast subset: DW complete graph, consensus, Watts,
                                      # fact 1 (about a minute on 2 cores)
    feedlab validate --full           # every check (≈ 3 min on 2 idle cores, ≈ 5 CPU-min)
    feedlab validate --only dw_complete,fact_outrage_amplification
    feedlab validate --list           # the checks, their tier and status
    feedlab validate --full --out docs/validation_results.md --figures docs/figures
    feedlab validate --full --powered # facts decided on 20-60 test seeds (sequential)
    feedlab validate --targets        # field targets: measured vs expected

Two kinds of check, one entry each in :data:`CHECKS`:

* **canonical reductions** — with its mechanisms switched off, feedlab *is* a
  published model: Deffuant–Weisbuch bounded confidence on complete and sparse graphs,
  Fortunato's consensus threshold, Sîrbu et al.'s algorithmic bias, Watts' threshold
  cascades. They reproduce published results and **must pass**.
* **stylized facts** — claims about the default model, tested, not asserted.
  A fact the model does not show is a finding: it is reported as ``FAIL-reported`` with
  the numbers measured and the reason, and documented in ``docs/validation.md``; the test
  and the model are never tuned to make it pass. Facts are decided by :mod:`.protocol`:
  the CI of the mean paired effect settles the criterion (PASS), settles it against
  (FAIL-reported) or does not (INCONCLUSIVE), each with its minimum detectable effect.

Every check fixes its seeds, states what it expects before it runs and returns what it
measured. Its tolerance is chosen from the spread of replicates (the comment above its
constants says how), and ``tests/analysis/test_canonical.py`` / ``tests/analysis/test_validation.py``
plant a bug for each check (a wrong sign, a mis-indexed rule, a mislabelled metric) and
assert that the check then reports failure (a fact that fails in the correct model, fact 5,
gets the opposite test: the effect it claims is planted, and the check must pass).

Exit status
-----------
``0`` if and only if every canonical reduction that ran passed and no check raised an
error; ``1`` otherwise. A stylized fact that fails is reported (``FAIL-reported``) and
changes the exit status only with ``--strict``. A check that is not yet implemented (it
needs a unit or a metric that does not exist yet) is listed with that status, never as
passing, and does not change the exit status. ``2``: usage error.

Runs
----
Canonical reductions build models with :func:`feedlab.experiments.build` from their experiment
configs (``conf/experiment/dw_*.yaml``, ``algorithmic_bias_sweep.yaml``) and step them
until the opinions freeze (:func:`frozen`). Stylized facts go through
:func:`feedlab.experiments.run_experiment` into ``<cache>/<code fingerprint>/`` (default
``validation/.runs``): re-running reuses the complete runs of the *same code and
configs*, and any change to the model's source or configs starts a fresh cache (the run
key hashes the config only). The Watts check calls the threshold-cascade kernel of
:mod:`feedlab.models.events.threshold` (its feed-model equivalence is ``tests/models/test_watts.py``).
Layout
------
``registry`` (statuses, :class:`Check`, :class:`Outcome`, :class:`Result`, :data:`CHECKS`),
``runner`` (the run cache and its code fingerprint, :class:`Context`, :func:`run_check`),
``report`` (terminal table, Markdown, JSON), ``cli`` (``feedlab validate``), ``plotting``
(figure helpers), and one module per check or family of checks, each holding its
constants (with how its tolerances were chosen), measurement, figure and registration:
``deffuant``, ``algorithmic_bias``, ``watts`` (canonical reductions); ``facts_common``
(seeds, paired tests), ``fact_ranking`` (facts 1, 2, 2b), ``fact_negfb`` (3),
``fact_value`` (4), ``fact_engagement_rate`` (5), ``fact_sponsorship`` (6),
``fact_cascades`` (7), ``fact_echo`` (8); ``protocol`` (the decision rule: paired
t-intervals, MDE, verdicts, the sequential design of ``--powered``), ``seeds``
(exploration and test seeds, declared once), ``targets_report`` (``--targets``). Importing the package registers every check, in
the order of the table. A check's constants live in its module: a test that shrinks a
check patches that module (``monkeypatch.setattr(deffuant, "DW_N", 200)``); reading
them through the package (``validation.DW_N``) gives the module's current value.

Adding a check
--------------
Write ``def my_check(ctx: Context) -> Outcome`` in a module of this package and
``register(Check(name=..., kind=..., title=..., expected=..., source=..., run=my_check))``
below it, and import the module in ``__init__.py``. A check returns :class:`Outcome`
(passed, one line of measured numbers, the reason when it fails, and the numbers as a
dict for the JSON); :func:`run_checks` turns it into a :class:`Result`.
"""

from __future__ import annotations

import importlib
from typing import Any

# The check modules, in registration order (the order of --list and of the report). They
# import NumPy and the standard library only; feedlab's model, Hydra, SciPy and
# matplotlib are imported inside the functions that need them, so `feedlab validate
# --list` stays fast.
# isort: off
from . import deffuant, algorithmic_bias, watts  # canonical reductions
from . import fact_ranking, fact_negfb, fact_value, fact_engagement_rate  # facts 1-5
from . import fact_sponsorship, fact_cascades, fact_echo  # facts 6-8

# isort: on
from .cli import EPILOG, main
from .deffuant import dw_law, freeze_task, frozen, pairwise_config, step_until_frozen
from .facts_common import policies_available
from .protocol import POWERED, Criterion, Decision, Design
from .registry import (
    CHECKS,
    ERROR,
    FAIL,
    INCONCLUSIVE,
    PASS,
    PENDING,
    REPORTED,
    Check,
    Kind,
    NotAvailable,
    Outcome,
    Result,
    Tier,
    register,
)
from .report import format_table, to_markdown
from .runner import (
    CONF,
    ROOT,
    Context,
    code_fingerprint,
    exit_status,
    powered_run,
    run_check,
    run_checks,
    run_task,
    select,
)
from .watts import watts_task

__all__ = [
    "CHECKS",
    "CONF",
    "EPILOG",
    "ERROR",
    "FAIL",
    "INCONCLUSIVE",
    "PASS",
    "PENDING",
    "POWERED",
    "REPORTED",
    "ROOT",
    "Check",
    "Context",
    "Criterion",
    "Decision",
    "Design",
    "Kind",
    "NotAvailable",
    "Outcome",
    "Result",
    "Tier",
    "algorithmic_bias",
    "code_fingerprint",
    "deffuant",
    "dw_law",
    "exit_status",
    "fact_cascades",
    "fact_echo",
    "fact_engagement_rate",
    "fact_negfb",
    "fact_ranking",
    "fact_sponsorship",
    "fact_value",
    "format_table",
    "freeze_task",
    "frozen",
    "main",
    "pairwise_config",
    "policies_available",
    "powered_run",
    "register",
    "run_check",
    "run_checks",
    "run_task",
    "select",
    "step_until_frozen",
    "to_markdown",
    "watts",
    "watts_task",
]

_HOMES = (
    "deffuant",
    "algorithmic_bias",
    "watts",
    "facts_common",
    "fact_ranking",
    "fact_negfb",
    "fact_value",
    "fact_engagement_rate",
    "fact_sponsorship",
    "fact_cascades",
    "fact_echo",
    "seeds",
    "plotting",
    "report",
)


def __getattr__(name: str) -> Any:
    """A check's constants and helpers (``DW_EPS``, ``FACT6_SEEDS``, ``check_*``, ...) read
    through the package: the current value in the module that owns it.
    """
    for home in _HOMES:
        module = importlib.import_module(f"{__name__}.{home}")
        if name in vars(module):
            return vars(module)[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

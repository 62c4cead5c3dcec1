"""Names vulture reports as unused that are used (`.ci/run` runs vulture with this list).

Everything else vulture finds at 60 % confidence is dead and removed; a name here is used
in a way static analysis cannot see, or is public API for notebooks and tests (the last
group). Regenerate the candidates with `vulture ... --make-whitelist` and sort them here.
"""

# ruff: noqa

# Registered units: built by name from configs through the registries (never referenced by name in code)
Authentic  # unused class (agents/behaviours/authentic.py:19)
NoInfluencers  # unused class (agents/behaviours/base.py:22)
EngagementFarming  # unused class (agents/behaviours/engagement_farming.py:61)
Mixture  # unused class (agents/behaviours/mixture.py:40)
NoEvent  # unused class (models/events/base.py:21)
BarabasiAlbert  # unused class (models/network.py:331)
WattsStrogatz  # unused class (models/network.py:364)
StochasticBlock  # unused class (models/network.py:401)
HolmeKim  # unused class (models/network.py:504)
FollowerGraph  # unused class (models/network.py:541)
Complete  # unused class (models/network.py:633)
FromFile  # unused class (models/network.py:762)
AlgorithmicBiasRanking  # unused class (models/ranking/algorithmic_bias.py:22)
BridgingRanking  # unused class (models/ranking/bridging.py:59)
ChronologicalRanking  # unused class (models/ranking/chronological.py:13)
DiversityRanking  # unused class (models/ranking/diversity.py:219)
EngagementRanking  # unused class (models/ranking/engagement.py:34)
EngagementNegFeedbackRanking  # unused class (models/ranking/engagement_negfb.py:55)
QualityRanking  # unused class (models/ranking/quality.py:50)
RandomRanking  # unused class (models/ranking/random_order.py:13)
RevenueRanking  # unused class (models/ranking/revenue.py:40)
NoAds  # unused class (models/economy/ads.py:58)

# Lazy module exports (PEP 562 __getattr__)
__getattr__  # unused function (__init__.py:74)
__getattr__  # unused function (analysis/validation/__init__.py:180)
__getattr__  # unused function (experiments/__init__.py:11)
__getattr__  # unused function (models/__init__.py:18)

# Entry points and app modules found by name (pyproject entry points, Solara's server)
from_params  # unused function (experiments/flat.py: entry point feedlab.flat_builder)

# Hydra callback hooks, called by Hydra
_.on_multirun_start  # unused method (experiments/callback.py:171)
_.on_multirun_end  # unused method (experiments/callback.py:243)

# Python's random.Random interface, used by networkx/ndlib through duck typing
_.randint  # unused method (benchmarks/peers/_graph.py:77)
_.gauss  # unused method (benchmarks/peers/_graph.py:80)
_.getrandbits  # unused method (benchmarks/peers/_graph.py:83)
_.getrandbits  # unused method (models/network.py:228)
_.randint  # unused method (models/network.py:235)
_.gauss  # unused method (models/network.py:238)

# Library settings assigned for their side effect (numba cache dir, tqdm monitor, ndlib model state)
_.initial_status  # unused attribute (benchmarks/peers/ndlib_models.py:121)
_.monitor_interval  # unused attribute (experiments/isolate.py:546)
_.CACHE_DIR  # unused attribute (models/kernels.py:46)

# Availability probes: the import itself is the check
ndlib  # unused import (benchmarks/machine.py:102)
feedlab  # unused import (benchmarks/workloads/scaling.py:151)

# Schema fields and record fields read by name (dataclass fields parsed from configs and target files; the run-file list)
volume  # unused variable (analysis/targets/library.py:79)
pages  # unused variable (analysis/targets/library.py:80)
country  # unused variable (analysis/targets/library.py:99)
n_unit  # unused variable (analysis/targets/library.py:102)
treated_share  # unused variable (analysis/targets/library.py:104)
run_memory_gb  # unused variable (experiments/config.py:45)
run_timeout_s  # unused variable (experiments/config.py:48)
DATA_FILES  # unused variable (experiments/record.py:45)

# Field-target measurements, registered by target id (@register_measurement)
tiktok_slope
guess_engagement
guess_uncivil
guess_time_spent
bakshy_pooled
milli_anger
milli_animosity
milli_feeling
milli_partisanship
guess_polarisation
piccardi_downrank
piccardi_uprank
piccardi_engagement
guess_political
guess_untrustworthy
bakshy_liberals
bakshy_conservatives
huszar_right_vs_left
huszar_political  # @register_informative
brady_outrage_per_sd  # @register_informative
rathje_animosity_per_sd  # @register_informative
# the per-word measurement of Brady 2017 / Rathje 2021, registered once the papers'
# words-per-post distribution is read (analysis/targets/measure_sharing.py); tested
per_word_rate_ratio

# Declared seed sets: the exploration seeds are never run by the tests of record
EXPLORATION_SEEDS

# Fields of result named tuples (OutrageSplit), read by the caller
share_impressions  # unused variable (analysis/metrics/engagement.py)
share_posts  # unused variable (analysis/metrics/engagement.py)
amplification  # unused variable (analysis/metrics/engagement.py)

# Public API for notebooks and tests (documented in docs/): metric helpers, views, readers
logits  # unused function (agents/rules/reaction.py:63)
_.following  # unused property (agents/user.py:52)
long_format  # unused function (analysis/arms.py:156)
survival_curve  # unused function (analysis/metrics/attention.py; docs/attention.md)
VARIANCE  # unused variable (analysis/figures/base.py:247)
disclosure_table  # unused function (analysis/influencers.py:84)
_.parent_user  # unused property (analysis/metrics/cascade_tree.py:63)
query  # unused function (analysis/query.py:118)
_.differences  # unused property (analysis/stats.py:100)
_.contains  # unused method (analysis/targets/library.py:140)
all_params  # unused function (experiments/params.py:306)
_.predicted  # unused method (models/feed.py:149)
regularised_loss  # unused function (models/ranking/bridging_mf.py:322)
_.intercept_of  # unused method (models/ranking/bridging_mf.py:584)

# Reference rules: the plain statement of a rule that a fused kernel of the step reproduces
# bit for bit (tests/models/test_step_kernels.py and tests/agents/test_rules.py compare them)
opinion_deltas  # unused function (agents/rules/opinion.py:37)
apply_mean  # unused function (agents/rules/opinion.py:57)
reaction_probabilities  # unused function (models/kernels.py: the reference of step_kernels.react_items)
scale_capped  # unused function (models/kernels.py: the reference of step_kernels.react_items)
uninstall  # unused function (experiments/yaml_cache.py: tests restore OmegaConf.load)
item_gain  # unused function (agents/rules/session.py: the reference of feed_gains, tests)
organic_before  # unused function (analysis/metrics/economy.py: the reference of ads.feed_ad_slots, tests)
unsafe_adjacent  # unused function (analysis/metrics/economy.py: the reference of ads.feed_ad_slots, tests)
_descending_orders  # unused function (models/economy/ads.py: the full radix sort, the reference of the prefix sort, tests)
add_at  # unused function (models/kernels.py: the reference of viewer_sums, tests)

"""Pure metric functions, live metrics for the recorder, sweep aggregation, figures.
Analyses read run directories, never model internals (except ``feedlab.analysis.live``).
"""

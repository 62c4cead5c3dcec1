"""feedlab's benchmarks: ``feedlab bench`` (:mod:`feedlab.benchmarks.run`) measures feedlab side by
side with its peers (:mod:`feedlab.benchmarks.peers`: ndlib, an idiomatic Mesa model, plain NumPy
references) and writes ``docs/performance.md``. The single-workload scripts
(``bench_step``, ``bench_ranking``, ``bench_cascade``) can also be run on their own.

Submodules are not imported here, so importing the package pulls in nothing heavy.
"""

"""Peer (reference) implementations for feedlab's side-by-side benchmarks.

Each runner takes the same graph (``src``, ``dst`` undirected edge arrays over nodes
``0..n-1``) and seed and returns comparable summaries, so a harness can check that
feedlab's fast kernels agree in distribution with what researchers would otherwise use:

* ``ndlib_models`` — ndlib's ``AlgorithmicBiasModel`` and ``ThresholdModel`` (needs the
  ``bench`` extra: ndlib, six, scikit-learn);
* ``mesa_models`` — an idiomatic Mesa 3 agent-based Deffuant / algorithmic-bias model;
* ``numpy_reference`` — plain sequential textbook versions (oracles for small N);
* ``stats`` — ``opinion_summary`` and ``agree_in_distribution``;
* ``timing`` — ``python -m feedlab.benchmarks.peers.timing`` measures the peers' throughput.

Submodules are not imported here, so importing the package pulls in neither ndlib
nor Mesa.
"""

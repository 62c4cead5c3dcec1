"""The workloads of ``feedlab bench``, one module each; each returns a JSON-ready dict.

* :mod:`.algorithmic_bias`: Deffuant / algorithmic-bias throughput, feedlab and its peers;
* :mod:`.agreement`: the same dynamics in distribution across implementations (a fast
  wrong answer must not win);
* :mod:`.threshold`: Watts threshold cascades, with exact agreement checks;
* :mod:`.scaling`: the full feed step, ranking and memory against N, in fresh
  subprocesses (the worker), and the 10⁶-user full-scale run;
* :mod:`.ranking`: every ranking policy on the target workload;
* :mod:`.attention`: the step with sessions, churn and ads on vs off, interleaved in one
  run (issue 19's 1.3× budget).
"""

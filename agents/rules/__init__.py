"""The per-person rules of the step (docs/model.md §One step): reaction (like, comment,
share, negative feedback), opinion, emotion (arousal), trust, reflective value and the
audience-size mechanisms (weaker ties to large accounts, attention dilution).

Plain functions on arrays and frozen config dataclasses, called by the model. The
reaction logits are computed in the step by a fused kernel
(:func:`feedlab.models.kernels.reaction_probabilities`); :func:`reaction.logits` is its
readable NumPy reference, checked against it by the tests.
"""

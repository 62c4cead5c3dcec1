"""Type declarations the checker relies on match the runtime: the post store's columns are
created from ``_FIELDS`` in a loop, and declared one by one for mypy (``.ci/typecheck``)."""

from __future__ import annotations

import typing

import numpy as np
from numpy.typing import NDArray

from feedlab.models import posts


def test_post_store_declares_every_column_with_its_dtype() -> None:
    hints = typing.get_type_hints(posts.PostStore)
    store = posts.PostStore(capacity=4, n_groups=2)
    for name, (dtype, _fill) in posts._FIELDS.items():
        assert name in hints, f"PostStore does not declare column {name!r}"
        assert typing.get_origin(hints[name]) is NDArray, name
        (scalar,) = typing.get_args(hints[name])
        assert np.dtype(scalar) == np.dtype(dtype), name
        assert getattr(store, name).dtype == np.dtype(dtype), name
    columns = {k for k, v in hints.items() if typing.get_origin(v) is NDArray}
    assert columns == set(posts._FIELDS)  # no declaration without a column

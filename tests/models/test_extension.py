"""The extension seam: declared no-op hooks, a misspelt hook is an error at class
definition, and the model calls only the hooks an extension overrides, in order."""

from __future__ import annotations

import pytest

from feedlab.experiments.run import build, compose
from feedlab.models.extension import HOOKS, Extension, overrides


def test_a_misspelt_hook_is_an_error_when_the_class_is_defined() -> None:
    with pytest.raises(TypeError, match="on_feeds is not an extension hook"):

        class Typo(Extension):
            def on_feeds(self, model, t, ctx):  # type: ignore[no-untyped-def]
                pass

    with pytest.raises(TypeError, match="did you mean 'summary'"):

        class Typo2(Extension):
            def sumary(self, model):  # type: ignore[no-untyped-def]
                return {}


def test_helper_methods_and_private_names_are_allowed() -> None:
    class Fine(Extension):
        def reputation(self, model):  # type: ignore[no-untyped-def]
            return 0.0

        def _on_private(self) -> None:
            pass

    assert not any(overrides(Fine(), h) for h in HOOKS)


def test_the_model_refuses_an_object_that_is_not_an_extension() -> None:
    class Duck:
        def on_feed(self, model, t, ctx):  # type: ignore[no-untyped-def]
            pass

    with pytest.raises(TypeError, match="must subclass"):
        build(compose(["network.n=100"]), extensions=[Duck()])


def test_hooks_are_called_in_step_order_and_only_where_overridden() -> None:
    calls: list[str] = []

    class Spy(Extension):
        def setup(self, model):  # type: ignore[no-untyped-def]
            calls.append("setup")

        def on_post(self, model, t, batch):  # type: ignore[no-untyped-def]
            calls.append("on_post")

        def on_candidates(self, model, t, cand):  # type: ignore[no-untyped-def]
            calls.append("on_candidates")

        def before_react(self, model, t, ctx):  # type: ignore[no-untyped-def]
            assert not ctx.reactions.any()  # reactions are not drawn yet
            calls.append("before_react")

        def on_feed(self, model, t, ctx):  # type: ignore[no-untyped-def]
            assert ctx.good.size == ctx.reactions.shape[0]
            calls.append("on_feed")

        def on_step_end(self, model, t):  # type: ignore[no-untyped-def]
            calls.append("on_step_end")

    spy = Spy()
    model = build(compose(["network.n=100"]), extensions=[spy])
    assert model.hooks["on_feed"] == [spy] and model.hooks["metrics"] == []
    model.step()
    assert calls == [
        "setup",
        "on_post",
        "on_candidates",
        "before_react",
        "on_feed",
        "on_step_end",
    ]
    assert model.recorder is not None and len(model.recorder.rows) == 1  # recorded in step

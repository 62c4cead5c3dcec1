"""Parse each Hydra config file once per process.

A ``feedlab run -m`` composes the config several times before its first run starts: the
guard composes the command line and every distinct sweep job's ``hydra`` node
(:mod:`feedlab.experiments.guard`), Hydra composes it for its own launch, and the planner
composes each distinct set of config-group choices twice (once its own way, once Hydra's,
to compare; :mod:`feedlab.experiments.plan`). Each composition reads every file of the
defaults tree again, and Hydra parses YAML with PyYAML's pure-Python loader: measured on
the 200-run benchmark sweep, 290 parses of the same ~50 files took about 0.6 s of a
2.3 s launch (profiled); with the cache, 15 parses.

:func:`install` puts a caching ``load`` in front of ``OmegaConf.load``, which Hydra's two
config sources (files and packages; hydra-core is pinned, ``pyproject.toml``) call with
the open file. It reads the file's text, as ``OmegaConf.load`` does, and parses it only
if that exact text has not been parsed before in this process — the key is the text
itself, so an edited file is parsed again — then builds a fresh ``DictConfig`` from the
parsed object, so no composition sees another's edits. The result is what
``OmegaConf.load`` returns (``tests/experiments/test_yaml_cache.py`` composes every
config group option with and without it). Only ``feedlab run`` installs it: importing
feedlab as a library changes nothing of OmegaConf.
"""

from __future__ import annotations

from typing import Any

#: parsed YAML by file text (a few dozen small files per process)
_PARSED: dict[str, Any] = {}
#: texts longer than this are parsed every time (Hydra's config files are a few kB)
MAX_TEXT = 65536
#: at most this many distinct texts are kept
MAX_ENTRIES = 1024
#: ``OmegaConf.load`` as it was before :func:`install`
_original: Any = None


def _load(file_: Any) -> Any:
    """``OmegaConf.load(file_)``; an open file's text is parsed at most once per process."""
    import yaml
    from omegaconf import OmegaConf
    from omegaconf._utils import get_yaml_loader

    if not hasattr(file_, "read"):  # a path: OmegaConf's own (Hydra passes open files)
        return _original(file_)
    text = file_.read()
    if isinstance(text, bytes):  # a zipped package's resource
        text = text.decode("utf-8")
    if text in _PARSED:
        obj = _PARSED[text]
    else:
        obj = yaml.load(text, Loader=get_yaml_loader())  # OmegaConf's safe loader
        if len(text) <= MAX_TEXT and len(_PARSED) < MAX_ENTRIES:
            _PARSED[text] = obj
    if obj is not None and not isinstance(obj, (list, dict, str)):
        raise OSError(f"Invalid loaded object type: {type(obj).__name__}")
    return OmegaConf.create() if obj is None else OmegaConf.create(obj)


def install() -> None:
    """Put the parse cache in front of ``OmegaConf.load`` for this process (idempotent).

    The whole class attribute is replaced, not the name in Hydra's config-source modules:
    Hydra's plugin scan executes those modules again, binding ``OmegaConf`` afresh.
    """
    global _original
    from omegaconf import OmegaConf

    if _original is None:
        _original = OmegaConf.load
        OmegaConf.load = staticmethod(_load)  # type: ignore[method-assign,assignment]


def uninstall() -> None:
    """Restore ``OmegaConf.load`` and forget every parsed text (tests)."""
    global _original
    from omegaconf import OmegaConf

    if _original is not None:
        OmegaConf.load = staticmethod(_original)  # type: ignore[method-assign,assignment]
        _original = None
    _PARSED.clear()

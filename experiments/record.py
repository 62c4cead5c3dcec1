"""The run directory: the record of one run, written so that nothing is half-written.

Layout (docs/sweeps.md)::

    <out>/runs/<run key>/
        .hydra/config.yaml      resolved config        .hydra/overrides.yaml
        manifest.json           provenance: versions, commit, seeds, times, status
        timeseries.parquet      one row per recorded step (and arm)
        summary.json            final metrics, flat name: value
        events.parquet          follow/unfollow/share/call-out records
        agents.parquet          final per-agent state (optional)
        DONE                    written last: SHA-256 of every file above

Every Parquet file carries the run's semantic config and run key as key-value metadata
(:func:`config_metadata`), so a file says which run it belongs to without the YAML; the
data columns are exactly the run's.

A run is written into a private staging directory and committed by one atomic
``os.rename`` to its final name, so a killed run leaves no directory under the final name
and two writers of the same run leave exactly one winner. The run key is a hash of the
*semantic* config (everything that can change results, seed included, not ``output``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import uuid
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

NON_SEMANTIC = ("output", "hydra", "limits", "sweep", "experiment")
DATA_FILES = ("timeseries.parquet", "summary.json", "events.parquet", "agents.parquet")
PACKAGES = (
    "feedlab",
    "mesa",
    "numpy",
    "scipy",
    "numba",
    "hydra-core",
    "pyarrow",
    "networkx",
    "igraph",
)


def canonical_json(obj: Any) -> str:
    """Deterministic JSON (sorted keys, no whitespace) for hashing."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def semantic_config(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a config that can change results: everything but ``output``, ``hydra``,
    ``limits`` and ``experiment``, and ``platform.threads`` (results are bit-identical at any
    thread count, tests/models/test_threads.py, so a run keeps its key whatever the
    number of threads).
    """
    out = {k: v for k, v in cfg.items() if k not in NON_SEMANTIC}
    platform = out.get("platform")
    if isinstance(platform, Mapping) and "threads" in platform:
        out["platform"] = {k: v for k, v in platform.items() if k != "threads"}
    return out


def run_key(cfg: Mapping[str, Any]) -> str:
    """16 hex digits of SHA-256 over the canonical semantic config and feedlab's
    :data:`feedlab.models.RESULTS_VERSION` (runs of code that gives other results get other
    keys).
    """
    from feedlab.models import RESULTS_VERSION

    payload = {"config": semantic_config(cfg), "results_version": RESULTS_VERSION}
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()[:16]


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, hex (the hashes ``DONE`` lists), read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_bytes_atomic(path: Path, data: bytes, durable: bool = True) -> None:
    """Write to a temporary name in the same directory, fsync (unless not ``durable``:
    a file that only has to survive its process, not the machine; or a file staged by a
    :class:`RunWriter`, which syncs at commit), then os.replace.
    """
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        if durable and not _staged(path):
            os.fsync(f.fileno())
    os.replace(tmp, path)


def write_json(path: Path, obj: Any, durable: bool = True) -> None:
    """Write ``obj`` as indented JSON with sorted keys, atomically (NumPy scalars and
    arrays become numbers and lists; anything else unknown its string).
    """
    write_bytes_atomic(
        path,
        (json.dumps(obj, indent=1, sort_keys=True, default=_jsonable) + "\n").encode(),
        durable,
    )


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, np.ndarray):
        return v.tolist()
    return str(v)


def clean_floats(d: Mapping[str, Any]) -> dict[str, Any]:
    """NaN/inf become None in JSON (strict JSON has no NaN); counts stay exact."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, float | np.floating) and not np.isfinite(v):
            out[k] = None
        elif isinstance(v, np.generic):
            out[k] = v.item()
        else:
            out[k] = v
    return out


# libyaml's emitter when present (3x faster; the same text as PyYAML's for feedlab's
# configs, tests/experiments/test_batch.py), else PyYAML's own: both are yaml.safe_dump.
_YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

CONFIG_METADATA_KEY = "feedlab.config"
"""Parquet key-value metadata key holding the run's whole flat config as one JSON object."""

_STAGING_METADATA: dict[Path, dict[str, str]] = {}
"""Key-value metadata of the Parquet files written into a staging directory (set by
:meth:`RunWriter.config`, dropped on commit or abort)."""


def flat_config(obj: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings → dotted names; lists stay lists (JSON values)."""
    out: dict[str, Any] = {}
    for k, v in obj.items():
        name = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            out.update(flat_config(v, f"{name}."))
        else:
            out[name] = v
    return out


_JSON_SCALARS: dict[tuple[type, str], str] = {}


def _json_value(v: Any) -> str:
    """``json.dumps(v, sort_keys=True, default=str)``, remembered for scalars (a run's ~150
    config values, mostly the same from run to run of a sweep; keyed by type and
    ``repr``, which tells ``-0.0`` from ``0.0``).
    """
    if isinstance(v, str | int | float | bool) or v is None:
        key = (type(v), repr(v))
        text = _JSON_SCALARS.get(key)
        if text is None:
            text = json.dumps(v, sort_keys=True, default=str)
            if len(_JSON_SCALARS) < 100_000:
                _JSON_SCALARS[key] = text
        return text
    return json.dumps(v, sort_keys=True, default=str)


def config_yaml(resolved: Mapping[str, Any]) -> str:
    """``yaml.dump(dict(resolved), sort_keys=False)`` with the block of each top-level key
    emitted once per process: a block-style mapping's text is its keys' blocks one after
    another, so only the blocks that changed (a seed sweep: ``seed``) are emitted again
    (~1.5 ms of a small run's ~27). Falls back to one ``yaml.dump`` when two top-level
    values share a container (PyYAML would emit an anchor across blocks).
    """
    data = dict(resolved)
    if not data or not _disjoint(data, {}):  # one dump: no blocks, or shared containers
        return yaml.dump(data, Dumper=_YAML_DUMPER, sort_keys=False)
    parts = []
    for k, v in data.items():
        # repr: order, types (1 / "1" / True, tuple / list) and every float bit included
        sig = (repr(k), repr(v))
        text = _YAML_BLOCKS.get(sig)
        if text is None:
            text = yaml.dump({k: v}, Dumper=_YAML_DUMPER, sort_keys=False)
            if len(_YAML_BLOCKS) < 10_000 and len(sig[1]) < 100_000:
                _YAML_BLOCKS[sig] = text
        parts.append(text)
    return "".join(parts)


_YAML_BLOCKS: dict[tuple[str, str], str] = {}


def _disjoint(data: Mapping[str, Any], owner: dict[int, str]) -> bool:
    """Whether no container (dict or list) appears under two top-level keys, or twice."""
    for top, value in data.items():
        stack = [value]
        while stack:
            x = stack.pop()
            if isinstance(x, Mapping | list):
                if id(x) in owner:
                    return False
                owner[id(x)] = top
                stack.extend(x.values() if isinstance(x, Mapping) else x)
    return True


def config_metadata(resolved: Mapping[str, Any], key: str) -> dict[str, str]:
    """The run's resolved semantic config as Parquet key-value metadata.

    The semantic config is what the run key hashes (:func:`semantic_config`: not
    ``output``, ``limits``, ``experiment``), so the same config and seed still give
    bit-identical files wherever they are written. One entry per dotted config key (``ranking.name`` → ``"bridging"``, values as JSON),
    ``run_key`` → the run key, and ``feedlab.config`` → the whole flat config as one JSON
    object, so DuckDB (``parquet_kv_metadata``), polars or pyarrow
    (``pq.read_schema(f).metadata``) can group runs without reading YAML. The metadata
    lives in the file footer: the data columns are unchanged.
    """
    flat = flat_config(semantic_config(resolved))
    meta = {k: _json_value(v) for k, v in flat.items()}
    meta["run_key"] = key
    meta[CONFIG_METADATA_KEY] = canonical_json(flat)
    return meta


def write_parquet(path: Path, columns: Mapping[str, Any]) -> None:
    """A Parquet file written atomically (no statistics timestamps: deterministic bytes).

    Inside a :class:`RunWriter` staging directory the run's config goes into the file's
    key-value metadata (:func:`config_metadata`).
    """
    table = pa.table({k: pa.array(v) for k, v in columns.items()})
    meta = _STAGING_METADATA.get(Path(path).parent)
    if meta:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **meta})
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    if not _staged(path):
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
    os.replace(tmp, path)


def git_state(root: Path) -> dict[str, Any]:
    """Commit and dirty flag of the source tree (None outside a git checkout).

    Asked once per process and root (two ``git`` calls cost ~20 ms, more than a small run
    takes to write its record): a process records the code it imported.
    """
    return dict(_git_state(str(root)))


@functools.cache
def _git_state(root: str) -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        )
        if commit.returncode != 0:
            return {"commit": None, "dirty": None}
        return {"commit": commit.stdout.strip(), "dirty": bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def package_versions() -> dict[str, str | None]:
    """Python's version and the installed version of every package in :data:`PACKAGES`
    (None if absent), for a run's provenance. Read once per process (the packages a
    process has imported do not change under it).
    """
    return dict(_package_versions())


@functools.cache
def _package_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def is_complete(run_dir: Path) -> bool:
    """A run is complete when DONE exists and every file hash in it matches."""
    done = run_dir / "DONE"
    if not done.is_file():
        return False
    try:
        hashes = json.loads(done.read_text())["files"]
    except (ValueError, KeyError, OSError):
        return False
    for name, digest in hashes.items():
        f = run_dir / name
        if not f.is_file() or file_sha256(f) != digest:
            return False
    return True


_STAGED: set[Path] = set()
"""Staging directories of live :class:`RunWriter` objects: files written into them are
synced at commit (:meth:`RunWriter.commit`), not one by one."""


def _staged(path: Path) -> bool:
    return path.parent in _STAGED or path.parent.parent in _STAGED


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class RunWriter:
    """Stage a run's files privately, then commit them with one atomic rename."""

    def __init__(self, out_dir: Path, key: str):
        self.runs = Path(out_dir) / "runs"
        self.final = self.runs / key
        self.staging = self.runs / ".staging" / f"{key}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        self.staging.mkdir(parents=True, exist_ok=False, mode=0o755)
        (self.staging / ".hydra").mkdir(mode=0o755)
        self.key = key
        _STAGED.add(self.staging)

    def config(self, resolved: Mapping[str, Any], overrides: list[str]) -> None:
        """Write ``.hydra/config.yaml`` and ``.hydra/overrides.yaml``, and remember the
        run's config so that every Parquet file staged here carries it as metadata.
        """
        write_bytes_atomic(self.staging / ".hydra" / "config.yaml", config_yaml(resolved).encode())
        write_bytes_atomic(
            self.staging / ".hydra" / "overrides.yaml",
            yaml.dump(list(overrides), Dumper=_YAML_DUMPER).encode(),
        )
        _STAGING_METADATA[self.staging] = config_metadata(resolved, self.key)

    def commit(self, manifest: dict[str, Any], durable: bool = True) -> Path:
        """Write manifest and DONE, then rename into place; with ``durable`` fsync every
        file and directory of the run first and the runs directory after, so that it
        survives a machine crash. Returns the final path. If another writer committed the
        same run first, ours is discarded.

        A run asks for ``durable`` when it took at least ``output.sync_after_s`` (1 s by
        default): 8 fsyncs cost ~4 ms, a fifth of a run of N = 200 for 10 steps, and after
        a machine crash a short run that was not synced may be missing or fail its hash
        check, so the next launch runs it again — never counted complete (``DONE`` holds
        every file's hash). A process crash or kill loses nothing either way (the page
        cache survives the process).
        """
        _STAGING_METADATA.pop(self.staging, None)
        write_json(self.staging / "manifest.json", manifest)
        files = sorted(
            str(p.relative_to(self.staging))
            for p in self.staging.rglob("*")
            if p.is_file() and not p.name.endswith(".tmp")
        )
        done = {"files": {f: file_sha256(self.staging / f) for f in files}}
        write_json(self.staging / "DONE", done)
        _STAGED.discard(self.staging)
        if durable:
            for f in [*files, "DONE"]:
                _fsync_path(self.staging / f)
            _fsync_path(self.staging / ".hydra")
            _fsync_path(self.staging)
        try:
            os.rename(self.staging, self.final)
            if durable:
                _fsync_path(self.runs)
        except OSError:
            if is_complete(self.final):  # somebody else won the race: keep theirs
                shutil.rmtree(self.staging, ignore_errors=True)
                return self.final
            if self.final.exists():  # an incomplete leftover: replace it
                trash = self.runs / ".staging" / f"trash.{uuid.uuid4().hex}"
                os.rename(self.final, trash)
                os.rename(self.staging, self.final)
                shutil.rmtree(trash, ignore_errors=True)
            else:
                raise
        return self.final

    def abort(self) -> None:
        """Discard the staged run (nothing appears under the final name)."""
        _STAGING_METADATA.pop(self.staging, None)
        _STAGED.discard(self.staging)
        shutil.rmtree(self.staging, ignore_errors=True)


def environment() -> dict[str, Any]:
    """The command line, platform and package versions a run was made with (manifest)."""
    return {"argv": sys.argv, "platform": platform.platform(), "packages": package_versions()}

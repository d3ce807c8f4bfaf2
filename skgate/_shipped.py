"""The shipped models as the restorer uses them: each loaded once per process, and the tables
of every prior built once for all the images and tiles it restores."""

import weakref
from functools import lru_cache, partial

from ._gating import make_gating
from ._tables import MixtureTables
from .models import (
    default_colour_network_path,
    default_network_path,
    load_default_prior,
    load_network,
)

__all__ = [
    "default_prior",
    "default_network",
    "has_default_network",
    "default_tables_and_gating",
    "tables_of",
]


@lru_cache(maxsize=2)
def default_prior(n_channels=1):
    """The shipped prior of patches with ``n_channels`` channels (1: grey, 3: colour),
    loaded once."""
    if n_channels in (1, 3):
        return load_default_prior(colour=n_channels == 3)
    raise ValueError(f"no shipped prior for patches of {n_channels} channels")


def has_default_network(n_channels):
    """Whether a gating network ships for the shipped prior of ``n_channels`` channels."""
    return n_channels == 1 or default_colour_network_path().is_file()


@lru_cache(maxsize=2)
def default_network(n_channels=1):
    """The shipped gating network of the shipped prior of ``n_channels`` channels, loaded
    once, with that prior as its teacher."""
    if n_channels == 1:
        return load_network(default_network_path(), prior=default_prior())
    if not has_default_network(n_channels):
        raise ValueError(
            "no gating network ships for the colour prior: use gating='exact' (or "
            "'flat-tail') with it, or restore the channels one by one with the grey prior "
            "(prior=skgate.load_default_prior())"
        )
    return load_network(default_colour_network_path(), prior=default_prior(n_channels))


@lru_cache(maxsize=8)
def default_tables_and_gating(gating, n_channels=1):
    """Tables and gating strategy of the shipped models for a named ``gating``: every tile of
    a tiled restoration (and every call) reuses their cached filters."""
    tables = tables_of(default_prior(n_channels))
    return tables, make_gating(gating, tables, partial(default_network, n_channels))


_TABLES_OF_PRIOR = weakref.WeakKeyDictionary()


def tables_of(prior):
    """The :class:`MixtureTables` of a fitted prior, kept as long as the prior lives (a refit
    replaces the prior's arrays, and with them the tables)."""
    entry = _TABLES_OF_PRIOR.get(prior)
    if entry is None or entry[0] is not prior.eigvecs_:
        entry = (prior.eigvecs_, MixtureTables(prior))
        _TABLES_OF_PRIOR[prior] = entry
    return entry[1]


def models(prior, gating, n_channels=1):
    """``(prior, tables, gating strategy)`` for the ``prior`` setting (``None``: the shipped
    one for patches of ``n_channels`` channels, whose tables and gating are cached per
    process)."""
    if prior is None and isinstance(gating, str):
        tables, strategy = default_tables_and_gating(gating, n_channels)
        return default_prior(n_channels), tables, strategy
    prior = default_prior(n_channels) if prior is None else prior
    tables = tables_of(prior)
    return prior, tables, make_gating(gating, tables, partial(default_network, n_channels))

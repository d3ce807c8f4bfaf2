"""The shipped models as the restorer uses them: each loaded once per process, and the tables
of every prior built once for all the images and tiles it restores."""

import weakref
from functools import lru_cache

from ._gating import make_gating
from ._tables import MixtureTables
from .models import default_network_path, load_default_prior, load_network

__all__ = ["default_prior", "default_network", "default_tables_and_gating", "tables_of"]


@lru_cache(maxsize=1)
def default_prior():
    """The shipped prior, loaded once."""
    return load_default_prior()


@lru_cache(maxsize=1)
def default_network():
    """The shipped gating network, loaded once, with the shipped prior as its teacher."""
    return load_network(default_network_path(), prior=default_prior())


@lru_cache(maxsize=4)
def default_tables_and_gating(gating):
    """Tables and gating strategy of the shipped models for a named ``gating``: every tile of
    a tiled restoration (and every call) reuses their cached filters."""
    tables = tables_of(default_prior())
    return tables, make_gating(gating, tables, default_network)


_TABLES_OF_PRIOR = weakref.WeakKeyDictionary()


def tables_of(prior):
    """The :class:`MixtureTables` of a fitted prior, kept as long as the prior lives (a refit
    replaces the prior's arrays, and with them the tables)."""
    entry = _TABLES_OF_PRIOR.get(prior)
    if entry is None or entry[0] is not prior.eigvecs_:
        entry = (prior.eigvecs_, MixtureTables(prior))
        _TABLES_OF_PRIOR[prior] = entry
    return entry[1]

"""A bounded cache of values built on demand (private module)."""


def cached(cache, key, build, size=32):
    """``cache[key]``, built by ``build()`` if missing.

    Bounded (a few MB per entry): restoring many images with different noise levels must not
    grow memory without end. Safe when tiles run in threads: the value built is the one
    returned, so another thread clearing the cache in between cannot lose it (at worst two
    threads build the same table once each)."""
    value = cache.get(key)
    if value is None:
        value = build()
        if len(cache) >= size:
            cache.clear()
        cache[key] = value
    return value

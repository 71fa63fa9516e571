"""The whole library: what is stale, the render pool, writing output/ atomically,
the catalog and the search index, and watching the sources."""

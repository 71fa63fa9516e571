"""The staff app: the catalog, baskets and packets, email, and its render pool."""

"""Write path: load, embed and index articles; versions and snapshots of what is live."""

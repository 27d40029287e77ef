"""Signed releases on the client (TUF, python-tuf): the pinned root, verified metadata,
the manifest and package hashes vouched for by the signed targets."""

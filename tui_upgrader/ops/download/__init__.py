"""Bytes from the release server: the manifest, and packages with resume and verification."""

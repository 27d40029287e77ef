"""The publisher's side: build a release store (packages, patch, manifest), sign it
(TUF), bundle it for air-gapped sites, and serve it."""

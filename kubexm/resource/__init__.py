"""Artifacts: BOM, download URLs and mirrors, pinned digests, downloads, offline bundles, and
images pushed to a private registry."""

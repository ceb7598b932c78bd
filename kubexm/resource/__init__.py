"""Artifacts: BOM, download URLs and mirrors, pinned digests, downloads and offline bundles."""

"""Steps of the Kubernetes layer in binary mode, and the flag and config tables both modes use."""

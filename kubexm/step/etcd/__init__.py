"""Steps of a kubexm-managed etcd (binaries under systemd) and of the external etcd check."""

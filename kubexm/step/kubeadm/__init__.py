"""kubeadm mode: kubelet unit, pre-seeded PKI, kubeadm config, init, joins, join credentials."""

"""Steps of the kube-apiserver load balancers (kubexm-kh/kn, node-local proxies, kube-vip)."""

"""Steps of cluster DNS: CoreDNS (deployed in binary mode, its Corefile adjusted in kubeadm
mode) and NodeLocal DNSCache."""

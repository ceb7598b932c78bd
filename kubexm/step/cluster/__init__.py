"""Read-only post-checks of a finished cluster: nodes Ready, kube-system pods running,
/readyz through the control-plane endpoint."""

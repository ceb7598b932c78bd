"""Steps of the CNI plugin: the adapted calico/flannel manifest or the cilium chart, applied
from the first master, then the wait for Ready nodes."""

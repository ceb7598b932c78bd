"""Container runtime steps: containerd, runc, CNI plugins, crictl and image import."""

"""The Kubernetes layer: version matrix, kubeadm configuration, air-gapped bundle and upgrades."""

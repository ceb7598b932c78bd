#!/bin/sh
# kubexm test stand-in for @NAME@ @VERSION@ (see tests/e2e/standins/README.md). Not Kubernetes.
name='@NAME@'
version='@VERSION@'
if [ "$#" -eq 0 ]; then
    echo "$name stand-in $version: no arguments given; try --version" >&2
    exit 2
fi
for arg in "$@"; do
    case "$arg" in
        --version|--version=true)
            if [ "$name" = kubeadm ]; then
                echo "kubeadm version: &version.Info{GitVersion:\"$version\", Platform:\"linux/amd64\"}"
            else
                echo "Kubernetes $version"
            fi
            exit 0 ;;
        version)
            if [ "$name" = kubeadm ]; then
                echo "kubeadm version: &version.Info{GitVersion:\"$version\"}"
                exit 0
            fi
            echo "Error: unknown command \"version\" for \"$name\"" >&2
            exit 2 ;;
        -h|--help)
            echo "Usage: $name [flags]  (kubexm test stand-in, see tests/e2e/standins/README.md)"
            exit 0 ;;
        *)
            echo "Error: unknown flag: $arg" >&2
            exit 2 ;;
    esac
done

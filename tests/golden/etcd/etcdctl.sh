#!/bin/sh
# Managed by kubexm: etcdctl against the local member with the health-check client certificate.
ETCDCTL_API=3
export ETCDCTL_API
exec /usr/local/bin/etcdctl \
  --endpoints=https://127.0.0.1:2379 \
  --cacert=/etc/kubernetes/pki/etcd/ca.crt \
  --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt \
  --key=/etc/kubernetes/pki/etcd/healthcheck-client.key \
  "$@"

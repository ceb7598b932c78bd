#!/bin/sh
# Managed by kubexm: snapshot of the local etcd member, keeping the newest 3.
set -eu
dir=/var/backups/etcd
mkdir -p "$dir"
chmod 700 "$dir"
snapshot="$dir/snapshot-$(date +%Y%m%d-%H%M%S).db"
/usr/local/bin/etcdctl.sh snapshot save "$snapshot.part"
mv "$snapshot.part" "$snapshot"
ls -1t "$dir"/snapshot-*.db | tail -n +4 | while read -r old; do rm -f -- "$old"; done

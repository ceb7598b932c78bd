#!/bin/sh
# Managed by kubexm: keepalived gives up the VIP on this host while haproxy is not running.
pidof haproxy >/dev/null 2>&1 || exit 1
exit 0

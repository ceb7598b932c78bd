#!/bin/bash
# Install what `kubexm lab` needs on a Debian/Ubuntu machine, only when missing (idempotent).
#   debootstrap        builds the host template
#   systemd-container  systemd-nspawn, which boots each host
#   openssh-client     ssh / ssh-keygen (readiness checks, the lab key)
#   openssh-server     sshd, for the connector's loopback tests
#   iproute2           bridge, veth and network namespaces
#   openssl            hashes the kxadmin password for each host
#   sudo               the connector tests log in as a sudo user on the loopback sshd
#   skopeo             copies images between OCI archives and registries (bundle tests)
#   docker-registry    a real registry the image-push tests start on loopback (never as a service)
# Nothing may start on the machine itself while installing: a policy-rc.d that denies service
# starts is put in place for the install unless the machine already has one.
set -euo pipefail

PACKAGES=(openssh-server openssh-client debootstrap systemd-container iproute2 openssl mount util-linux sudo skopeo docker-registry)

if [ "$(id -u)" != 0 ]; then
  echo "lab-prereqs: must run as root" >&2
  exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "lab-prereqs: all present (${PACKAGES[*]})"
  exit 0
fi

own_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  own_policy=1
fi
trap 'if [ "$own_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT

echo "lab-prereqs: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The package enables a registry service on :5000; the tests run their own, so keep it off.
if [[ " ${missing[*]} " == *" docker-registry "* ]]; then
  systemctl disable docker-registry >/dev/null 2>&1 || true
fi
echo "lab-prereqs: done"

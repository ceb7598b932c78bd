#!/usr/bin/env bash
# The main job (`make run`): bring up lab hosts on this machine and deploy a cluster onto them
# with `kubexm create cluster`, from the test bundle, then show it with the real kubectl.
#
#   KUBEXM_TYPE=kubexm|kubeadm   control plane (default kubexm: binaries under systemd)
#   KUBEXM_KEEP=1                leave the lab and the cluster up (default: take them down)
#   KUBEXM_BUNDLE=FILE           deploy from this bundle (one made by `kubexm download`, with the
#                                real binaries) instead of building the test bundle
#
# Topology: 3 masters with etcd, keepalived + haproxy (kubexm-kh) on 2 load-balancer hosts
# holding the VIP 10.77.0.100, 2 workers. The Kubernetes binaries in the test bundle are
# labelled stand-ins (tests/e2e/standins: they check flags, certificates and etcd like the real
# ones, but run no pods); etcd, containerd, runc, haproxy, keepalived and kubectl are real.
# Needs root (systemd-nspawn). The work directory is ./.kubexm-lab/.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "error: the lab needs root: sudo make run" >&2
    exit 2
fi
TYPE="${KUBEXM_TYPE:-kubexm}"
case "$TYPE" in kubexm|kubeadm) ;; *) echo "error: KUBEXM_TYPE must be kubexm or kubeadm" >&2; exit 2 ;; esac
BIN=.venv/bin
WORK=.kubexm-lab
BUNDLE="${KUBEXM_BUNDLE:-}"
CONFIG="$WORK/cluster.yaml"

bash scripts/lab-prereqs.sh
mkdir -p "$WORK"
if [ -z "$BUNDLE" ]; then
    BUNDLE=/var/tmp/kubexm-testbundle/lab-bundle.tar.gz
    mkdir -p "$(dirname "$BUNDLE")"
    echo "==> building the test bundle (cached under /var/tmp/kubexm-testbundle)"
    "$BIN/python" tests/bundle/build_test_bundle.py -o "$BUNDLE"
    STANDINS=1
    ALLOW=(--allow-standins)  # its labelled stand-ins are refused without it
elif [ ! -f "$BUNDLE" ]; then
    echo "error: KUBEXM_BUNDLE=$BUNDLE: no such file" >&2
    exit 2
else
    STANDINS=0
    ALLOW=()
fi

if "$BIN/kubexm" lab status | grep -q "no lab is up"; then
    echo "==> bringing up 7 lab hosts"
    "$BIN/kubexm" lab up 7
else
    echo "error: a lab is up already; take it down first: $BIN/kubexm lab down" >&2
    exit 1
fi
cleanup() {
    if [ "${KUBEXM_KEEP:-}" != 1 ]; then
        echo "==> taking the lab down (KUBEXM_KEEP=1 keeps it)"
        "$BIN/kubexm" lab down
    fi
}
trap cleanup EXIT

"$BIN/kubexm" lab config --masters 3 --lb-hosts 2 --lb kubexm-kh --type "$TYPE" \
    --cni flannel --bundle "$BUNDLE" > "$CONFIG"
echo "==> wrote $CONFIG"

if [ "$TYPE" = kubeadm ] && [ "$STANDINS" = 1 ]; then
    # kubeadm runs the control plane as static pods whose images carry the binaries; the
    # stand-in kubelet runs each static pod's command from /usr/local/bin instead.
    "$BIN/python" - "$BUNDLE" <<'EOF'
import subprocess, sys, tarfile, tempfile
from pathlib import Path
from kubexm.lab import Paths, load_state
names = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
state = load_state(Paths())
with tarfile.open(sys.argv[1], "r:gz") as archive, tempfile.TemporaryDirectory() as tmp:
    for member in archive.getmembers():
        if member.name.rsplit("/", 1)[-1] in names and member.isfile():
            target = Path(tmp) / member.name.rsplit("/", 1)[-1]
            target.write_bytes(archive.extractfile(member).read())
            target.chmod(0o755)  # scp keeps the mode; the kubelet execs the file
    for host in state.hosts[:3]:
        for name in names:
            subprocess.run(["scp", "-q", "-o", "StrictHostKeyChecking=no", "-o",
                            "UserKnownHostsFile=/dev/null", "-i", host.root_key_path,
                            str(Path(tmp) / name), f"root@{host.address}:/usr/local/bin/{name}"],
                           check=True)
EOF
fi

# The lab hosts are new: nothing recorded by an earlier lab run applies to them.
rm -rf -- "$WORK/kubexm-lab"
echo "==> kubexm create cluster"
"$BIN/kubexm" create cluster -f "$CONFIG" --bundle "$BUNDLE" "${ALLOW[@]}" --work-dir "$WORK" \
    --accept-new-host-keys

KUBECTL=$(ls "$WORK"/kubexm-lab/artifacts/kubectl/*/amd64/kubectl)
ADMIN="$WORK/admin.kubeconfig"  # server: the VIP (this machine does not resolve the domain)
(umask 077; "$BIN/kubexm" kubeconfig -f "$CONFIG" --work-dir "$WORK" > "$ADMIN")
echo "==> the real kubectl through the VIP: $KUBECTL --kubeconfig $ADMIN ($(grep -m1 'server:' "$ADMIN" | tr -s ' '))"
"$KUBECTL" --kubeconfig "$ADMIN" get nodes -o wide
echo "readyz: $("$KUBECTL" --kubeconfig "$ADMIN" get --raw /readyz)"

echo "==> a second run changes nothing"
if ! out=$("$BIN/kubexm" create cluster -f "$CONFIG" --bundle "$BUNDLE" "${ALLOW[@]}" \
        --work-dir "$WORK" 2>"$WORK/second-run.log"); then
    tail -n 30 "$WORK/second-run.log" >&2
    exit 1
fi
echo "${out%%$'\n'*}   (progress lines: $WORK/second-run.log)"

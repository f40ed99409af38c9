#!/usr/bin/env bash
# End-to-end check of the test lab itself: brings it up, checks what the KvmPS tests rely on
# (ssh, users and sudo, isolated libvirtds, a running TCG guest, live migration, host key
# change, crash repair), takes it down and checks that nothing is left behind.
# Prints "N passed, N failed"; exits non-zero on any failure. Needs root (see lab.sh).
# Runs its own lab (KVMLAB_ID=9 unless set: 198.18.9.0/24, .state/id9), so a lab that tests
# or other people use is left alone.
#   bash tests/lab/selftest.sh            # ~35 s warm, ~50 s the first time
set -uo pipefail

export KVMLAB_ID=${KVMLAB_ID-9}
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB="$LAB_DIR/lab.sh"
P=kvmlab$KVMLAB_ID
NET=198.18.${KVMLAB_ID:-0}
STATE=${KVMLAB_STATE_DIR:-$LAB_DIR/.state${KVMLAB_ID:+/id$KVMLAB_ID}}
KEY=$STATE/id_ed25519
KH=$STATE/known_hosts
PASSWORD='KvmLab-Passw0rd!'
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0 failed=0

ok() { passed=$((passed + 1)); printf 'ok    %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf 'FAIL  %s\n' "$1"; [[ -n ${2:-} ]] && printf '      %s\n' "${2//$'\n'/$'\n'      }"; }
# check NAME CMD...: passes when CMD exits 0
check() {
  local name=$1 out; shift
  if out=$("$@" 2>&1); then ok "$name"; else fail "$name" "$(tail -5 <<<"$out")"; fi
}
# expect NAME WANT CMD...: passes when CMD's output (trimmed) equals WANT
expect() {
  local name=$1 want=$2 out; shift 2
  out=$("$@" 2>&1)
  if [[ $out == "$want" ]]; then ok "$name"; else fail "$name" "want [$want], got [$(tail -5 <<<"$out")]"; fi
}
ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
lssh() { # lssh USER@HOST CMD...: key auth, strict known_hosts
  ssh -i "$KEY" -o UserKnownHostsFile="$KH" -o StrictHostKeyChecking=yes -o BatchMode=yes \
    -o ConnectTimeout=5 "$@"
}
pwssh() { # pwssh USER@HOST CMD...: password auth only (no sshpass needed: SSH_ASKPASS)
  printf '#!/bin/sh\necho "%s"\n' "$PASSWORD" >"$TMP/askpass"; chmod +x "$TMP/askpass"
  SSH_ASKPASS="$TMP/askpass" SSH_ASKPASS_REQUIRE=force setsid -w ssh -o PubkeyAuthentication=no \
    -o PreferredAuthentications=password -o UserKnownHostsFile="$KH" -o StrictHostKeyChecking=yes \
    -o ConnectTimeout=5 "$@" </dev/null
}
domain_xml() {
  cat <<EOF
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><console type='pty'/><memballoon model='none'/></devices>
</domain>
EOF
}
export -f lssh pwssh
export KEY KH TMP PASSWORD NET
lab_pids() { "$LAB" status 2>/dev/null | grep -o '[a-z]*=[0-9]*' | cut -d= -f2; }

expect "check-deps" ok "$LAB" check-deps

# --- up from scratch (down first), timed
"$LAB" down >/dev/null 2>&1
t=$(date +%s%N); check "up 2" "$LAB" up 2; echo "      up 2 (from down): $(ms "$t") ms"
t=$(date +%s%N); check "up 2 again (idempotent)" "$LAB" up 2; echo "      up 2 (already up): $(ms "$t") ms"
check "status healthy" "$LAB" status

# --- ssh, users, sudo
expect "root ssh + virsh list" "Id Name State" \
  bash -c 'lssh root@$NET.11 virsh -c qemu:///system list --all | awk "NR==1 {\$1=\$1; print}"'
expect "known_hosts has hostnames" kvm1 lssh -o HostKeyAlias=kvm1 root@$NET.11 hostname
expect "each host has its hostname" kvm2 lssh root@$NET.12 hostname
expect "virsh hostname is the host's" kvm2 lssh root@$NET.12 virsh -c qemu:///system hostname
expect "root password login" kvm1 pwssh root@$NET.11 hostname
expect "kvmnopw: sudo -n" root lssh kvmnopw@$NET.11 sudo -n id -un
expect "kvmnopw: not in group libvirt" no lssh kvmnopw@$NET.11 'id -nG | grep -qw libvirt && echo yes || echo no'
check "kvmuser: sudo -n refused" bash -c "! lssh kvmuser@$NET.11 sudo -n true"
expect "kvmuser: sudo with password" root lssh kvmuser@$NET.11 "echo '$PASSWORD' | sudo -S -p '' id -un"
expect "kvmuser: password login" kvmuser pwssh kvmuser@$NET.12 id -un
expect "kvmlimited: libvirt access" qemu:///system lssh kvmlimited@$NET.11 virsh -c qemu:///system uri
check "kvmlimited: no sudo" bash -c "! lssh kvmlimited@$NET.11 sudo -n true"
check "users do not exist on the machine" bash -c '! getent passwd kvmuser'
expect "host to host ssh (kvm1 -> kvm2)" kvm2 lssh root@$NET.11 ssh -o BatchMode=yes kvm2 hostname
expect "exec passes the exit code" 7 bash -c "'$LAB' exec kvm1 sh -c 'exit 7'; echo \$?"
expect "exec sees the host's mounts" "kvm1 qemu:///system" bash -c "'$LAB' exec kvm1 sh -c 'echo \$(cat /etc/hostname) \$(virsh uri)'"

# --- a TCG guest, isolation, live migration
t=$(date +%s%N)
check "define + start a guest in kvm1" lssh root@$NET.11 \
  "virsh define /dev/stdin >/dev/null && virsh start labst >/dev/null" < <(domain_xml labst)
echo "      define + start over ssh: $(ms "$t") ms"
expect "guest runs in kvm1" running lssh root@$NET.11 virsh domstate labst
check "guest not in kvm2" bash -c "! '$LAB' exec kvm2 virsh list --all --name | grep -qx labst"
check "guest not in the root namespace" bash -c '! virsh -c qemu:///system list --all --name 2>/dev/null | grep -qx labst'
qpid=$("$LAB" exec kvm1 cat /run/libvirt/qemu/labst.pid 2>/dev/null)
check "guest in kvm1's cgroup namespace" bash -c \
  "'$LAB' exec kvm1 cat /proc/$qpid/cgroup | grep -qx '[0-9]*:freezer:/machine/qemu-[0-9]*-labst.libvirt-qemu'"
t=$(date +%s%N)
check "live migration kvm1 -> kvm2" lssh root@$NET.11 timeout 60 virsh migrate --live --unsafe labst \
  qemu+ssh://$NET.12/system --migrateuri tcp://$NET.12
echo "      live migration: $(ms "$t") ms"
expect "guest runs in kvm2 after migration" running lssh root@$NET.12 virsh domstate labst
expect "guest stopped in kvm1" "shut off" lssh root@$NET.11 virsh domstate labst
check "clean up the guest" bash -c "'$LAB' exec kvm2 virsh destroy labst && '$LAB' exec kvm1 virsh undefine labst"

# --- host key change
cp "$KH" "$TMP/known_hosts.old"
check "rekey kvm2" "$LAB" rekey kvm2
check "old known_hosts: host key changed" bash -c \
  "ssh -i '$KEY' -o UserKnownHostsFile='$TMP/known_hosts.old' -o StrictHostKeyChecking=yes -o BatchMode=yes root@$NET.12 true 2>&1 | grep -q 'HOST IDENTIFICATION HAS CHANGED'"
expect "new known_hosts works" kvm2 lssh root@$NET.12 hostname
fp=$(ssh-keyscan -t ed25519 $NET.12 2>/dev/null | ssh-keygen -l -E sha256 -f - | cut -d' ' -f2)
check "lab.json has the new fingerprint" grep -qF "\"ssh-ed25519\": \"$fp\"" "$STATE/lab.json"

# --- crash: kill -9 kvm1's libvirtd with a guest running, then repair with up
"$LAB" exec kvm1 virsh define /dev/stdin >/dev/null < <(domain_xml crashy)
"$LAB" exec kvm1 virsh start crashy >/dev/null
qpid=$("$LAB" exec kvm1 cat /run/libvirt/qemu/crashy.pid)
kill -9 "$("$LAB" exec kvm1 cat /run/libvirtd.pid)"
check "status reports the crash" bash -c "! '$LAB' status"
t=$(date +%s%N); check "up repairs kvm1" "$LAB" up 2; echo "      repair: $(ms "$t") ms"
check "orphaned guest was killed" bash -c "! kill -0 $qpid 2>/dev/null || grep -q '^State:.*Z' /proc/$qpid/status"
check "status healthy after repair" "$LAB" status

# --- down after a crash leaves nothing behind
"$LAB" up 3 >/dev/null 2>&1
"$LAB" exec kvm3 virsh define /dev/stdin >/dev/null < <(domain_xml downy)
"$LAB" exec kvm3 virsh start downy >/dev/null
pids=$(lab_pids; "$LAB" exec kvm3 cat /run/libvirt/qemu/downy.pid)
kill -9 "$("$LAB" exec kvm2 cat /run/sshd.pid)"
t=$(date +%s%N); check "down" "$LAB" down; d=$(ms "$t"); echo "      down (3 hosts, 1 guest): $d ms"
check "down under 2 s" test "$d" -lt 2000
left=""
for p in $pids; do kill -0 "$p" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$p/status" && left+=" $p"; done
expect "no lab process left" "" echo "$left"
expect "no lab namespace left" "" bash -c "ip netns list | grep '^$P-'"
expect "no lab link left" "" bash -c "ip -br link | grep '^$P-'"
expect "no lab mount left" "" bash -c "grep ' /run/$P[/ ]' /proc/self/mountinfo"
expect "no lab cgroup left" "" bash -c "find /sys/fs/cgroup -maxdepth 6 -type d -name '$P'"
check "status says down" bash -c "! '$LAB' status"
check "client key and /dev/kvm node kept" test -f "$KEY" -a -c "$STATE/dev/kvm"

# --- up -> down -> up
check "up again after down" "$LAB" up 2
check "down again" "$LAB" down

echo
echo "$passed passed, $failed failed"
((failed == 0))

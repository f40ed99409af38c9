#!/usr/bin/env bash
# KvmPS integration-test lab: N fake "KVM hosts" (kvm1..kvmN) on this machine.
#
# Each host is a set of namespaces (network, mount, UTS, cgroup) with its own sshd, virtlogd
# and libvirtd (qemu:///system), its own /etc/libvirt, /var/lib/libvirt, users, host keys...
# Hosts hang off a bridge in a "switch" network namespace; the root namespace reaches them
# through one veth (198.18.0.1/24); host i is 198.18.0.(10+i).
#
# Usage: lab.sh up [N] | down | status | exec HOST CMD... | ssh HOST [CMD...] | rekey HOST
#        | libvirtd HOST kill|start   (fault tests: SIGKILL the host's libvirtd; start it again and wait)
#        | check-deps | install-deps | json
# See tests/lab/README.md for the layout, timings and traps.
#
# Needs root, Linux, and the Debian packages listed in DEB_PACKAGES (including `sudo`:
# lab hosts use the machine's sudo binary with their own sudoers.d). `lab.sh install-deps`
# installs them.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_SCRIPT="$LAB_DIR/$(basename "${BASH_SOURCE[0]}")"
# KVMLAB_ID=1..9 runs a separate lab beside the default one (own names, subnet 198.18.ID.0/24
# and state dir), e.g. to test the lab without disturbing a lab others are using.
LAB_ID=${KVMLAB_ID:-}
[[ -z $LAB_ID || $LAB_ID =~ ^[1-9]$ ]] || { echo "lab.sh: KVMLAB_ID must be 1..9" >&2; exit 2; }
P=kvmlab$LAB_ID                              # prefix of every machine-wide name of this lab
STATE=${KVMLAB_STATE_DIR:-$LAB_DIR/.state${LAB_ID:+/id$LAB_ID}}  # persistent, per clone (git-ignored)
RUNTIME=/run/$P                              # per machine: ns files, registry (what is up)
LOCK_FILE=/run/$P.lock
SWITCH_NS=$P-sw
ROOT_VETH=$P-gw
NET_PREFIX=198.18.${LAB_ID:-0}               # RFC 2544 benchmarking range: never routed
GATEWAY=$NET_PREFIX.1
MAX_HOSTS=12
LAB_PASSWORD='KvmLab-Passw0rd!'              # root and every lab user, lab hosts only
LAB_USERS=(kvmuser kvmnopw kvmlimited)
DEB_PACKAGES=(libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils openssh-server
  openssh-client iproute2 bridge-utils dnsmasq-base iptables genisoimage cpio busybox-static
  procps psmisc util-linux sudo openssl virtinst ovmf swtpm swtpm-tools iputils-ping
  network-manager dbus qemu-guest-agent)
# Binaries `check-deps` requires, with the package that brings each one.
REQUIRED_BINS=(unshare nsenter ip ss libvirtd virtlogd virsh sshd ssh ssh-keygen ssh-keyscan
  qemu-system-x86_64 qemu-img sudo taskset flock findmnt mountpoint openssl virt-install swtpm swtpm_setup
  ping dnsmasq qemu-ga)
# A clean environment for everything run inside a host (the caller's PATH may hold pyenv & co).
HOST_ENV=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root USER=root
  LOGNAME=root SHELL=/bin/bash LANG=C.UTF-8 "TERM=${TERM:-dumb}")

# ---------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------
T0=$(date +%s%N)
log() { [[ -n ${KVMLAB_QUIET:-} ]] || printf '[lab %5dms] %s\n' $((($(date +%s%N) - T0) / 1000000)) "$*" >&2; }
die() { echo "lab.sh: $*" >&2; exit 1; }
host_ip() { echo "$NET_PREFIX.$((10 + $1))"; }
host_index() { [[ $1 =~ ^kvm([1-9]|1[0-2])$ ]] || die "unknown host '$1' (expected kvm1..kvm$MAX_HOSTS)"; echo "${BASH_REMATCH[1]}"; }
host_netns() { echo "$P-$1"; }
host_rt() { echo "$RUNTIME/hosts/$1"; }          # ns files + markers of a running host
host_state() { echo "$STATE/hosts/$1"; }          # persistent identity (keys, cache, uuid)
host_run() { echo "$STATE/hosts/$1/run"; }        # files bind-mounted into the host, rebuilt on create

# True when FILE is a bind-mounted namespace (an empty file left by a crash or reboot is not).
is_nsfs() { [[ -e $1 ]] && [[ $(stat -f -c %T "$1" 2>/dev/null) == nsfs ]]; }
ns_inode() { stat -L -c %i "$1"; }

# Close every inherited fd above 2 (the lock, the caller's pipes): daemons must not keep them,
# or the next lab.sh blocks on the lock and the caller (a test runner) waits for EOF forever.
close_fds() {
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd=${fd##*/}
    if [[ $fd =~ ^[0-9]+$ ]] && ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
}

# waits for background jobs; fails if any failed
wait_all() {
  local p rc=0
  for p; do wait "$p" || rc=1; done
  return $rc
}

take_lock() {
  exec 9>"$LOCK_FILE"
  flock -w 300 9 || die "another lab.sh holds $LOCK_FILE"
}

# ---------------------------------------------------------------------------------------------
# dependencies
# ---------------------------------------------------------------------------------------------
# Prints nothing and returns 0 when the lab can run; else one line (the reason) and returns 1.
deps_reason() {
  [[ $(uname -s) == Linux ]] || { echo "not Linux"; return 1; }
  [[ $(id -u) == 0 ]] || { echo "not root"; return 1; }
  local b missing=()
  for b in "${REQUIRED_BINS[@]}"; do
    command -v "$b" >/dev/null 2>&1 || [[ -x /usr/sbin/$b ]] || missing+=("$b")
  done
  # UEFI guests: OVMF's QEMU firmware descriptors (package ovmf).
  [[ -e /usr/share/qemu/firmware/60-edk2-x86_64.json ]] || missing+=("ovmf firmware")
  ((${#missing[@]} == 0)) || { echo "missing: ${missing[*]}"; return 1; }
  [[ -e /proc/self/ns/cgroup ]] || { echo "kernel without cgroup namespaces"; return 1; }
  [[ -n $(findmnt -rn -t cgroup,cgroup2 -o TARGET | head -1) ]] || { echo "no cgroup filesystem mounted"; return 1; }
  unshare --net --mount --uts --cgroup true 2>/dev/null || { echo "cannot create namespaces (unshare failed)"; return 1; }
  return 0
}

cmd_check_deps() {
  local reason
  if reason=$(deps_reason); then echo "ok"; else echo "$reason"; return 1; fi
}

cmd_install_deps() {
  [[ $(id -u) == 0 ]] || die "not root"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${DEB_PACKAGES[@]}" >/dev/null
  cmd_check_deps
}

# ---------------------------------------------------------------------------------------------
# cgroups: one cgroup per host in every hierarchy, so that
#  - the host's cgroup namespace has its own root (libvirt's /machine/... of two hosts differ),
#  - `down` finds every process of a host (daemons, ssh sessions, QEMU guests) by membership.
# The lab's cgroups nest under the cgroups of the process that ran `up` (on this machine the
# memory hierarchy places each session in its own cgroup; the lab stays inside it).
# $RUNTIME/cgroups: one line per hierarchy: "<base dir>\t<fstype>\t<mount options>".
# ---------------------------------------------------------------------------------------------
cg_discover() {
  local mounts line ctls path target fstype opts root tok want ok base
  mounts=$(findmnt -rn -t cgroup,cgroup2 -o TARGET,FSTYPE,FS-OPTIONS,FSROOT)
  while IFS= read -r line; do   # /proc/self/cgroup: "id:controllers:path"
    line=${line#*:}; ctls=${line%%:*}; path=${line#*:}
    while read -r target fstype opts root; do
      if [[ -z $ctls ]]; then
        [[ $fstype == cgroup2 ]] || continue
        want=""
      else
        [[ $fstype == cgroup ]] || continue
        ok=1
        for tok in ${ctls//,/ }; do [[ ,$opts, == *,$tok,* ]] || ok=0; done
        ((ok)) || continue
        want=$ctls
        [[ $ctls == name=* ]] && want="none,$ctls"
      fi
      # the process's path is relative to the hierarchy root; the mount may show a subtree
      [[ $root == / ]] && root=""
      [[ $path == "$root"* ]] || continue
      base="$target${path#"$root"}"
      base="${base%/}/$P"
      printf '%s\t%s\t%s\n' "$base" "$fstype" "$want"
      break
    done <<<"$mounts"
  done </proc/self/cgroup
}

cg_bases() { if [[ -f $RUNTIME/cgroups ]]; then cut -f1 "$RUNTIME/cgroups"; fi; }

# mkdir a cgroup; a v1 cpuset cgroup is unusable until it has cpus and mems
cg_mkdir() {
  local dir=$1 f
  [[ -d $dir ]] || mkdir "$dir"
  if [[ -f $dir/cpuset.cpus ]]; then
    for f in cpuset.cpus cpuset.mems; do
      [[ -n $(<"$dir/$f") ]] || cat "$dir/../$f" >"$dir/$f"
    done
    echo 1 >"$dir/cgroup.clone_children"   # libvirt's child cgroups inherit cpus/mems
  fi
}

cg_create_base() { local b; for b in $(cg_bases); do cg_mkdir "$b"; done; }
cg_create_host() { local b; for b in $(cg_bases); do cg_mkdir "$b/$1"; done; }

# Move the calling (sub)shell into the host's cgroups: call it in a subshell, before nsenter.
cg_enter() {
  local b
  for b in $(cg_bases); do echo "$BASHPID" >"$b/$1/cgroup.procs"; done
}

cg_freezer() { awk -F'\t' '$3 ~ /(^|,)freezer(,|$)/ {print $1; exit}' "$RUNTIME/cgroups" 2>/dev/null; }

cg_remove_host() {
  local b
  for b in $(cg_bases); do
    if [[ -d $b/$1 ]]; then find "$b/$1" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
  done
  return 0
}

# ---------------------------------------------------------------------------------------------
# entering a host
# ---------------------------------------------------------------------------------------------
# Runs "$@" inside all namespaces of host $1 and in its cgroup, with a clean environment.
host_exec() {
  local h=$1; shift
  local rt; rt=$(host_rt "$h")
  is_nsfs "$rt/mnt" || die "$h is not up"
  (
    cg_enter "$h"
    exec nsenter --net="/run/netns/$(host_netns "$h")" --mount="$rt/mnt" --uts="$rt/uts" \
      --cgroup="$rt/cgroup" --wd=/ -- /usr/bin/env -i "${HOST_ENV[@]}" "$@"
  )
}

# Starts a daemon in host $1; its stdio goes to the host's log, no fd of ours leaks into it.
host_daemon() {
  local h=$1; shift
  local logf; logf="$(host_run "$h")/var-log/kvmlab-daemons.log"
  ( close_fds; host_exec "$h" "$@" ) </dev/null >>"$logf" 2>&1
}

# Reads a file of the host's private /run (pid files); mount namespace only, no side effects.
host_cat() {
  nsenter --mount="$(host_rt "$1")/mnt" -- cat "$2" 2>/dev/null || true
}

# pid $1 is alive and lives in host $2's mount namespace
pid_in_host() {
  local pid=$1 rt; rt=$(host_rt "$2")
  [[ $pid =~ ^[0-9]+$ ]] && [[ -e /proc/$pid ]] || return 1
  [[ $(readlink "/proc/$pid/ns/mnt" 2>/dev/null) == "mnt:[$(ns_inode "$rt/mnt")]" ]]
}

# ---------------------------------------------------------------------------------------------
# persistent files (.state): client key, /dev/kvm node, per-host identity
# ---------------------------------------------------------------------------------------------
ensure_state() {
  mkdir -p "$STATE/hosts" "$STATE/dev"
  chmod 700 "$STATE"
  if [[ ! -f $STATE/id_ed25519 ]]; then
    ssh-keygen -q -t ed25519 -N '' -C kvmlab-client -f "$STATE/id_ed25519"
  fi
  # What udev would make: /dev/kvm 0660 root:kvm. Created ONCE: its ctime is part of the key of
  # libvirt's QEMU capability cache, a new node means a 10 s re-probe on every host.
  if [[ -e /dev/kvm && ! -c $STATE/dev/kvm ]]; then
    rm -f "$STATE/dev/kvm"
    mknod -m 0660 "$STATE/dev/kvm" c 10 232
    chgrp kvm "$STATE/dev/kvm" 2>/dev/null || true
  fi
}

# Host keys, libvirt cache, host UUID and machine-id survive down/up (fast re-runs, stable
# known_hosts); `rekey` is the only thing that changes the host keys.
ensure_host_identity() {
  local h=$1 hs; hs=$(host_state "$h")
  mkdir -p "$hs/hostkeys" "$hs/cache"
  [[ -f $hs/hostkeys/ssh_host_ed25519_key ]] || gen_host_keys "$h"
  [[ -s $hs/uuid ]] || cat /proc/sys/kernel/random/uuid >"$hs/uuid"
  [[ -s $hs/machine-id ]] || tr -d '-' </proc/sys/kernel/random/uuid >"$hs/machine-id"
  [[ -d $hs/cache/qemu ]] || copy_dir_skeleton /var/cache/libvirt "$hs/cache"
}

gen_host_keys() {
  local h=$1 dir; dir="$(host_state "$1")/hostkeys"
  local t tmp pids=(); tmp=$(mktemp -d "$dir.XXXX")
  for t in ed25519 ecdsa rsa; do   # in parallel: rsa alone takes ~0.5-1 s
    ssh-keygen -q -t "$t" -N '' -C "root@$h" -f "$tmp/ssh_host_${t}_key" & pids+=($!)
  done
  wait_all "${pids[@]}" || die "ssh-keygen failed"
  rm -rf "$dir"; mv "$tmp" "$dir"; chmod 755 "$dir"
}

# Recreates the directories (not the files) of $1 under $2, with their modes and owners.
copy_dir_skeleton() {
  mkdir -p "$2"
  (cd "$1" && find . -mindepth 1 -type d -print0 | tar --null --no-recursion -T - -cf -) | tar -xpf - -C "$2"
}

# ---------------------------------------------------------------------------------------------
# host file trees: everything bind-mounted over the machine's paths inside a host.
# The parts all hosts share are built once per `up` in $STATE/template, then copied per host.
# ---------------------------------------------------------------------------------------------
build_template() {
  local tpl=$STATE/template
  rm -rf "${tpl:?}"; mkdir -p "$tpl/etc"

  # libvirt: the machine's configuration minus its domains, pools and secrets
  cp -a /etc/libvirt "$tpl/etc-libvirt"
  rm -rf "$tpl/etc-libvirt/storage" "$tpl/etc-libvirt/secrets" "$tpl/etc-libvirt/qemu/autostart"
  find "$tpl/etc-libvirt/qemu" "$tpl/etc-libvirt/lxc" -maxdepth 1 -name '*.xml' -delete 2>/dev/null || true
  rm -f "$tpl/etc-libvirt/qemu/networks/autostart"/*
  cat >>"$tpl/etc-libvirt/libvirtd.conf" <<EOF

# ---- KvmPS lab (tests/lab/lab.sh) ----
# No polkit/dbus in lab hosts: members of group libvirt get read-write access, like Debian's
# polkit rule gives them.
unix_sock_group = "libvirt"
unix_sock_ro_perms = "0777"
unix_sock_rw_perms = "0770"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
  copy_dir_skeleton /var/lib/libvirt "$tpl/var-lib-libvirt"
  copy_dir_skeleton /var/log "$tpl/var-log"
  rm -rf "$tpl/var-log/journal"
  touch "$tpl/var-log/wtmp" "$tpl/var-log/btmp" "$tpl/var-log/lastlog" "$tpl/var-log/faillog"
  chgrp utmp "$tpl/var-log/wtmp" "$tpl/var-log/btmp" "$tpl/var-log/lastlog" 2>/dev/null || true
  chmod 664 "$tpl/var-log/wtmp" "$tpl/var-log/lastlog"; chmod 660 "$tpl/var-log/btmp"

  # ssh: the machine's client config; server config and host keys are per host
  mkdir -p "$tpl/etc-ssh"
  cp -a /etc/ssh/. "$tpl/etc-ssh/"
  rm -f "$tpl/etc-ssh"/ssh_host_* "$tpl/etc-ssh/sshd_config"

  # root: clean dotfiles (the machine's .bashrc runs pyenv: +100 ms per ssh command), the lab
  # key as authorized key AND as own key (qemu+ssh:// between lab hosts)
  mkdir -p -m 700 "$tpl/root/.ssh"
  cp /usr/share/base-files/dot.bashrc "$tpl/root/.bashrc"
  cp /usr/share/base-files/dot.profile "$tpl/root/.profile"
  cp "$STATE/id_ed25519.pub" "$tpl/root/.ssh/authorized_keys"
  cp "$STATE/id_ed25519" "$STATE/id_ed25519.pub" "$tpl/root/.ssh/"
  touch "$tpl/root/.ssh/known_hosts"
  chmod 600 "$tpl/root/.ssh"/*; chmod 644 "$tpl/root/.ssh/id_ed25519.pub"
  chmod 700 "$tpl/root"

  make_accounts "$tpl"
  printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$GATEWAY" >"$tpl/etc/resolv.conf"
}

# /etc/hosts of every host: all lab hosts (kvm1..kvmN) and the gateway
hosts_file() {
  local n=$1 j
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'
  printf 'ff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n\n# KvmPS lab\n%s\tkvmlab-gw\n' "$GATEWAY"
  for ((j = 1; j <= n; j++)); do printf '%s\tkvm%s\n' "$(host_ip "$j")" "$j"; done
}

prepare_host_tree() {
  local i=$1 n=$2 h=kvm$1 ip; ip=$(host_ip "$1")
  local hs run; hs=$(host_state "$h"); run=$(host_run "$h")
  ensure_host_identity "$h"
  rm -rf "${run:?}"
  cp -a "$STATE/template" "$run"
  cat >>"$run/etc-libvirt/libvirtd.conf" <<EOF
# All hosts share the machine's SMBIOS UUID; migration refuses "the same host" without this.
host_uuid = "$(<"$hs/uuid")"
EOF
  cp -p "$hs/hostkeys"/ssh_host_* "$run/etc-ssh/"
  cat >"$run/etc-ssh/sshd_config" <<EOF
# KvmPS lab host $h (generated by tests/lab/lab.sh)
Include /etc/ssh/sshd_config.d/*.conf
ListenAddress $ip
Port 22
HostKey /etc/ssh/ssh_host_ed25519_key
HostKey /etc/ssh/ssh_host_ecdsa_key
HostKey /etc/ssh/ssh_host_rsa_key
PidFile /run/sshd.pid
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM yes
UseDNS no
# tests open many connections at once
MaxStartups 100:30:200
X11Forwarding no
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
  printf '%s\n' "$h" >"$run/etc/hostname"
  cp "$hs/machine-id" "$run/etc/machine-id"
  hosts_file "$n" >"$run/etc/hosts"
}

# Private /etc/passwd, shadow, group, gshadow, /etc/sudoers.d and /home:
#   root        password LAB_PASSWORD (PermitRootLogin yes) + lab key
#   kvmuser     groups libvirt,sudo   sudo asks for the password
#   kvmnopw     no libvirt group      sudo NOPASSWD: ALL (must use sudo to reach libvirt)
#   kvmlimited  group libvirt         no sudo
# Written here, not with useradd: inside the host these files are bind mounts, and useradd
# replaces files by rename, which fails on a bind-mounted file.
make_accounts() {
  local run=$1 etc=$1/etc f u uid days hash
  days=$(($(date +%s) / 86400))
  hash=$(openssl passwd -6 -stdin <<<"$LAB_PASSWORD")
  cp -p /etc/passwd /etc/group /etc/shadow /etc/gshadow "$etc/"
  # drop any same-named entries, set root's password
  for f in passwd group shadow gshadow; do
    awk -F: -v OFS=: -v users=" ${LAB_USERS[*]} " -v h="$hash" -v f="$f" '
      index(users, " " $1 " ") { next }
      f == "shadow" && $1 == "root" { $2 = h }
      { print }' "$etc/$f" >"$etc/$f.new"
    cat "$etc/$f.new" >"$etc/$f"; rm "$etc/$f.new"
  done
  mkdir -p "$run/home"; chmod 755 "$run/home"
  uid=2000
  for u in "${LAB_USERS[@]}"; do
    uid=$((uid + 1))
    while cut -d: -f3 "$etc/passwd" "$etc/group" | grep -qx "$uid"; do uid=$((uid + 1)); done
    echo "$u:x:$uid:$uid:KvmPS lab user:/home/$u:/bin/bash" >>"$etc/passwd"
    echo "$u:x:$uid:" >>"$etc/group"
    echo "$u:$hash:$days:0:99999:7:::" >>"$etc/shadow"
    echo "$u:!::" >>"$etc/gshadow"
    mkdir -p "$run/home/$u/.ssh"
    cp -a /etc/skel/. "$run/home/$u/"
    cp "$STATE/id_ed25519.pub" "$run/home/$u/.ssh/authorized_keys"
    chmod 700 "$run/home/$u/.ssh"; chmod 600 "$run/home/$u/.ssh/authorized_keys"; chmod 750 "$run/home/$u"
    chown -R "$uid:$uid" "$run/home/$u"
  done
  add_member "$etc" libvirt kvmuser; add_member "$etc" sudo kvmuser
  add_member "$etc" libvirt kvmlimited
  mkdir -p "$run/sudoers.d"
  cp -a /etc/sudoers.d/. "$run/sudoers.d/"
  echo "kvmnopw ALL=(ALL:ALL) NOPASSWD: ALL" >"$run/sudoers.d/kvmlab"
  chmod 440 "$run/sudoers.d/kvmlab"; chmod 755 "$run/sudoers.d"
}

add_member() {  # etc-dir group user: adds user to the member list in group and gshadow
  local etc=$1 g=$2 u=$3 f
  for f in group gshadow; do
    awk -F: -v OFS=: -v g="$g" -v u="$u" '$1 == g { $4 = ($4 == "" ? u : $4 "," u) } { print }' \
      "$etc/$f" >"$etc/$f.new"
    cat "$etc/$f.new" >"$etc/$f"; rm "$etc/$f.new"
  done
}

# ---------------------------------------------------------------------------------------------
# namespaces
# ---------------------------------------------------------------------------------------------
# Runs inside the new mount/UTS/cgroup namespaces (and the host's netns) to build the host's
# view of the filesystem. Serialized with `declare -f` into `bash -c`: sees no lab.sh globals.
host_setup() {
  set -euo pipefail
  local h=$1 hs=$2 kvmnode=$3 cgspec=$4 m mp fstype opts   # cgspec: text, not a file
  hostname "$h"
  # The host's files first, while every source path is still visible (.state may live under
  # /tmp, /root or /run, all of which get covered below). Sources are relative to the host's
  # state dir, our cwd, and not canonicalized (-c): the kernel resolves them from the cwd,
  # which stays valid when an ancestor is mounted over.
  if [[ -n $kvmnode ]]; then mount --bind "$kvmnode" /dev/kvm; fi
  cd "$hs"
  mount -c --bind run/etc-libvirt /etc/libvirt
  mount -c --bind run/var-lib-libvirt /var/lib/libvirt
  mount -c --bind run/var-log /var/log
  mount -c --bind cache /var/cache/libvirt
  mount -c --bind run/etc-ssh /etc/ssh
  mount -c --bind run/root /root
  mount -c --bind run/home /home
  mount -c --bind run/sudoers.d /etc/sudoers.d
  for m in hosts hostname resolv.conf machine-id passwd shadow group gshadow; do
    mount -c --bind "run/etc/$m" "/etc/$m"
  done
  cd /
  # Detach what only makes sense in the root namespace (the ns files of the lab, ip netns):
  # a copy kept here would keep other hosts' namespaces alive after they are taken down.
  for m in $(findmnt -rn -o TARGET | grep '^/run/' | sort -r); do umount -l "$m" 2>/dev/null || true; done
  mount -t tmpfs -o mode=755,nosuid,nodev,size=256m tmpfs /run
  mkdir -p /run/lock /run/sshd /run/libvirt /run/user
  chmod 1777 /run/lock
  touch /run/utmp; chgrp utmp /run/utmp 2>/dev/null || true; chmod 664 /run/utmp
  mount -t tmpfs -o mode=1777,nosuid,nodev,size=2g tmpfs /tmp
  # A sysfs mounted from inside the netns shows only this host's network devices.
  umount -l /sys
  mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
  # cgroup hierarchies mounted inside the cgroup namespace: their root is the host's cgroup.
  mount -t tmpfs -o mode=755,nosuid,nodev,noexec tmpfs /sys/fs/cgroup
  while IFS=$'\t' read -r mp fstype opts; do
    mkdir -p "$mp"
    if [[ $fstype == cgroup2 ]]; then
      mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$mp"
    else
      mount -t cgroup -o "nosuid,nodev,noexec,$opts" cgroup "$mp"
    fi
  done <<<"$cgspec"
}

# Creates the persistent namespaces of host $1 (network namespace already made).
host_namespaces() {
  local h=$1 rt kvmnode=""
  rt=$(host_rt "$h")
  mkdir -p "$rt"; touch "$rt/mnt" "$rt/uts" "$rt/cgroup"
  [[ -c $STATE/dev/kvm && -e /dev/kvm ]] && kvmnode="$STATE/dev/kvm"
  (
    cg_enter "$h"   # before unshare: the cgroup namespace's root is the cgroup we are in
    close_fds
    exec nsenter --net="/run/netns/$(host_netns "$h")" -- \
      unshare --mount="$rt/mnt" --uts="$rt/uts" --cgroup="$rt/cgroup" --propagation private -- \
      /bin/bash -c "$(declare -f host_setup); host_setup \"\$@\"" host_setup \
      "$h" "$(host_state "$h")" "$kvmnode" "$(<"$RUNTIME/cgspec")"
  ) </dev/null
}

# Where each cgroup hierarchy is mounted, and with which options: host_setup re-mounts them.
write_cgspec() {
  local base fstype opts
  while IFS=$'\t' read -r base fstype opts; do
    printf '%s\t%s\t%s\n' "$(findmnt -rn -o TARGET --target "$base" | head -1)" "$fstype" "$opts"
  done <"$RUNTIME/cgroups" >"$RUNTIME/cgspec"
}

# ---------------------------------------------------------------------------------------------
# network: switch netns with bridge br0; root veth kvmlab-gw (198.18.0.1) -> port "uplink";
# host i: eth0 in its netns -> port "p<i>" on the bridge. No default route in hosts.
# ---------------------------------------------------------------------------------------------
net_up() {
  ip netns add "$SWITCH_NS"
  ip -n "$SWITCH_NS" link set lo up
  ip -n "$SWITCH_NS" link add br0 type bridge stp_state 0 forward_delay 0
  ip -n "$SWITCH_NS" link set br0 up
  ip link add "$ROOT_VETH" type veth peer name uplink netns "$SWITCH_NS"
  ip -n "$SWITCH_NS" link set uplink master br0 up
  ip addr add "$GATEWAY/24" dev "$ROOT_VETH"
  ip link set "$ROOT_VETH" up
  dns_up
}

# The DNS server the hosts' resolv.conf names (the gateway), so that DNS checks (New-KvmBridge)
# have something real to ask: gw.kvmlab.test is the gateway; nothing is forwarded anywhere.
dns_up() {
  dnsmasq --conf-file=/dev/null --port=53 --listen-address="$GATEWAY" --bind-interfaces \
    --no-resolv --no-hosts --no-poll --address="/gw.kvmlab.test/$GATEWAY" --pid-file="$RUNTIME/dns.pid" ||
    die "dnsmasq did not start on $GATEWAY:53"
}

net_healthy() {
  is_nsfs "/run/netns/$SWITCH_NS" &&
    ip -br addr show dev "$ROOT_VETH" 2>/dev/null | grep -q "$GATEWAY/24" &&
    ip -n "$SWITCH_NS" link show br0 >/dev/null 2>&1 &&
    [[ -s $RUNTIME/dns.pid ]] && kill -0 "$(cat "$RUNTIME/dns.pid")" 2>/dev/null
}

net_host_up() {
  local i=$1 h=kvm$1 ns; ns=$(host_netns "kvm$1")
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip -n "$SWITCH_NS" link add "p$i" type veth peer name eth0 netns "$ns"
  ip -n "$ns" link set eth0 address "02:4b:56:00:0${LAB_ID:-0}:$((10 + i))"
  ip -n "$SWITCH_NS" link set "p$i" master br0 up
  ip -n "$ns" addr add "$(host_ip "$i")/24" dev eth0
  ip -n "$ns" link set eth0 up
}

# ---------------------------------------------------------------------------------------------
# host lifecycle
# ---------------------------------------------------------------------------------------------
# Everything of host $1 (of $2 hosts) except libvirtd (started later: the capability cache).
host_create() {
  local i=$1 h=kvm$1
  log "$h: files"
  prepare_host_tree "$i" "$2"
  net_host_up "$i"
  cg_create_host "$h"
  log "$h: namespaces"
  host_namespaces "$h"
  host_daemon "$h" virtlogd -d
  host_daemon "$h" /usr/sbin/sshd -E /var/log/sshd.log
}

host_start_libvirtd() {
  # pinned: the cache holds CPUID data of the CPU libvirtd starts on
  host_daemon "$1" taskset -c 0 /usr/sbin/libvirtd -d
}

# Waits until host $1 answers: libvirtd on qemu:///system (reporting its own hostname) and sshd.
host_wait_ready() {
  local h=$1 ip deadline out
  ip=$(host_ip "$(host_index "$h")")
  deadline=$((SECONDS + ${KVMLAB_START_TIMEOUT:-120}))
  while :; do
    out=$(host_exec "$h" timeout 30 virsh -q -c qemu:///system hostname 2>/dev/null) || true
    [[ $out == "$h" ]] && break
    ((SECONDS < deadline)) || { echo "$h: libvirtd not ready (see $(host_run "$h")/var-log/libvirt/libvirtd.log)" >&2; return 1; }
    sleep 0.1
  done
  # Ask for the capabilities now: ~70 ms from a valid cache, else libvirt probes QEMU (~8 s)
  # here rather than in the middle of the first test that defines a domain.
  host_exec "$h" timeout 120 virsh -q -c qemu:///system capabilities >/dev/null ||
    { echo "$h: virsh capabilities failed" >&2; return 1; }
  while ! host_sshd_listening "$h"; do
    ((SECONDS < deadline)) || { echo "$h: sshd not listening on $ip:22" >&2; return 1; }
    sleep 0.05
  done
  touch "$(host_rt "$h")/ready"
}

host_sshd_listening() {
  [[ -n $(nsenter --net="/run/netns/$(host_netns "$1")" -- ss -Hltn 'sport = :22' 2>/dev/null) ]]
}

# Prints "sshd libvirtd virtlogd" pids (0 when missing) read from the host's pid files.
host_pids() {
  local f p out=()
  for f in sshd libvirtd virtlogd; do
    p=$(host_cat "$1" "/run/$f.pid" | tr -dc 0-9)
    out+=("${p:-0}")
  done
  echo "${out[*]}"
}

# Healthy = namespaces present, the three daemons alive inside it, sshd listening, libvirtd
# answering. Prints the reason when not.
host_health() {
  local h=$1 rt ns p pids name names=(sshd libvirtd virtlogd) k=0 out
  rt=$(host_rt "$h")
  for ns in mnt uts cgroup; do is_nsfs "$rt/$ns" || { echo "no $ns namespace"; return 1; }; done
  is_nsfs "/run/netns/$(host_netns "$h")" || { echo "no network namespace"; return 1; }
  [[ -f $rt/ready ]] || { echo "never finished starting"; return 1; }
  read -r -a pids <<<"$(host_pids "$h")"
  for p in "${pids[@]}"; do
    name=${names[k]}; k=$((k + 1))
    pid_in_host "$p" "$h" || { echo "$name not running"; return 1; }
  done
  host_sshd_listening "$h" || { echo "sshd not listening"; return 1; }
  out=$(host_exec "$h" timeout 10 virsh -q -c qemu:///system hostname 2>/dev/null) || true
  [[ $out == "$h" ]] || { echo "libvirtd not answering"; return 1; }
  return 0
}

# Kills every process of the given hosts: members of their cgroups (daemons, ssh sessions,
# QEMU guests, `lab.sh exec` commands) and any process in their mount or network namespaces
# (`ip netns exec` users). Never by name: the machine may run its own sshd and libvirtd.
kill_hosts() {
  local h rt ns fz track round pids dirs=() pat=()
  fz=$(cg_freezer)
  track=${fz:-$(cg_bases | head -1)}
  for h; do
    rt=$(host_rt "$h")
    is_nsfs "$rt/mnt" && pat+=(-o -lname "mnt:\[$(ns_inode "$rt/mnt")\]")
    ns=/run/netns/$(host_netns "$h")
    is_nsfs "$ns" && pat+=(-o -lname "net:\[$(ns_inode "$ns")\]")
    [[ -n $track && -d $track/$h ]] && dirs+=("$track/$h")
  done
  for round in {1..200}; do
    pids=$(
      {
        ((${#dirs[@]} == 0)) || find "${dirs[@]}" -name cgroup.procs -exec cat {} + 2>/dev/null
        ((${#pat[@]} == 0)) || find /proc/[0-9]*/ns/mnt /proc/[0-9]*/ns/net -maxdepth 0 \
          \( -false "${pat[@]}" \) 2>/dev/null | cut -d/ -f3
      } | grep -vx -e "$$" -e "$BASHPID" | sort -un
    ) || true
    [[ -z $pids ]] && return 0
    # Freeze first (the v1 freezer freezes a whole subtree): nothing forks while we kill.
    # Frozen tasks die of the SIGKILL when thawed.
    if [[ -n $fz ]]; then for h in "${dirs[@]}"; do echo FROZEN >"$h/freezer.state" 2>/dev/null || true; done; fi
    # shellcheck disable=SC2086
    kill -9 $pids 2>/dev/null || true
    if [[ -n $fz ]]; then for h in "${dirs[@]}"; do echo THAWED >"$h/freezer.state" 2>/dev/null || true; done; fi
    sleep 0.01
  done
  echo "lab.sh: warning: processes survived SIGKILL:" $pids >&2
}

# Takes hosts down: processes, namespaces, veths, cgroups. Keeps .state (keys, cache).
hosts_down() {
  local h rt ns f
  (($#)) || return 0
  kill_hosts "$@"
  for h; do
    rt=$(host_rt "$h")
    for f in mnt uts cgroup; do
      if is_nsfs "$rt/$f"; then umount "$rt/$f" 2>/dev/null || umount -l "$rt/$f" 2>/dev/null || true; fi
    done
    rm -rf "${rt:?}"
    ns=$(host_netns "$h")
    if [[ -e /run/netns/$ns ]]; then ip netns del "$ns" 2>/dev/null || true; fi
    cg_remove_host "$h"
  done
}

# ---------------------------------------------------------------------------------------------
# the lab as a whole
# ---------------------------------------------------------------------------------------------
script_hash() { sha256sum "$LAB_SCRIPT" | cut -c1-16; }

registered_hosts() {
  [[ -d $RUNTIME/hosts ]] || return 0
  local d; for d in "$RUNTIME"/hosts/kvm*; do [[ -d $d ]] && basename "$d"; done; return 0
}

runtime_init() {
  mkdir -p "$RUNTIME/hosts"
  # ns files must live on a private mount (else: "unshare: mount ... failed: Invalid argument")
  if ! mountpoint -q "$RUNTIME"; then mount --bind "$RUNTIME" "$RUNTIME"; fi
  mount --make-private "$RUNTIME"
  # the lab's subnet must be ours alone
  local used
  used=$(ip -o -4 addr show | awk -v p="$NET_PREFIX." 'index($4, p) == 1 {print $2}' | head -1)
  [[ -z $used ]] || die "$NET_PREFIX.0/24 is already used by interface $used"
  cg_discover >"$RUNTIME/cgroups"
  [[ -s $RUNTIME/cgroups ]] || die "found no cgroup hierarchy for this process"
  cg_create_base
  write_cgspec
  net_up
  printf 'STATE_DIR=%s\nSCRIPT_HASH=%s\n' "$STATE" "$(script_hash)" >"$RUNTIME/lab.env"
}

teardown_all() {
  local b
  # registered hosts, and strays: namespaces of a lab whose registry is gone
  # shellcheck disable=SC2046
  hosts_down $( (registered_hosts; ip netns list 2>/dev/null | awk -v p="$P-" 'index($1, p) == 1 && substr($1, length(p) + 1) ~ /^kvm([1-9]|1[0-2])$/ {print substr($1, length(p) + 1)}') | sort -u)
  if [[ -e /run/netns/$SWITCH_NS ]]; then ip netns del "$SWITCH_NS" 2>/dev/null || true; fi
  if [[ -s $RUNTIME/dns.pid ]]; then kill "$(cat "$RUNTIME/dns.pid")" 2>/dev/null || true; fi
  ip link del "$ROOT_VETH" 2>/dev/null || true
  for b in $(cg_bases); do
    if [[ -d $b ]]; then find "$b" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
  done
  if mountpoint -q "$RUNTIME" 2>/dev/null; then umount "$RUNTIME" 2>/dev/null || umount -l "$RUNTIME"; fi
  rm -rf "${RUNTIME:?}"
  rm -f "$STATE/lab.json"
}

# A lab up for another clone (other .state) or built by another version of this script is
# rebuilt from scratch.
runtime_matches() {
  [[ -f $RUNTIME/lab.env ]] || return 1
  grep -qxF "STATE_DIR=$STATE" "$RUNTIME/lab.env" && grep -qxF "SCRIPT_HASH=$(script_hash)" "$RUNTIME/lab.env"
}

# libvirt's QEMU capability cache: the first libvirtd start ever probes QEMU (~8 s of CPU per
# host). The cache of a host that answered `virsh capabilities` is kept in $CAPS_SEED and
# copied to every host before its libvirtd starts. Returns 1 when there is no seed yet.
CAPS_SEED=$STATE/caps-cache
seed_caps_cache() {
  local h d
  compgen -G "$CAPS_SEED/*.xml" >/dev/null || return 1
  for h; do
    d="$(host_state "$h")/cache/qemu/capabilities"
    mkdir -p "$d"; rm -f "$d"/*.xml; cp -p "$CAPS_SEED"/*.xml "$d/"
  done
}

save_caps_seed() {
  local src tmp
  src="$(host_state "$1")/cache/qemu/capabilities"
  compgen -G "$src/*.xml" >/dev/null || return 0
  tmp=$(mktemp -d "$CAPS_SEED.XXXX")
  cp -p "$src"/*.xml "$tmp/"
  rm -rf "${CAPS_SEED:?}"; mv "$tmp" "$CAPS_SEED"
}

# In-place writes: /etc/hosts and known_hosts are bind mounts (rename would fail / detach).
write_lab_files() {
  local n=$1 i h ip t pub kh="$STATE/known_hosts" json="$STATE/lab.json" tmp sep hsep
  tmp=$(mktemp "$STATE/.known_hosts.XXXX")
  for ((i = 1; i <= n; i++)); do
    h=kvm$i; ip=$(host_ip "$i")
    for t in ed25519 ecdsa rsa; do
      pub=$(cut -d' ' -f1,2 "$(host_state "$h")/hostkeys/ssh_host_${t}_key.pub")
      echo "$ip $pub"; echo "$h $pub"
    done
  done >"$tmp"
  mv "$tmp" "$kh"; chmod 644 "$kh"
  for ((i = 1; i <= n; i++)); do
    h=kvm$i
    hosts_file "$n" >"$(host_run "$h")/etc/hosts"
    cat "$kh" >"$(host_run "$h")/root/.ssh/known_hosts"
  done
  # lab.json
  tmp=$(mktemp "$STATE/.lab.json.XXXX")
  {
    printf '{\n  "hosts": [\n'
    for ((i = 1; i <= n; i++)); do
      h=kvm$i
      printf '    {\n      "name": "%s",\n      "address": "%s",\n      "port": 22,\n' "$h" "$(host_ip "$i")"
      printf '      "user": "root",\n      "password": "%s",\n' "$LAB_PASSWORD"
      printf '      "keyFile": "%s",\n      "hostKeys": {' "$STATE/id_ed25519"
      hsep=""
      for t in ed25519 ecdsa rsa; do
        read -r _ fp _ < <(ssh-keygen -l -E sha256 -f "$(host_state "$h")/hostkeys/ssh_host_${t}_key.pub")
        printf '%s\n        "%s": "%s"' "$hsep" "$(cut -d' ' -f1 "$(host_state "$h")/hostkeys/ssh_host_${t}_key.pub")" "$fp"
        hsep=","
      done
      sep=","; ((i == n)) && sep=""
      printf '\n      }\n    }%s\n' "$sep"
    done
    printf '  ],\n  "users": [\n'
    printf '    { "name": "root", "password": "%s", "sudo": "root", "groups": [] },\n' "$LAB_PASSWORD"
    printf '    { "name": "kvmuser", "password": "%s", "sudo": "password", "groups": ["libvirt", "sudo"] },\n' "$LAB_PASSWORD"
    printf '    { "name": "kvmnopw", "password": "%s", "sudo": "nopasswd", "groups": [] },\n' "$LAB_PASSWORD"
    printf '    { "name": "kvmlimited", "password": "%s", "sudo": "none", "groups": ["libvirt"] }\n' "$LAB_PASSWORD"
    printf '  ],\n  "keyFile": "%s",\n  "knownHosts": "%s",\n' "$STATE/id_ed25519" "$kh"
    printf '  "gateway": "%s",\n  "labScript": "%s"\n}\n' "$GATEWAY" "$LAB_SCRIPT"
  } >"$tmp"
  mv "$tmp" "$json"; chmod 644 "$json"
}

cmd_up() {
  local n=${1:-2} reason i h health rebuilt=() first kept=() pids=()
  [[ $n =~ ^([1-9]|1[0-2])$ ]] || die "host count must be 1..$MAX_HOSTS"
  reason=$(deps_reason) || die "$reason"
  take_lock
  ensure_state
  if ! runtime_matches || ! net_healthy; then
    # nothing up, a half-built or broken switch, or a lab of another clone / script version
    if [[ -e $RUNTIME || -e /run/netns/$SWITCH_NS ]] || ip link show "$ROOT_VETH" >/dev/null 2>&1; then
      log "tearing down a stale or broken lab"
      teardown_all
    fi
    log "creating switch"
    runtime_init
  fi

  for h in $(registered_hosts); do
    (($(host_index "$h") > n)) && { log "$h: not wanted, down"; hosts_down "$h"; }
  done
  # health of the hosts that exist, checked in parallel (~0.1 s each)
  local checks; checks=$(mktemp -d)
  for ((i = 1; i <= n; i++)); do
    h=kvm$i
    if [[ -d $(host_rt "$h") ]] || [[ -e /run/netns/$(host_netns "$h") ]]; then
      { if host_health "$h" >"$checks/$h"; then echo ok >"$checks/$h"; fi; } &
      pids+=($!)
    fi
  done
  wait_all "${pids[@]}" || true
  pids=()
  for ((i = 1; i <= n; i++)); do
    h=kvm$i
    if [[ -f $checks/$h ]]; then
      health=$(<"$checks/$h")
      if [[ $health == ok ]]; then kept+=("$h"); continue; fi
      log "$h: unhealthy (${health:-unknown}): rebuilding"
      hosts_down "$h"
    fi
    rebuilt+=("$h")
  done
  rm -rf "$checks"

  if ((${#rebuilt[@]})); then
    build_template
    for h in "${rebuilt[@]}"; do host_create "$(host_index "$h")" "$n" & pids+=($!); done
    wait_all "${pids[@]}" || die "could not create the hosts"
    # libvirtd: with a capability cache all start at once; without, the first one probes
    # QEMU and its cache seeds the others
    if ! seed_caps_cache "${rebuilt[@]}"; then
      first=${rebuilt[0]}
      log "$first: first libvirtd start ever: probing QEMU (~10 s)"
      host_start_libvirtd "$first"
      host_wait_ready "$first"
      save_caps_seed "$first"
      seed_caps_cache "${rebuilt[@]:1}" || true
    fi
    log "starting libvirtd: ${rebuilt[*]}"
    for h in "${rebuilt[@]}"; do
      [[ -f $(host_rt "$h")/ready ]] || host_start_libvirtd "$h"
    done
    pids=()
    for h in "${rebuilt[@]}"; do host_wait_ready "$h" & pids+=($!); done
    wait_all "${pids[@]}" || die "lab did not come up (run: $LAB_SCRIPT status)"
    save_caps_seed "${rebuilt[0]}"   # refreshed if libvirt re-probed (after an upgrade)
  fi
  if ((${#rebuilt[@]})) || [[ ! -f $STATE/lab.json ]] || (($(grep -c '"name": "kvm' "$STATE/lab.json") != n)); then
    write_lab_files "$n"
  fi
  log "up: kept ${kept[*]:-none}; built ${rebuilt[*]:-none}"
  for ((i = 1; i <= n; i++)); do echo "kvm$i $(host_ip "$i")"; done
}

cmd_down() {
  take_lock
  teardown_all
  log "down"
}

cmd_status() {
  local h i rc=0 health pids
  if [[ ! -f $RUNTIME/lab.env ]]; then echo "lab: down"; return 1; fi
  net_healthy || { echo "lab: network broken"; rc=1; }
  local hosts; hosts=$(registered_hosts)
  [[ -n $hosts ]] || { echo "lab: no hosts"; return 1; }
  for h in $hosts; do
    i=$(host_index "$h")
    pids=(0 0 0)
    is_nsfs "$(host_rt "$h")/mnt" && read -r -a pids <<<"$(host_pids "$h")"
    if health=$(host_health "$h"); then
      printf '%s\t%s\tup\tsshd=%s libvirtd=%s virtlogd=%s\n' "$h" "$(host_ip "$i")" "${pids[@]}"
    else
      printf '%s\t%s\tdown\t%s (sshd=%s libvirtd=%s virtlogd=%s)\n' "$h" "$(host_ip "$i")" "$health" "${pids[@]}"
      rc=1
    fi
  done
  return $rc
}

cmd_exec() {
  (($# >= 2)) || die "usage: lab.sh exec HOST CMD [ARGS...]"
  local h=$1; shift
  host_index "$h" >/dev/null
  host_exec "$h" "$@"
}

cmd_ssh() {
  (($# >= 1)) || die "usage: lab.sh ssh HOST [CMD...]"
  local h=$1; shift
  exec ssh -i "$STATE/id_ed25519" -o UserKnownHostsFile="$STATE/known_hosts" -o StrictHostKeyChecking=yes \
    -o BatchMode=yes -o ConnectTimeout=5 "root@$(host_ip "$(host_index "$h")")" "$@"
}

cmd_rekey() {
  (($# == 1)) || die "usage: lab.sh rekey HOST"
  local h=$1 i ip pid n deadline t new
  i=$(host_index "$h"); ip=$(host_ip "$i")
  take_lock
  host_health "$h" >/dev/null || die "$h is not up"
  gen_host_keys "$h"
  new=$(cut -d' ' -f2 "$(host_state "$h")/hostkeys/ssh_host_ed25519_key.pub")
  for t in ed25519 ecdsa rsa; do   # /etc/ssh of the host is a bind mount of this directory
    cat "$(host_state "$h")/hostkeys/ssh_host_${t}_key" >"$(host_run "$h")/etc-ssh/ssh_host_${t}_key"
    cat "$(host_state "$h")/hostkeys/ssh_host_${t}_key.pub" >"$(host_run "$h")/etc-ssh/ssh_host_${t}_key.pub"
  done
  # SIGHUP: sshd re-executes itself and loads the new keys (open sessions survive)
  read -r pid _ <<<"$(host_pids "$h")"
  kill -HUP "$pid"
  deadline=$((SECONDS + 10))
  until ssh-keyscan -T 2 -t ed25519 "$ip" 2>/dev/null | grep -qF "$new"; do
    ((SECONDS < deadline)) || die "$h: sshd did not load the new keys"
    sleep 0.05
  done
  n=$(registered_hosts | wc -l)
  write_lab_files "$n"
  log "$h: new host keys loaded"
  for t in ed25519 ecdsa rsa; do ssh-keygen -l -E sha256 -f "$(host_run "$h")/etc-ssh/ssh_host_${t}_key.pub"; done
}

cmd_json() { cat "$STATE/lab.json"; }

# Fault tests: libvirtd of one host killed as a crash would (its QEMU processes live on), then
# started again the way `up` starts it, and waited for.
cmd_libvirtd() {
  (($# == 2)) || die "usage: lab.sh libvirtd HOST kill|start"
  local h=$1 pid
  host_index "$h" >/dev/null
  pid=$(host_cat "$h" /run/libvirtd.pid | tr -dc 0-9)
  case $2 in
    kill)
      pid_in_host "$pid" "$h" || die "$h: libvirtd is not running"
      kill -KILL "$pid"
      while [[ -e /proc/$pid ]]; do sleep 0.05; done
      log "$h: libvirtd ($pid) killed" ;;
    start)
      pid_in_host "$pid" "$h" && die "$h: libvirtd is running ($pid)"
      host_exec "$h" rm -f /run/libvirtd.pid
      host_start_libvirtd "$h"
      host_wait_ready "$h"
      log "$h: libvirtd started" ;;
    *) die "usage: lab.sh libvirtd HOST kill|start" ;;
  esac
}

usage() {
  sed -n '2,/^set -euo/p' "$LAB_SCRIPT" | grep '^#' | sed 's/^# \{0,1\}//'
}

main() {
  local cmd=${1:-help}
  (($#)) && shift
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    exec) cmd_exec "$@" ;;
    ssh) cmd_ssh "$@" ;;
    rekey) cmd_rekey "$@" ;;
    libvirtd) cmd_libvirtd "$@" ;;
    check-deps) cmd_check_deps ;;
    install-deps) cmd_install_deps ;;
    json) cmd_json ;;
    help | -h | --help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"

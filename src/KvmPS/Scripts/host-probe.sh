# KvmPS host probe: every fact about a host in one round trip. Fed on stdin to sh; no arguments.
# Prints raw sections ("@@name" then content); all interpretation happens in HostFactsParser,
# so this script stays portable (RHEL 5's bash 3 and busybox sh alike) and never fails halfway.
# Nothing here changes the host.

section() { printf '\n@@%s\n' "$1"; }
have() { command -v "$1" >/dev/null 2>&1; }
# Bounded: a hung libvirtd must not hang the probe.
bounded() { if have timeout; then timeout 10 "$@"; else "$@"; fi; }

section uid; id -u
section hostname; uname -n
section kernel; uname -r
section arch; uname -m
section os-release; cat /etc/os-release 2>/dev/null
section redhat-release; cat /etc/redhat-release 2>/dev/null
section cpuinfo
# One processor's identity and flags, and the count of processors.
grep -m1 '^vendor_id' /proc/cpuinfo 2>/dev/null
grep -m1 '^model name' /proc/cpuinfo 2>/dev/null
grep -m1 '^flags' /proc/cpuinfo 2>/dev/null
printf 'processors\t: %s\n' "$(grep -c '^processor' /proc/cpuinfo 2>/dev/null)"
section meminfo; grep -E '^(MemTotal|MemAvailable|MemFree):' /proc/meminfo 2>/dev/null
section modules
# /sys/module lists built-in modules too (this kernel may have no /proc/modules at all).
{ ls /sys/module 2>/dev/null; cut -d' ' -f1 /proc/modules 2>/dev/null; } | grep -E '^(kvm|kvm_[a-z]+|vhost_net|tun)$' | sort -u
section dev-kvm; ls -ln /dev/kvm 2>/dev/null
section pid1; cat /proc/1/comm 2>/dev/null
section paths
# Presence markers: one per line, only the ones that exist.
for p in /run/systemd/system /etc/init.d /etc/rc.d/init.d /sbin/chkconfig /usr/sbin/service /sbin/service \
         /etc/sysconfig/network-scripts /etc/network/interfaces /etc/netplan /usr/sbin/NetworkManager \
         /run/libvirt/libvirt-sock /run/libvirt/virtqemud-sock /var/run/libvirt/libvirt-sock \
         /usr/sbin/libvirtd /usr/sbin/virtqemud /sys/fs/selinux /sys/fs/cgroup/cgroup.controllers; do
    [ -e "$p" ] && printf '%s\n' "$p"
done
section commands
for c in dnf yum apt-get zypper virsh nmcli systemctl getenforce qemu-img virt-install; do
    have "$c" && printf '%s\n' "$c"
done
section daemons
# By pid file, not by process name: in a container or lab host, ps may show other hosts' daemons.
for d in libvirtd virtqemud virtnetworkd virtstoraged virtproxyd virtlogd NetworkManager; do
    for f in /run/$d.pid /var/run/$d.pid /run/NetworkManager/NetworkManager.pid; do
        case "$f" in */NetworkManager/*) [ "$d" = NetworkManager ] || continue ;; esac
        if [ -r "$f" ] && kill -0 "$(cat "$f" 2>/dev/null)" 2>/dev/null; then printf '%s\n' "$d"; break; fi
    done
done
section selinux; { have getenforce && getenforce; } 2>/dev/null
section libvirt-version; { have virsh && virsh --version; } 2>/dev/null
section qemu-version
for q in /usr/libexec/qemu-kvm /usr/bin/qemu-kvm /usr/bin/qemu-system-x86_64 /usr/bin/qemu-system-aarch64; do
    if [ -x "$q" ]; then "$q" --version 2>/dev/null | head -n1; break; fi
done
section guests-all; { have virsh && bounded virsh -c qemu:///system list --all --name; } 2>/dev/null
section guests-running; { have virsh && bounded virsh -c qemu:///system list --name; } 2>/dev/null
section end

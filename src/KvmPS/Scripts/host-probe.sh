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
# /proc/1/stat, not /proc/1/comm: the comm file only exists from Linux 2.6.33 (RHEL 5 is 2.6.18).
section pid1; sed -n 's/^[0-9]* (\([^)]*\)).*/\1/p' /proc/1/stat 2>/dev/null
section paths
# Presence markers: one per line, only the ones that exist.
for p in /run/systemd/system /etc/init.d /etc/rc.d/init.d /sbin/chkconfig /usr/sbin/service /sbin/service \
         /etc/sysconfig/network-scripts /etc/network/interfaces /etc/netplan /usr/sbin/NetworkManager \
         /run/libvirt/libvirt-sock /run/libvirt/virtqemud-sock /var/run/libvirt/libvirt-sock \
         /usr/sbin/libvirtd /usr/sbin/virtqemud /usr/sbin/virtlogd /sys/fs/selinux /sys/fs/cgroup/cgroup.controllers; do
    [ -e "$p" ] && printf '%s\n' "$p"
done
section commands
for c in dnf yum apt-get zypper virsh nmcli systemctl getenforce qemu-img virt-install chkconfig service update-rc.d rc-update rc-service; do
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
# --- what Test-KvmCapability needs beyond the summary above ---
section dmesg-virt
# The kernel says why KVM is unavailable ("kvm: disabled by bios", "SVM disabled (by BIOS) in MSR_VM_CR").
{ dmesg 2>/dev/null | grep -iE 'kvm|vmx|svm' | grep -iE 'disabled by bios|disabled \(by bios\)|no hardware support|not supported by|(vmx|svm) not supported|kvm: no ' | tail -n 5; } 2>/dev/null
section msr
# Feature-control (Intel 0x3a) and VM_CR (AMD 0xc0010114), where the msr driver is loaded and we are root.
if [ -r /dev/cpu/0/msr ]; then
    for m in 58 3221291284; do
        v=$(dd if=/dev/cpu/0/msr bs=1 skip=$m count=8 2>/dev/null | od -An -tx8 2>/dev/null | tr -d ' ')
        [ -n "$v" ] && printf '%s %s\n' "$m" "$v"
    done
fi
section virt-what
if have systemd-detect-virt; then
    printf 'vm %s\n' "$(systemd-detect-virt --vm 2>/dev/null)"
    printf 'container %s\n' "$(systemd-detect-virt --container 2>/dev/null)"
fi
section dmi
for f in sys_vendor product_name; do printf '%s=%s\n' "$f" "$(cat /sys/class/dmi/id/$f 2>/dev/null)"; done
section nested
for m in kvm_intel kvm_amd; do [ -r /sys/module/$m/parameters/nested ] && printf '%s %s\n' "$m" "$(cat /sys/module/$m/parameters/nested)"; done
section qemu-conf
grep -E '^[[:space:]]*(user|group|dynamic_ownership)[[:space:]]*=' /etc/libvirt/qemu.conf 2>/dev/null
section qemu-users
for u in qemu libvirt-qemu; do i=$(id "$u" 2>/dev/null) && printf '%s %s\n' "$u" "$i"; done
section devices
ls -ln /dev/vhost-net /dev/net/tun 2>/dev/null
section iommu
ls /sys/firmware/acpi/tables 2>/dev/null | grep -E '^(DMAR|IVRS)$'
printf 'groups %s\n' "$(ls /sys/kernel/iommu_groups 2>/dev/null | wc -l)"
printf 'cmdline %s\n' "$(cat /proc/cmdline 2>/dev/null)"
section cgroups
printf 'fstype %s\n' "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)"
printf 'controllers %s\n' "$(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null)"
printf 'v1 %s\n' "$(ls /sys/fs/cgroup 2>/dev/null | tr '\n' ' ')"
# Every cgroup mount wherever it is (RHEL 6 mounts v1 under /cgroup): mount point, type, options.
awk '$3 == "cgroup" || $3 == "cgroup2" {print "mount", $2, $3, $4}' /proc/mounts 2>/dev/null
section packages
if have rpm; then
    rpm -q --qf '%{NAME} %{VERSION}-%{RELEASE}\n' qemu-kvm kvm kmod-kvm libvirt libvirt-daemon libvirt-daemon-kvm libvirt-client virt-install python-virtinst 2>/dev/null | grep -v 'is not installed'
elif have dpkg-query; then
    dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\n' qemu-system-x86 qemu-kvm qemu-utils libvirt-daemon-system libvirt-clients virtinst dnsmasq-base 2>/dev/null | grep ' ii'
fi
section units
if [ -d /run/systemd/system ]; then
    for u in libvirtd.service libvirtd.socket virtqemud.service virtqemud.socket virtnetworkd.socket virtstoraged.socket virtlogd.socket; do
        printf '%s %s %s\n' "$u" "$(systemctl is-enabled "$u" 2>/dev/null || true)" "$(systemctl is-active "$u" 2>/dev/null || true)"
    done
elif have chkconfig; then
    chkconfig --list libvirtd 2>/dev/null
else
    ls /etc/rc3.d /etc/rc2.d 2>/dev/null | grep -E '^S[0-9]*libvirt' | sed 's/^/rc /'
fi
section image-dir
d=/var/lib/libvirt/images
while [ ! -d "$d" ]; do d=$(dirname "$d"); done
printf 'path %s\n' "$d"
df -Pk "$d" 2>/dev/null | tail -n 1
ls -Zd "$d" 2>/dev/null | sed 's/^/context /'
section name-resolution
if have timeout; then timeout 3 getent hosts "$(uname -n)"; else getent hosts "$(uname -n)"; fi 2>/dev/null
section gateway
gw=$( { ip route show default 2>/dev/null || route -n 2>/dev/null; } | awk '/^default/ {print $3; exit} /^0\.0\.0\.0/ {print $2; exit}')
if [ -n "$gw" ]; then
    printf 'gateway %s\n' "$gw"
    if ping -c 1 -W 1 "$gw" >/dev/null 2>&1; then echo 'reachable yes'; else echo 'reachable no'; fi
fi
section dns; grep -E '^[[:space:]]*nameserver' /etc/resolv.conf 2>/dev/null
# Everything libvirt knows, from ONE virsh process and connection (each virsh costs ~30 ms);
# virsh runs every command even when one fails (no default pool), and "echo" marks the sections.
# Whether libvirt answers at all is the uri section: a pid file or socket may be stale after a crash.
connected=
if have virsh; then
    lv=$(bounded virsh -c qemu:///system "echo @@libvirt-answer; uri; echo @@libvirt-version; version; \
echo @@default-network; net-info default; echo @@default-pool; pool-info default; \
echo @@guests-all; list --all --name; echo @@guests-running; list --name; \
echo @@libvirt-capabilities; capabilities" 2>/dev/null)
    case "$lv" in
        *qemu:///system*) connected=1; printf '\n%s\n' "$lv" ;;
        *)
            # An old virsh (RHEL 5, early RHEL 6: no "echo", no "list --name") refuses the whole
            # batch; ask it one command at a time instead.
            if bounded virsh -c qemu:///system uri >/dev/null 2>&1; then
                connected=1
                v() { bounded virsh -c qemu:///system "$@" 2>/dev/null; }
                section libvirt-answer; v uri
                section libvirt-version; v version
                section default-network; v net-info default
                section default-pool; v pool-info default
                section guests-all; v list --all | awk 'NR > 2 && NF >= 3 {print $2}'
                section guests-running; v list | awk 'NR > 2 && NF >= 3 {print $2}'
                section libvirt-capabilities; v capabilities
            fi
            ;;
    esac
fi
if [ -z "$connected" ]; then
    # Not connected: why (permission denied means it runs but refuses us), and the versions from
    # the binaries instead of from the daemon.
    if have virsh; then
        section libvirt-refusal; bounded virsh -c qemu:///system uri 2>&1 | head -n 2
        section libvirt-version; virsh --version 2>/dev/null
    fi
    section qemu-version
    for q in /usr/libexec/qemu-kvm /usr/bin/qemu-kvm /usr/bin/qemu-system-x86_64 /usr/bin/qemu-system-aarch64; do
        if [ -x "$q" ]; then "$q" --version 2>/dev/null | head -n1; break; fi
    done
fi
section end

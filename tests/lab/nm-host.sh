# KvmPS lab: NetworkManager inside a lab host (no systemd, no udev), managing eth0 through a
# keyfile profile that holds the host's lab address: the host New-KvmBridge's NetworkManager
# backend is tested on. Run inside the host, script on stdin (hosts do not see /tmp):
#   lab.sh exec kvmN sh -s -- start <address/prefix> <gateway> < nm-host.sh
#   lab.sh exec kvmN sh -s -- stop < nm-host.sh
# NetworkManager's files live on the host's private /run (bind-mounted over /etc/NetworkManager
# and /var/lib/NetworkManager, which the lab hosts otherwise share with the machine).
# How it runs without systemd: ../shared/LAB.md ("NetworkManager runs in a lab host").
set -eu
state=/run/kvmps-nm

wait_for() {  # <tries of 0.2 s> <command...>
    n=$1; shift
    while ! "$@" >/dev/null 2>&1; do
        n=$((n - 1))
        [ "$n" -gt 0 ] || return 1
        sleep 0.2
    done
}

nm_running() { [ "$(nmcli -t -f RUNNING general 2>/dev/null)" = running ]; }
eth0_connected() { nmcli -t -f DEVICE,STATE device 2>/dev/null | grep -qx 'eth0:connected'; }

case $1 in
start)
    addr=$2 gw=$3
    nm_running && { echo "NetworkManager already runs"; exit 0; }
    mkdir -p "$state/etc/system-connections" "$state/etc/conf.d" "$state/lib"
    mountpoint -q /etc/NetworkManager || mount --bind "$state/etc" /etc/NetworkManager
    mkdir -p /var/lib/NetworkManager
    mountpoint -q /var/lib/NetworkManager || mount --bind "$state/lib" /var/lib/NetworkManager
    # Only eth0 (and bridges): libvirt's virbr0, guests' taps and test veths stay out of its way.
    cat >/etc/NetworkManager/NetworkManager.conf <<CONF
[main]
plugins=keyfile
no-auto-default=*
dns=none
rc-manager=unmanaged
hostname-mode=none
auth-polkit=false

[keyfile]
unmanaged-devices=except:interface-name:eth0;except:interface-name:br*
CONF
    profile=/etc/NetworkManager/system-connections/eth0.nmconnection
    uuid=$(cat /proc/sys/kernel/random/uuid)
    cat >"$profile" <<PROFILE
[connection]
id=eth0
uuid=$uuid
type=ethernet
interface-name=eth0

[ipv4]
method=manual
address1=$addr,$gw
dns=$gw;

[ipv6]
method=ignore
PROFILE
    chmod 600 "$profile"
    rm -f /run/dbus/pid
    mkdir -p /run/dbus
    dbus-daemon --system --fork
    # Read-only /sys (a bind remount: this mount only) tells NetworkManager there is no udev.
    setsid unshare -m sh -c 'mount -o remount,bind,ro /sys && exec NetworkManager --no-daemon' </dev/null >"$state/nm.log" 2>&1 &
    echo $! >"$state/nm.pid"
    wait_for 100 nm_running || { echo "NetworkManager did not start:"; tail -5 "$state/nm.log"; exit 1; }
    # NetworkManager first takes eth0's address as it finds it (an in-memory "external"
    # connection); the profile replaces that, with the same address.
    nmcli --wait 30 connection up "$uuid" >/dev/null
    wait_for 100 eth0_connected || { echo "eth0 did not connect:"; nmcli device; tail -5 "$state/nm.log"; exit 1; }
    ;;
stop)
    [ -s "$state/nm.pid" ] && kill "$(cat "$state/nm.pid")" 2>/dev/null || true
    [ -s /run/dbus/pid ] && kill "$(cat /run/dbus/pid)" 2>/dev/null || true
    n=0
    while [ -s "$state/nm.pid" ] && kill -0 "$(cat "$state/nm.pid")" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
    umount /etc/NetworkManager 2>/dev/null || true
    umount /var/lib/NetworkManager 2>/dev/null || true
    rm -rf "$state" /run/dbus/pid
    ;;
*)
    echo "usage: start <address/prefix> <gateway> | stop" >&2
    exit 2
    ;;
esac

# KvmPS network probe: what a bridge change needs to know about a host, in one round trip.
# Fed on stdin to sh; no arguments; changes nothing. Prints raw sections ("== name [args]" then
# content) that NetworkFactsParser interprets, so this stays plain POSIX sh (dash, busybox,
# RHEL 5's bash 3.2) and a missing tool only leaves its section empty. Exits 0.
LC_ALL=C
export LC_ALL
# A non-root login on RHEL 5/6 has no /sbin on its PATH, and ip, ifup and brctl live there.
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin"
export PATH
# Only sections reach stdout: a tool's complaint would otherwise read as data.
exec 2>/dev/null

section() { printf '\n== %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
# A wedged NetworkManager or D-Bus must not hang the probe (timeout is missing on RHEL 5).
bounded() { if have timeout; then timeout 10 "$@"; else "$@"; fi; }
# A file's text exactly: the header says "noeol" when its last line has no newline, so the
# parser can give the rollback the same bytes back (cat alone would glue the next header on).
rawfile() {
    if [ -n "$(tail -c 1 "$2" 2>/dev/null)" ]; then section "$1 noeol"; cat "$2"; echo; else section "$1"; cat "$2"; fi
}

section links
# Old iproute (RHEL 5) may not know -d; the kinds then come from /sys below.
ip -o -d link show || ip -o link show
section addrs; ip -o addr show
section routes; ip -o route show default
section routes6; ip -o -6 route show default
section resolv; cat /etc/resolv.conf

section sys
# "<link> <fact> [value]" lines: what ip may not say (wireless, ports on RHEL 5's kernel, bonding).
for d in /sys/class/net/*; do
    [ -e "$d" ] || continue
    n=${d##*/}
    printf '%s type %s\n' "$n" "$(cat "$d/type")"
    printf '%s mtu %s\n' "$n" "$(cat "$d/mtu")"
    printf '%s address %s\n' "$n" "$(cat "$d/address")"
    printf '%s flags %s\n' "$n" "$(cat "$d/flags")"
    printf '%s carrier %s\n' "$n" "$(cat "$d/carrier")"
    if [ -e "$d/wireless" ] || [ -e "$d/phy80211" ]; then printf '%s wireless\n' "$n"; fi
    if [ -e "$d/tun_flags" ]; then printf '%s tun\n' "$n"; fi
    if [ -d "$d/bridge" ]; then
        printf '%s bridge\n' "$n"
        printf '%s stp %s\n' "$n" "$(cat "$d/bridge/stp_state")"
        for p in "$d"/brif/*; do [ -e "$p" ] && printf '%s port %s\n' "$n" "${p##*/}"; done
    fi
    if [ -d "$d/bonding" ]; then
        printf '%s bond\n' "$n"
        for s in $(cat "$d/bonding/slaves"); do printf '%s port %s\n' "$n" "$s"; done
    fi
    m=
    if [ -L "$d/master" ]; then m=$(readlink "$d/master"); elif [ -L "$d/brport/bridge" ]; then m=$(readlink "$d/brport/bridge"); fi
    [ -n "$m" ] && printf '%s master %s\n' "$n" "${m##*/}"
    if [ -d "$d/brport" ]; then printf '%s brport\n' "$n"; fi
    if [ -d "$d/bonding_slave" ]; then printf '%s bondslave\n' "$n"; fi
done
# VLANs by the 8021q module's own table ("eth0.100 | 100 | eth0"): old ip does not name them.
if [ -r /proc/net/vlan/config ]; then
    awk -F'|' 'NR > 2 { gsub(/[ \t]/, ""); if ($1 != "") print $1, "vlan", $2, $3 }' /proc/net/vlan/config
fi
if have brctl; then section brctl; brctl show; fi

if have nmcli; then
    # "general status" is NM 0.9.10 and later; RHEL 6's 0.8 says "nm".
    r=$(bounded nmcli -t -f RUNNING general status) || r=$(bounded nmcli -t -f RUNNING nm)
    section nm
    [ -n "$r" ] && printf '%s\n' "$r"
    if [ "$r" = running ]; then
        section nmdevices; bounded nmcli -t -f DEVICE,STATE device
        f=NAME,UUID,TYPE,DEVICE,FILENAME
        c=$(bounded nmcli -t -f "$f" connection show) || { f=NAME,UUID,TYPE,DEVICE; c=$(bounded nmcli -t -f "$f" connection show); }
        section nmconnections "$f"
        [ -n "$c" ] && printf '%s\n' "$c"
        pf=connection.uuid,connection.interface-name,connection.master,connection.slave-type
        pf=$pf,connection.autoconnect,ipv4.method,ipv4.addresses,ipv4.gateway,ipv4.dns
        pf=$pf,ipv4.dns-search,ipv6.method,ipv6.addresses,ipv6.gateway
        # The UUID is the second field; escaped colons and backslashes in the name are masked first.
        uuids=$(printf '%s\n' "$c" | sed 's/\\\\/_/g; s/\\:/_/g' | cut -d: -f2 | grep -E '^[0-9a-fA-F-]{36}$')
        set --
        for u in $uuids; do set -- "$@" uuid "$u"; done
        # One nmcli for every profile: each block starts with its connection.uuid line.
        p=
        if [ $# -gt 0 ]; then p=$(bounded nmcli -t -f "$pf" connection show "$@") || p=; fi
        if [ -n "$p" ]; then
            section nmprofiles
            printf '%s\n' "$p"
        else
            # An nmcli that does not know a field refuses them all, and a profile deleted since
            # the list fails the batch: then one call per profile, every field if need be.
            for u in $uuids; do
                section nmprofile "$u"
                bounded nmcli -t -f "$pf" connection show uuid "$u" || bounded nmcli -t connection show uuid "$u"
            done
        fi
    fi
fi

for f in /etc/sysconfig/network-scripts/ifcfg-* /etc/sysconfig/network-scripts/route-* \
         /etc/sysconfig/network-scripts/route6-*; do
    [ -f "$f" ] || continue
    b=${f##*/}
    case "$b" in ifcfg-*) rawfile "ifcfg ${b#ifcfg-}" "$f" ;; *) rawfile "routefile $b" "$f" ;; esac
done
if [ -f /etc/sysconfig/network ]; then rawfile network /etc/sysconfig/network; fi

section tools
for c in nmcli ip ifup ifdown brctl service ping getent arping setsid flock timeout nohup; do
    p=$(command -v "$c") && printf '%s %s\n' "$c" "$p"
done
section netservice
for f in /etc/rc.d/init.d/network /etc/init.d/network; do
    if [ -f "$f" ]; then printf '%s\n' "$f"; break; fi
done
section release; cat /etc/redhat-release
# The bridges libvirt's networks own (virbr0 of "default"): "<network> <bridge>".
# A user libvirt refuses would see none: its reason goes to "libvirtrefusal" instead.
section libvirtnets
if command -v virsh >/dev/null 2>&1; then
    if nets=$(virsh -c qemu:///system net-list --all --name 2>&1); then
        for n in $nets; do
            printf '%s %s\n' "$n" "$(virsh -c qemu:///system net-info "$n" | sed -n 's/^Bridge: *//p')"
        done
    else
        section libvirtrefusal; printf '%s\n' "$nets" | head -n 2
    fi
fi
section end
exit 0

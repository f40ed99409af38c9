# KvmPS: can the destination take this guest (Test-KvmMigration, Move-KvmGuest's pre-flight).
# Changes nothing. Usage: sh -s -- <guest> <uuid> <virttype> <arch> <machine> <cpu xml> <marker> [item...]
# Items: net:NAME, bridge:NAME, loader:PATH (firmware and NVRAM templates), disk:PATH (a disk the
# guest has), dir:DIR (a directory where the source left <marker>: seen here means shared storage).
# Sections "== name", then "== end":
#   version              libvirt's version here
#   name                 "name <state>" when a guest of that name exists, "uuid <name>" when one has the UUID
#   cpu                  virsh hypervisor-cpu-compare of the guest's <cpu> here, then "rc N"
#   machine              "rc N" of virsh domcapabilities for the guest's virt type, arch and machine type, then its error
#   items                "<kind> <state> <value>" per item: net active|inactive|missing, bridge present|missing,
#                        loader present|missing, disk exists|free <free KiB of the nearest directory, or -> <value>,
#                        dir shared|local
#   memory               MemAvailable in KiB
uri=qemu:///system
guest=$1 uuid=$2 virttype=$3 arch=$4 machine=$5 cpu=$6 marker=$7
shift 7
LC_ALL=C
export LC_ALL
echo "== version"
virsh -c "$uri" version --daemon 2>/dev/null | sed -n 's/^Running against daemon: *//p'
echo "== name"
state=$(virsh -c "$uri" domstate -- "$guest" 2>/dev/null) && echo "name $(printf '%s\n' "$state" | head -1)"
[ -n "$uuid" ] && other=$(virsh -c "$uri" domname -- "$uuid" 2>/dev/null | head -1) && [ -n "$other" ] && echo "uuid $other"
echo "== cpu"
if [ -n "$cpu" ]; then
    f=$(mktemp) || exit 1
    printf '%s\n' "$cpu" >"$f"
    virsh -c "$uri" hypervisor-cpu-compare --virttype "$virttype" --arch "$arch" --machine "$machine" -- "$f" 2>&1
    echo "rc $?"
    rm -f -- "$f"
fi
echo "== machine"
out=$(virsh -c "$uri" domcapabilities --virttype "$virttype" --arch "$arch" --machine "$machine" 2>&1 >/dev/null)
echo "rc $?"
printf '%s\n' "$out" | head -2
echo "== items"
for item; do
    kind=${item%%:*} value=${item#*:}
    case $kind in
    net)
        active=$(virsh -c "$uri" net-info -- "$value" 2>/dev/null | sed -n 's/^Active: *//p')
        case $active in yes) echo "net active $value" ;; no) echo "net inactive $value" ;; *) echo "net missing $value" ;; esac ;;
    bridge)
        # A Linux bridge, or an Open vSwitch one (no /sys bridge directory).
        if [ -d "/sys/class/net/$value/bridge" ] || { command -v ovs-vsctl >/dev/null 2>&1 && ovs-vsctl br-exists "$value" 2>/dev/null; }; then
            echo "bridge present $value"
        else
            echo "bridge missing $value"
        fi ;;
    loader)
        if [ -r "$value" ]; then echo "loader present $value"; else echo "loader missing $value"; fi ;;
    disk)
        if [ -e "$value" ]; then state=exists; else state=free; fi
        d=$(dirname -- "$value")
        while [ ! -d "$d" ] && [ "$d" != / ]; do d=$(dirname -- "$d"); done
        kib=$(df -Pk -- "$d" 2>/dev/null | awk 'NR == 2 { print $4 }')
        echo "disk $state ${kib:-0} $value" ;;
    dir)
        if [ -n "$marker" ] && [ -e "$value/$marker" ]; then echo "dir shared $value"; else echo "dir local $value"; fi ;;
    esac
done
echo "== memory"
awk '/^MemAvailable:/ { print $2 }' /proc/meminfo
echo "== end"

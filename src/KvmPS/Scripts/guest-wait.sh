# KvmPS: wait until guests reach a state, or have an IP address. Changes nothing.
# Usage: sh -s -- <timeout-seconds> <shutoff|running|paused|ip> <uuid>...
# Polls every half second with ONE virsh process for all guests still waiting, and prints a line
# per guest at the end: "@@wait <uuid> ok <state>" or "@@wait <uuid> timeout <state>".
uri=qemu:///system
timeout=$1
want=$2
shift 2
for u in "$@"; do
    case "$u" in ''|*[!0-9a-fA-F-]*) echo "not a UUID: $u" >&2; exit 2 ;; esac
done
case "$want" in shutoff|running|paused|ip) ;; *) echo "unknown state: $want" >&2; exit 2 ;; esac

# "<uuid> <state...>" per guest, and with "ip" an "<uuid> ip" line for each guest with an address
# (from a DHCP lease, ARP or the guest agent; the agent's loopback and link-local ones do not count).
# The guest agent is asked by its own virsh, 3 s at most: libvirt waits for a hung agent without end.
poll() {
    batch=
    agents=
    for u in "$@"; do
        batch="$batch echo @@s $u; domstate $u;"
        [ "$want" = ip ] && batch="$batch echo @@a $u; domifaddr $u --source lease; domifaddr $u --source arp;" &&
            agents="$agents echo @@a $u; domifaddr $u --source agent;"
    done
    {
        virsh -c "$uri" "$batch" 2>/dev/null
        [ -n "$agents" ] && command -v timeout >/dev/null 2>&1 && timeout 3 virsh -c "$uri" "$agents" 2>/dev/null
    } | awk '
        /^@@s / { s = $2; a = ""; next }
        /^@@a / { a = $2; s = ""; next }
        s != "" && NF { print s, $0; s = ""; next }
        a != "" && / ipv[46] / && $NF !~ /^(fe80:|127\.|169\.254\.|::1\/)/ { print a, "ip"; a = "" }'
}

waiting="$*"
start=$(date +%s)
while :; do
    states=$(poll $waiting)
    still=
    for u in $waiting; do
        state=$(printf '%s\n' "$states" | awk -v u="$u" '$1 == u && $2 != "ip" { $1 = ""; sub(/^ /, ""); print; exit }')
        hasip=$(printf '%s\n' "$states" | awk -v u="$u" '$1 == u && $2 == "ip" { print "yes"; exit }')
        case "$want:$state" in
            "shutoff:shut off"|"running:running"|"paused:paused") printf '@@wait %s ok %s\n' "$u" "$state" ;;
            ip:running)
                if [ -n "$hasip" ]; then printf '@@wait %s ok %s\n' "$u" "$state"; else still="$still $u"; fi ;;
            *) still="$still $u" ;;
        esac
    done
    waiting=$still
    [ -z "$waiting" ] && exit 0
    if [ $(( $(date +%s) - start )) -ge "$timeout" ]; then
        states=$(poll $waiting)
        for u in $waiting; do
            printf '@@wait %s timeout %s\n' "$u" "$(printf '%s\n' "$states" | awk -v u="$u" '$1 == u && $2 != "ip" { $1 = ""; sub(/^ /, ""); print; exit }')"
        done
        exit 0
    fi
    sleep 0.5 2>/dev/null || sleep 1
done

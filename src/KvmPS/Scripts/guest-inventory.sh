# KvmPS guest inventory: the definition and state of every guest (or of the UUIDs given as
# arguments) from one virsh process per 100 guests, whatever their number. Changes nothing.
# Output: "@@guest <uuid>" then "@@info" (dominfo), "@@xml" (dumpxml), "@@blk" (domblkinfo --all),
# and for running guests "@@lease"/"@@arp" (domifaddr); then "@@agents" and per running guest
# "@@agentfor <uuid>" with the guest agent's addresses (it knows them on bridges, where the host has
# no lease and rarely an ARP entry), from one more virsh that may take 5 s at most: an agent that
# hangs (libvirt waits for it without end) must not stall the inventory of every guest. virsh goes on after a failed command
# (a guest undefined meanwhile), so one guest never hides the others. Commands are passed as one
# ';'-separated argument: fed on stdin, virsh would echo prompts into the output.
uri=qemu:///system
if [ $# -eq 0 ]; then
    # Not `set -- $(virsh ...) || exit`: set succeeds whatever virsh did, and a refused connection
    # (no libvirt group, no sudo) or a libvirtd that is down would read as a host without guests.
    all=$(virsh -c "$uri" list --all --uuid) || exit $?
    set -- $all
fi
for u in "$@"; do
    # The arguments are UUIDs; anything else could be virsh syntax, so it is refused.
    case "$u" in ''|*[!0-9a-fA-F-]*) echo "not a UUID: $u" >&2; exit 2 ;; esac
done
# Checked: with libvirtd down, an inventory of given UUIDs would otherwise succeed empty, and the
# caller would take "not listed" for "gone" (a guest just stopped was returned as still running).
running=$(virsh -c "$uri" list --uuid) || exit $?
running=" $(printf '%s\n' "$running" | tr '\n' ' ') "
batch=
agents=
count=0
flush() {
    [ -n "$batch" ] && virsh -c "$uri" "$batch" 2>/dev/null
    batch=
    count=0
}
for u in "$@"; do
    batch="$batch echo @@guest $u; echo @@info; dominfo $u; echo @@xml; dumpxml $u; echo @@blk; domblkinfo $u --all;"
    case "$running" in
        *" $u "*) batch="$batch echo @@lease; domifaddr $u --source lease; echo @@arp; domifaddr $u --source arp;"
           agents="$agents echo @@agentfor $u; domifaddr $u --source agent;" ;;
    esac
    count=$((count + 1))
    # One argument holds at most 128 KiB: 100 guests stay far below.
    [ "$count" -ge 100 ] && flush
done
flush
if [ -n "$agents" ] && command -v timeout >/dev/null 2>&1; then
    echo '@@agents'
    timeout 5 virsh -c "$uri" "$agents" 2>/dev/null
fi
echo '@@end'

# KvmPS guest inventory: the definition and state of every guest (or of the UUIDs given as
# arguments) from one virsh process per 100 guests, whatever their number. Changes nothing.
# Output: "@@guest <uuid>" then "@@info" (dominfo), "@@xml" (dumpxml), "@@blk" (domblkinfo --all),
# and for running guests "@@lease"/"@@arp"/"@@agent" (domifaddr; the guest agent knows the
# addresses on bridges, where the host has no lease and rarely an ARP entry; a guest without one
# fails at once). virsh goes on after a failed command
# (a guest undefined meanwhile), so one guest never hides the others. Commands are passed as one
# ';'-separated argument: fed on stdin, virsh would echo prompts into the output.
uri=qemu:///system
if [ $# -eq 0 ]; then
    set -- $(virsh -c "$uri" list --all --uuid) || exit $?
fi
for u in "$@"; do
    # The arguments are UUIDs; anything else could be virsh syntax, so it is refused.
    case "$u" in ''|*[!0-9a-fA-F-]*) echo "not a UUID: $u" >&2; exit 2 ;; esac
done
running=" $(virsh -c "$uri" list --uuid | tr '\n' ' ') "
batch=
count=0
flush() {
    [ -n "$batch" ] && virsh -c "$uri" "$batch" 2>/dev/null
    batch=
    count=0
}
for u in "$@"; do
    batch="$batch echo @@guest $u; echo @@info; dominfo $u; echo @@xml; dumpxml $u; echo @@blk; domblkinfo $u --all;"
    case "$running" in
        *" $u "*) batch="$batch echo @@lease; domifaddr $u --source lease; echo @@arp; domifaddr $u --source arp; echo @@agent; domifaddr $u --source agent;" ;;
    esac
    count=$((count + 1))
    # One argument holds at most 128 KiB: 100 guests stay far below.
    [ "$count" -ge 100 ] && flush
done
flush
echo '@@end'

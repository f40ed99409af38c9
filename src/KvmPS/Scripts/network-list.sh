# KvmPS: every libvirt network of the host, from one virsh process. Changes nothing.
# Output: "@@net <uuid>" then net-info, "@@xml" then net-dumpxml, per network; "@@end".
# Networks are named by UUID in the ';'-separated virsh command: a name could hold virsh syntax.
uri=qemu:///system
# Not `set -- $(virsh ...) || exit`: set succeeds whatever virsh did (a refused connection
# would read as a host without networks).
all=$(virsh -c "$uri" net-list --all --uuid) || exit $?
set -- $all
batch=
for u in "$@"; do
    case "$u" in ''|*[!0-9a-fA-F-]*) echo "not a UUID: $u" >&2; exit 2 ;; esac
    batch="$batch echo @@net $u; net-info $u; echo @@xml; net-dumpxml $u;"
done
[ -n "$batch" ] && virsh -c "$uri" "$batch" 2>/dev/null
echo '@@end'

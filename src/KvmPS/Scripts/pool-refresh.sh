# KvmPS: virsh pool-refresh POOL, tried again while libvirt answers that the pool has asynchronous
# jobs running (another guest's volume being created at that moment, e.g. the guests of one spec made
# at once), for up to 30 s. Any other failure is reported at once.
uri=qemu:///system
tries=0
while :; do
    out=$(virsh -c "$uri" pool-refresh "$1" 2>&1) && exit 0
    case $out in
        *"asynchronous jobs running"*) ;;
        *) printf '%s\n' "$out" >&2; exit 1 ;;
    esac
    tries=$((tries + 1))
    [ "$tries" -ge 60 ] && { printf '%s\n' "$out" >&2; exit 1; }
    sleep 0.5 2>/dev/null || sleep 1
done

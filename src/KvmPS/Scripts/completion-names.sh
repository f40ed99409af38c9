# KvmPS: names for tab completion, one per line. Changes nothing.
# $1: guests, networks, bridges, or interfaces (NICs a bridge could take: not lo, not a bridge,
# not already a bridge port, not a guest's tap device).
uri=qemu:///system
case $1 in
guests) virsh -c "$uri" list --all --name ;;
networks) virsh -c "$uri" net-list --all --name ;;
bridges)
    for d in /sys/class/net/*; do [ -d "$d/bridge" ] && echo "${d##*/}"; done ;;
interfaces)
    for d in /sys/class/net/*; do
        n=${d##*/}
        [ "$n" = lo ] || [ -d "$d/bridge" ] || [ -e "$d/brport" ] || [ -e "$d/tun_flags" ] || echo "$n"
    done ;;
*) echo "unknown kind: $1" >&2; exit 2 ;;
esac
exit 0

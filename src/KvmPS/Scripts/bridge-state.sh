# KvmPS: the state of a bridge change, and disarming it once the change is verified.
# Usage: sh -s -- <dir> <token> status|disarm|cleanup
#   status   prints "apply <rc|running>", "restore <rc|none|running>", "armed yes|no"
#   disarm   removes the token first (then the timer cannot restore, even if the kill misses),
#            then ends the timer's whole process group, and removes the directory
#   cleanup  removes the directory once a rollback has finished
dir=$1
token=$2
case $3 in
status)
    if [ -e "$dir/apply.rc" ]; then echo "apply $(cat "$dir/apply.rc")"; else echo "apply running"; fi
    if [ -e "$dir/restore.rc" ]; then echo "restore $(cat "$dir/restore.rc")"
    elif [ -e "$dir/armed.$token" ]; then echo "restore none"
    else echo "restore running"; fi
    [ -e "$dir/armed.$token" ] && echo "armed yes" || echo "armed no"
    ;;
disarm)
    [ -e "$dir/armed.$token" ] || { echo "the rollback already ran or was disarmed" >&2; exit 5; }
    rm -f "$dir/armed.$token"
    pid=$(cat "$dir/timer.pid" 2>/dev/null)
    # "kill -s SIG -- -PGID": dash takes no "--" after "-TERM".
    [ -n "$pid" ] && kill -s TERM -- "-$pid" 2>/dev/null
    rm -rf "$dir"
    ;;
cleanup)
    [ -e "$dir/armed.$token" ] && { echo "still armed" >&2; exit 5; }
    rm -rf "$dir"
    ;;
*)
    echo "usage: <dir> <token> status|disarm|cleanup" >&2
    exit 2
    ;;
esac

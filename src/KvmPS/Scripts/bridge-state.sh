# KvmPS: the state of a bridge change, and disarming it once the change is verified.
# Usage: sh -s -- <dir> <token> status|disarm|rollback|cleanup
#   status   prints "apply <rc|running>", "restore <rc|none|running>", "armed yes|no", and
#            "disarmed yes" once disarmed ("change missing" when there is no such change)
#   disarm   claims the change (renames armed.<token>: the timer, rollback and a failing apply
#            do the same, and only one rename succeeds), ends the timer's session, marks it disarmed
#   rollback claims the change and restores now instead of at the timer's end, detached like the
#            timer: the restore may cut the connection that asked for it
#   cleanup  removes the directory once the change is disarmed or rolled back
dir=$1
token=$2
stop_timer() {
    pid=$(cat "$dir/timer.pid" 2>/dev/null)
    # KILL: the timer has nothing to clean up, and nothing it inherited can make it ignore KILL.
    # ("kill -s SIG -- -PGID": dash takes no "--" after "-KILL".)
    [ -n "$pid" ] && kill -s KILL -- "-$pid" 2>/dev/null
}
case $3 in
status)
    # No directory: the change was never armed (its arming was cut off), or it is long over.
    [ -d "$dir" ] || { echo "change missing"; exit 0; }
    if [ -e "$dir/apply.rc" ]; then echo "apply $(cat "$dir/apply.rc")"; else echo "apply running"; fi
    if [ -e "$dir/restore.rc" ]; then echo "restore $(cat "$dir/restore.rc")"
    elif [ -e "$dir/armed.$token" ] || [ -e "$dir/disarmed" ]; then echo "restore none"
    else echo "restore running"; fi
    [ -e "$dir/armed.$token" ] && echo "armed yes" || echo "armed no"
    [ -e "$dir/disarmed" ] && echo "disarmed yes"
    exit 0
    ;;
disarm)
    mv "$dir/armed.$token" "$dir/claimed" 2>/dev/null || { echo "the rollback already ran or was disarmed" >&2; exit 5; }
    stop_timer
    : >"$dir/disarmed"
    ;;
rollback)
    mv "$dir/armed.$token" "$dir/claimed" 2>/dev/null || { echo "the rollback already ran or was disarmed" >&2; exit 5; }
    stop_timer
    # A change still running is ended first (as the timer does): restore.sh undoes it whole.
    pid=$(cat "$dir/apply.pid" 2>/dev/null)
    [ -n "$pid" ] && [ ! -e "$dir/apply.rc" ] && kill -s KILL -- "-$pid" 2>/dev/null
    [ -e "$dir/apply.rc" ] || echo 124 >"$dir/apply.rc"
    setsid sh -c 'sh "$1/restore.sh" "$1" >"$1/restore.log" 2>&1; echo $? >"$1/restore.rc"' kvmps-restore "$dir" </dev/null >/dev/null 2>&1 &
    ;;
cleanup)
    [ -e "$dir/armed.$token" ] && { echo "still armed" >&2; exit 5; }
    rm -rf "$dir"
    ;;
*)
    echo "usage: <dir> <token> status|disarm|rollback|cleanup" >&2
    exit 2
    ;;
esac

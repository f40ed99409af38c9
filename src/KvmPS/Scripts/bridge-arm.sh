# KvmPS: arm the rollback of a bridge change, then start the change, both detached from this
# session (the change may cut the connection that started it).
# Usage: sh -s -- <dir> <token> <seconds> <path>...
#   <dir> holds apply.sh and restore.sh (written just before) and new.<n> for each <path>.
# Backs up each path (old.<n>, or absent.<n> when it does not exist) so restore.sh can put it
# back; writes armed.<token>, which the timer needs to restore and New-KvmBridge removes to
# disarm. A timer from an earlier change that is still armed refuses a second change.
dir=$1
token=$2
seconds=$3
shift 3
umask 077
for f in "${dir%/*}"/kvmps-bridge-*/armed.*; do
    [ -e "$f" ] || continue
    echo "another bridge change is still armed: ${f%/armed.*}" >&2
    exit 4
done
n=0
for path in "$@"; do
    if [ -e "$path" ]; then
        cp -p "$path" "$dir/old.$n" || exit 3
    else
        : >"$dir/absent.$n"
    fi
    n=$((n + 1))
done
: >"$dir/armed.$token"
# The timer: its own session, so that disarming can end it whole (killing only the sleep would
# run the restore at once). It writes its own pid, the session and process group id: $! is not
# that where setsid has to fork (when the shell gives background jobs their own group).
# A change still running when the time is up is ended first (restore.sh undoes all of it, also
# half of it): the two never run at once.
cat >"$dir/timer.sh" <<'TIMER'
dir=$1 token=$2 seconds=$3
echo $$ >"$dir/timer.pid"
sleep "$seconds"
[ -e "$dir/armed.$token" ] || exit 0
rm -f "$dir/armed.$token"
pid=$(cat "$dir/apply.pid" 2>/dev/null)
[ -n "$pid" ] && kill -s KILL -- "-$pid" 2>/dev/null
[ -e "$dir/apply.rc" ] || echo 124 >"$dir/apply.rc"
sh "$dir/restore.sh" "$dir" >"$dir/restore.log" 2>&1
echo $? >"$dir/restore.rc"
TIMER
setsid sh "$dir/timer.sh" "$dir" "$token" "$seconds" </dev/null >/dev/null 2>&1 &
# The change, in its own session as well, waits a second: this script's exit status must reach
# KvmPS over the connection the change may cut.
setsid sh -c 'echo $$ >"$1/apply.pid"; sleep 1; exec sh "$1/apply.sh" "$1"' kvmps-apply "$dir" </dev/null >"$dir/apply.log" 2>&1 &
exit 0

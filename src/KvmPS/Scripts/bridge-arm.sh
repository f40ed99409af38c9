# KvmPS: arm the rollback of a bridge change, then start the change, both detached from this
# session (the change may cut the connection that started it).
# Usage: sh -s -- <dir> <token> <seconds> <path>...
#   <dir> holds apply.sh and restore.sh (written just before) and new.<n> for each <path>.
# Backs up each path (old.<n>, or absent.<n> when it does not exist) so restore.sh can put it
# back; writes armed.<token>. Whoever renames armed.<token> to claimed (an atomic rename: one
# wins) decides the change: the timer restores, disarm keeps it, rollback restores now. A change
# still armed refuses a second one; the check and the arming hold a lock (flock, where there is one).
dir=$1
token=$2
seconds=$3
shift 3
umask 077
if command -v flock >/dev/null 2>&1; then
    exec 9>"${dir%/*}/kvmps-bridge.lock" && flock -w 10 9 || { echo "another bridge change is being armed" >&2; exit 4; }
fi
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
: >"$dir/armed.$token" || exit 3
# The timer: its own session, so that disarming can end it whole (killing only the sleep would
# run the restore at once). It writes its own pid, the session and process group id: $! is not
# that where setsid has to fork (when the shell gives background jobs their own group).
# A change still running when the time is up is ended first (restore.sh undoes all of it, also
# half of it): the two never run at once.
cat >"$dir/timer.sh" <<'TIMER' || { rm -f "$dir/armed.$token"; exit 3; }
dir=$1 token=$2 seconds=$3
echo $$ >"$dir/timer.pid"
sleep "$seconds"
mv "$dir/armed.$token" "$dir/claimed" 2>/dev/null || exit 0
pid=$(cat "$dir/apply.pid" 2>/dev/null)
[ -n "$pid" ] && [ ! -e "$dir/apply.rc" ] && kill -s KILL -- "-$pid" 2>/dev/null
[ -e "$dir/apply.rc" ] || echo 124 >"$dir/apply.rc"
sh "$dir/restore.sh" "$dir" >"$dir/restore.log" 2>&1
echo $? >"$dir/restore.rc"
TIMER
# (9>&-: the lock is this script's, not the timer's or the change's.)
setsid sh "$dir/timer.sh" "$dir" "$token" "$seconds" </dev/null >/dev/null 2>&1 9>&- &
# No change without its timer.
n=0
while [ ! -s "$dir/timer.pid" ] && [ "$n" -lt 50 ]; do sleep 0.1 2>/dev/null || sleep 1; n=$((n + 1)); done
[ -s "$dir/timer.pid" ] || { rm -f "$dir/armed.$token"; echo "the rollback timer did not start" >&2; exit 3; }
# The change, in its own session as well, waits a second: this script's exit status must reach
# KvmPS over the connection the change may cut.
setsid sh -c 'echo $$ >"$1/apply.pid"; sleep 1; exec sh "$1/apply.sh" "$1"' kvmps-apply "$dir" </dev/null >"$dir/apply.log" 2>&1 9>&- &
exit 0

# KvmPS session shell. Sent once on every channel, right after the shell starts; the client
# prefixes it with __k_m='<marker>'. Every later batch calls the functions defined here.
#
# Framing, all on stdout, each header on its own line after a newline:
#   <marker> H <uid> <group-mode> <workdir>     once: ready
#   <marker> P <index> <pid>                   command <index> started; with setsid, pid = session id
#   <marker> R <index> <exit> <outlen> <errlen> finished; then exactly outlen+errlen bytes follow
#   <marker> S <index>                         skipped (an earlier command of its group failed, or aborted)
#   <marker> E <batch>                         batch done
# Commands never write to this stream directly: their output goes to files that are measured and
# copied, so any byte sequence survives. R and S frames of concurrent groups come in the order the
# groups end, not index order. The client kills a running command's session from another channel and touches
# "$__k_t/abort" to skip the rest of the batch.
LC_ALL=C
export LC_ALL
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export PATH
cd / || exit 1
__k_t=$(mktemp -d /tmp/kvmps.XXXXXXXXXX 2>/dev/null) || {
    __k_t=/tmp/kvmps.$$
    (umask 077 && mkdir "$__k_t") || exit 1
}
trap 'rm -rf "$__k_t"' EXIT
trap 'exit 129' HUP
trap 'exit 143' TERM
# A command runs in a session of its own so that cancelling it reaches every process it started,
# including ones that made their own process group (GNU timeout does). setsid is in util-linux and
# busybox; without it, bash job control gives at least a process group of its own.
if command -v setsid >/dev/null 2>&1; then
    __k_g=setsid
elif [ -n "${BASH_VERSION:-}" ] && set -m 2>/dev/null; then
    __k_g=job
else
    __k_g=none
fi
__k_failed=' '
# Frames about a running command (P) go to fd 3, the channel, even from a group running in the
# background whose results go to a file; commands get neither fd 3 nor the slots fifo (fd 4), so
# a daemon one of them starts cannot hold the channel open.
exec 3>&1

# Forks are the cost of a command here (about 1 ms each on a small VM), so the framing uses
# builtins wherever it can: three processes per command (the command, wc, cat).
# A command belongs to a group (0: none): once a command fails, the rest of its group is skipped.
# A stop-on-error batch is one group; a bulk batch gives each guest its own.
__k_b() {
    __k_failed=' '
    if [ -e "$__k_t/abort" ]; then rm -f "$__k_t/abort"; fi
}

# $1 index, $2 1 when "$__k_t/in.<index>" holds its input, $3 group, then argv.
__k_x() {
    __k_i=$1
    __k_in=/dev/null
    [ "$2" = 1 ] && __k_in="$__k_t/in.$1"
    __k_grp=$3
    shift 3
    if [ -e "$__k_t/abort" ]; then
        rm -f "$__k_t/in.$__k_i"
        printf '\n%s S %s\n' "$__k_m" "$__k_i"
        return 0
    fi
    case "$__k_failed" in *" $__k_grp "*)
        rm -f "$__k_t/in.$__k_i"
        printf '\n%s S %s\n' "$__k_m" "$__k_i"
        return 0 ;;
    esac
    __k_o="$__k_t/o.$__k_i"
    __k_e="$__k_t/e.$__k_i"
    if [ "$__k_g" = setsid ]; then
        setsid "$@" <"$__k_in" >"$__k_o" 2>"$__k_e" 3>&- 4>&- 5>&- &
    else
        "$@" <"$__k_in" >"$__k_o" 2>"$__k_e" 3>&- 4>&- 5>&- &
    fi
    __k_p=$!
    [ -n "$__k_lk" ] && read -r __k_tok <&5
    printf '\n%s P %s %s\n' "$__k_m" "$__k_i" "$__k_p" >&3
    [ -n "$__k_lk" ] && echo >&5
    wait "$__k_p"
    __k_rc=$?
    [ "$__k_rc" = 0 ] || [ "$__k_grp" = 0 ] || __k_failed="$__k_failed$__k_grp "
    # "<out> <path> <err> <path> <total> total": both sizes from one wc.
    set -- $(wc -c "$__k_o" "$__k_e")
    printf '\n%s R %s %s %s %s\n' "$__k_m" "$__k_i" "$__k_rc" "$1" "$3"
    cat "$__k_o" "$__k_e"
    rm -f "$__k_o" "$__k_e" "$__k_t/in.$__k_i"
}

# Concurrent groups (bulk work on many guests): each group runs in a background subshell, at
# most $1 at a time; a fifo holds the free slots. A group's R and S frames go to its own file,
# copied to the channel as soon as the group ends (__k_cf): a connection lost in the middle of a
# bulk batch then loses only the results of the groups still running, not those of every group.
# A second fifo holding one token is a lock, so that frames of groups never interleave.
__k_lk=
__k_cb() {
    __k_files=
    rm -f "$__k_t/slots" "$__k_t/lock"
    mkfifo "$__k_t/slots" && exec 4<>"$__k_t/slots" || return 1
    mkfifo "$__k_t/lock" && exec 5<>"$__k_t/lock" || return 1
    echo >&5
    __k_lk=1
    __k_n=0
    while [ "$__k_n" -lt "$1" ]; do
        echo >&4
        __k_n=$((__k_n + 1))
    done
}

# $1 group number: waits for a free slot. The group follows as
#   ( __k_x ...; __k_x ...; __k_cf <group> ) >"$__k_t/f.<group>" &
__k_cs() {
    read -r __k_tok <&4
    __k_files="$__k_files $__k_t/f.$1"
}

# $1 group number, at the end of its subshell: its frames to the channel, then its slot back.
__k_cf() {
    read -r __k_tok <&5
    cat "$__k_t/f.$1" >&3
    rm -f "$__k_t/f.$1"
    echo >&5
    echo >&4
}

# After every group: the frames of a group that did not reach __k_cf (its subshell was killed).
__k_ce() {
    wait
    for __k_f in $__k_files; do
        if [ -f "$__k_f" ]; then
            cat "$__k_f"
            rm -f "$__k_f"
        fi
    done
    exec 4>&- 5>&-
    __k_lk=
    rm -f "$__k_t/slots" "$__k_t/lock"
}

__k_e() {
    printf '\n%s E %s\n' "$__k_m" "$1"
}

printf '\n%s H %s %s %s\n' "$__k_m" "$(id -u)" "$__k_g" "$__k_t"

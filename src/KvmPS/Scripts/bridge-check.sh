# KvmPS: the original RHEL guide's checks after a network change, run once before a bridge change
# (the baseline) and again after it on a new connection: the default gateway answers a ping, each
# DNS server answers a query. Only what passed before has to pass after.
# Usage: sh -s -- [gateway <address>] [dns <address>]...
# Prints one line per check: "gateway <address> ok|fail|untested", "dns <address> ok|fail|untested"
# (untested: the host has no tool for it).
LC_ALL=C
export LC_ALL

ping_once() {
    case $1 in
    *:*) cmd="ping -6" ; command -v ping6 >/dev/null 2>&1 && cmd=ping6 ;;
    *) cmd=ping ;;
    esac
    command -v ping >/dev/null 2>&1 || command -v ping6 >/dev/null 2>&1 || return 2
    $cmd -c 1 -W 2 "$1" >/dev/null 2>&1 || $cmd -c 1 -W 2 "$1" >/dev/null 2>&1
}

# A query for the root's NS records with id "KS": any reply with that id means the server
# answers (bash's /dev/udp; every RHEL has bash, dig is not always there).
dns_query() {
    if command -v bash >/dev/null 2>&1; then
        bash -c '
            exec 3<>"/dev/udp/$1/53" || exit 1
            printf "\113\123\001\000\000\001\000\000\000\000\000\000\000\000\002\000\001" >&3
            for try in 1 2; do
                IFS= read -r -t 2 -n 1 reply <&3 && [ "$reply" = K ] && exit 0
                printf "\113\123\001\000\000\001\000\000\000\000\000\000\000\000\002\000\001" >&3
            done
            exit 1' kvmps-dns "$1" 2>/dev/null
    elif command -v dig >/dev/null 2>&1; then
        dig +time=2 +tries=2 @"$1" . NS >/dev/null 2>&1
    else
        return 2
    fi
}

while [ $# -ge 2 ]; do
    case $1 in
    gateway) ping_once "$2" ;;
    dns) dns_query "$2" ;;
    *) echo "unknown check: $1" >&2; exit 2 ;;
    esac
    case $? in
    0) echo "$1 $2 ok" ;;
    2) echo "$1 $2 untested" ;;
    *) echo "$1 $2 fail" ;;
    esac
    shift 2
done

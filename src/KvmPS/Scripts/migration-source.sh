# KvmPS: what the source knows about moving a guest (Test-KvmMigration, Move-KvmGuest's pre-flight).
# Changes nothing but one empty marker file per disk directory, which the destination looks for to tell
# shared storage apart (removed by KvmPS right after). Usage:
#   sh -s -- <guest> <destination address> <ssh port> <user on destination> [<marker file name> [<data address> [all|guest|network]]]
# The guest part and the network part (resolve, ports, trust: a new SSH connection, ~0.3 s) can run as two
# commands at once, the network part beside the destination's probe.
# Sections "== name", then "== end":
#   state, persistent     virsh dominfo (an error line for a guest that is not there)
#   xml64                 virsh dumpxml --migratable, base64 (what the destination will be given)
#   disks                 "<type> <device> <target> <source>" per disk (virsh domblklist --details)
#   image <target>        qemu-img info --output=json of each file disk (format, virtual size, backing)
#   markers               "marker ok|failed <dir>" per directory of the guest's file disks (with a marker name)
#   resolve               how the source resolves the destination (getent ahosts), empty when it cannot
#   ports                 "port <n> <state>": sshd's port on the destination, 49152 (QEMU's first) on the data address: a TCP connection from the source: open, refused (reachable, nothing listens)
#                         or filtered (no answer: a firewall drops it)
#   trust <rc>            ssh -o BatchMode=yes from the source (as root) to the destination's libvirt
#   version               libvirt's version on the source
uri=qemu:///system
guest=$1 dest=$2 port=$3 user=$4 marker=$5 data=${6:-$2} part=${7:-all}
LC_ALL=C
export LC_ALL
# The network probes (a new SSH connection, port probes up to 3 s each) run while the guest is read.
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
# bash's /dev/tcp: "refused" comes back at once, "filtered" is the 3 s timeout running out.
probe() {
    command -v bash >/dev/null 2>&1 || { echo "port $1 untested"; return; }
    out=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2" && echo open' kvmps-port "$2" "$1" 2>&1)
    rc=$?
    case $rc:$out in
    0:open) echo "port $1 open" ;;
    124:*) echo "port $1 filtered" ;;
    *refused*) echo "port $1 refused" ;;
    *) echo "port $1 filtered" ;;
    esac
}
if [ "$part" != guest ]; then
{ probe "$port" "$dest"; probe 49152 "$data"; } >"$tmp/ports" 2>/dev/null </dev/null &
{
    out=$(ssh -o BatchMode=yes -o ConnectTimeout=5 -o StrictHostKeyChecking=yes -p "$port" -- "$user@$dest" virsh -c qemu:///system version --daemon 2>&1 </dev/null)
    echo "rc $?"
    printf '%s\n' "$out" | tail -3
} >"$tmp/trust" 2>/dev/null </dev/null &
fi
if [ "$part" != network ]; then
info=$(virsh -c "$uri" dominfo -- "$guest" 2>&1)
echo "== state"
printf '%s\n' "$info" | sed -n 's/^State: *//p; /^error:/p' | head -1
echo "== persistent"
printf '%s\n' "$info" | sed -n 's/^Persistent: *//p'
# base64: a line of the definition (a <description>) could look like a section line.
echo "== xml64"
virsh -c "$uri" dumpxml --migratable -- "$guest" 2>/dev/null | base64 | tr -d '\n'
echo
echo "== disks"
all=$(virsh -c "$uri" domblklist --details -- "$guest" 2>/dev/null)
printf '%s\n' "$all" | awk 'NR > 2 && NF >= 4'
disks=$(printf '%s\n' "$all" | awk 'NR > 2 && $1 == "file" && NF >= 4')
printf '%s\n' "$disks" | while read -r type device target source; do
    [ -n "$source" ] && [ "$source" != - ] || continue
    echo "== image $target"
    qemu-img info -U --output=json -- "$source" 2>/dev/null || qemu-img info --output=json -- "$source" 2>/dev/null
done
echo "== markers"
if [ -n "$marker" ]; then
    printf '%s\n' "$disks" | while read -r type device target source; do
        [ -n "$source" ] && [ "$source" != - ] && dirname -- "$source"
    done | sort -u | while IFS= read -r dir; do
        if : >"$dir/$marker" 2>/dev/null; then echo "marker ok $dir"; else echo "marker failed $dir"; fi
    done
fi
echo "== version"
virsh -c "$uri" version --daemon 2>/dev/null | sed -n 's/^Running against daemon: *//p'
fi
if [ "$part" != guest ]; then
echo "== resolve"
getent ahosts "$dest" 2>/dev/null | awk '{ print $1 }' | sort -u | head -4
wait
echo "== ports"
cat "$tmp/ports"
echo "== trust"
cat "$tmp/trust"
fi
echo "== end"

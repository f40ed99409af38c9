# KvmPS: what New-KvmGuest needs to know about a host before it plans. Changes nothing.
# Usage: sh -s -- <pool> [--path <file>]... [--volume <file name>]... [--osinfo <short-id>]
# Sections: networks (all, then active), bridges, pool target path, each path (exists/missing and,
# for images, qemu-img's JSON), volumes already present in the pool directory, UEFI firmware
# descriptors, and the tools a cloud-init seed can be built with.
uri=qemu:///system
pool=$1
shift
section() { printf '\n@@%s\n' "$1"; }
section networks; virsh -c "$uri" net-list --all --name 2>/dev/null
section active-networks; virsh -c "$uri" net-list --name 2>/dev/null
section bridges
for b in /sys/class/net/*/bridge; do [ -d "$b" ] && basename "$(dirname "$b")"; done
section pool
virsh -c "$uri" pool-dumpxml "$pool" 2>/dev/null | sed -n 's:.*<path>\(.*\)</path>.*:\1:p' | head -n 1
target=$(virsh -c "$uri" pool-dumpxml "$pool" 2>/dev/null | sed -n 's:.*<path>\(.*\)</path>.*:\1:p' | head -n 1)
[ -n "$target" ] || target=/var/lib/libvirt/images
while [ $# -gt 0 ]; do
    case "$1" in
        --path)
            section "path"
            if [ -e "$2" ]; then
                printf 'exists\n%s\n' "$2"
                case "$2" in *.iso|*.ISO|*/vmlinuz*|*/initrd*) ;; *) qemu-img info -U --output=json "$2" 2>/dev/null || qemu-img info --output=json "$2" 2>/dev/null ;; esac
            else
                printf 'missing\n%s\n' "$2"
            fi
            shift 2 ;;
        --volume)
            section volume
            if [ -e "$target/$2" ]; then printf 'exists %s\n' "$2"; else printf 'missing %s\n' "$2"; fi
            shift 2 ;;
        --osinfo)
            section osinfo
            command -v osinfo-query >/dev/null 2>&1 && osinfo-query os "short-id=$2" --fields=id 2>/dev/null | sed -n 's/^ *\(http[^ ]*\).*/\1/p'
            shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
section firmware
ls /usr/share/qemu/firmware 2>/dev/null
section tools
for c in genisoimage mkisofs xorriso cloud-localds swtpm qemu-img osinfo-query; do
    command -v "$c" >/dev/null 2>&1 && printf '%s\n' "$c"
done
section end

# KvmPS: what New-KvmGuest needs to know about a host before it plans. Changes nothing.
# Usage: sh -s -- [--pool <name>]... [--path <file>]... [--volume <pool> <file name>]... [--osinfo <short-id>]...
# Sections: networks (all, then active), bridges, pool target path, each path (exists/missing and,
# for images, qemu-img's JSON), volumes already present in the pool directory, UEFI firmware
# descriptors with their Secure Boot features, and the tools a cloud-init seed can be built with.
uri=qemu:///system
pooldir() { virsh -c "$uri" pool-dumpxml "$1" 2>/dev/null | sed -n 's:.*<path>\(.*\)</path>.*:\1:p' | head -n 1; }
section() { printf '\n@@%s\n' "$1"; }
section networks; virsh -c "$uri" net-list --all --name 2>/dev/null
section active-networks; virsh -c "$uri" net-list --name 2>/dev/null
section bridges
for b in /sys/class/net/*/bridge; do [ -d "$b" ] && basename "$(dirname "$b")"; done
while [ $# -gt 0 ]; do
    case "$1" in
        --pool)
            # "<name>", then its directory and whether it is active (empty lines: no such pool).
            section pool
            printf '%s\n' "$2"
            printf 'path %s\n' "$(pooldir "$2")"
            printf 'state %s\n' "$(virsh -c "$uri" pool-info "$2" 2>/dev/null | sed -n 's/^State: *//p')"
            shift 2 ;;
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
            # A missing default pool will be made in /var/lib/libvirt/images: look there.
            section volume
            dir=$(pooldir "$2")
            [ -n "$dir" ] || dir=/var/lib/libvirt/images
            if [ -e "$dir/$3" ]; then printf 'exists %s\n%s\n' "$2" "$3"; else printf 'missing %s\n%s\n' "$2" "$3"; fi
            shift 3 ;;
        --osinfo)
            section osinfo
            printf '%s\n' "$2"
            command -v osinfo-query >/dev/null 2>&1 && osinfo-query os "short-id=$2" --fields=id 2>/dev/null | sed -n 's/^ *\(http[^ ]*\).*/\1/p'
            shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
section firmware
# Each descriptor's name, then the features that matter: names differ per distribution
# (RHEL: ...-sb.json, Debian: ...-secure.json), the "features" list does not.
for f in /usr/share/qemu/firmware/*.json; do
    [ -f "$f" ] || continue
    printf '%s' "${f##*/}"
    grep -q '"secure-boot"' "$f" && printf ' secure-boot'
    grep -q '"enrolled-keys"' "$f" && printf ' enrolled-keys'
    # Guests are x86_64: firmware for other architectures (qemu-efi-aarch64...) does not count.
    grep -q '"x86_64"' "$f" || printf ' other-arch'
    printf '\n'
done
section tools
for c in genisoimage mkisofs xorriso cloud-localds swtpm qemu-img osinfo-query; do
    command -v "$c" >/dev/null 2>&1 && printf '%s\n' "$c"
done
section end

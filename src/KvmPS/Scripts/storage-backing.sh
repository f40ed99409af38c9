# KvmPS: which images are thin clones of which, in every storage pool's directory (and
# /var/lib/libvirt/images). Prints "<image><TAB><backing file>" per image that has one. Changes nothing.
uri=qemu:///system
{
    echo /var/lib/libvirt/images
    # pool-list --name pads each name to 20 characters.
    virsh -c "$uri" pool-list --all --name 2>/dev/null | while IFS= read -r pool; do
        pool=${pool%"${pool##*[! ]}"}
        [ -n "$pool" ] && virsh -c "$uri" pool-dumpxml "$pool" 2>/dev/null | sed -n 's:.*<path>\(.*\)</path>.*:\1:p' | head -n 1
    done
} | sort -u | while IFS= read -r dir; do
    [ -d "$dir" ] || continue
    for image in "$dir"/*; do
        [ -f "$image" ] || continue
        backing=$( { qemu-img info -U --output=json "$image" 2>/dev/null || qemu-img info --output=json "$image" 2>/dev/null; } |
            sed -n 's/^ *"backing-filename": "\(.*\)",\{0,1\}$/\1/p' | head -n 1)
        [ -n "$backing" ] || continue
        case "$backing" in /*) ;; *) backing="$dir/$backing" ;; esac
        printf '%s\t%s\n' "$image" "$backing"
    done
done

# KvmPS: make sure a directory storage pool exists, runs and starts with libvirt. Idempotent, and
# serialized with flock so that guests created in parallel do not race to define the same pool.
# Usage: sh -s -- <pool> <directory for a new pool>
uri=qemu:///system
pool=$1
dir=$2
ensure() {
    if ! virsh -c "$uri" pool-info "$pool" >/dev/null 2>&1; then
        virsh -c "$uri" pool-define-as "$pool" dir --target "$dir" >/dev/null || return 1
        virsh -c "$uri" pool-build "$pool" >/dev/null || return 1
        # SELinux hosts: the context policy gives the directory (virt_image_t under
        # /var/lib/libvirt/images); libvirt labels each guest's own disks when it starts.
        if command -v restorecon >/dev/null 2>&1; then restorecon -R "$dir" 2>/dev/null || true; fi
    fi
    state=$(virsh -c "$uri" pool-info "$pool" 2>/dev/null | sed -n 's/^State: *//p')
    if [ "$state" != running ]; then
        virsh -c "$uri" pool-start "$pool" >/dev/null || return 1
    fi
    virsh -c "$uri" pool-autostart "$pool" >/dev/null
}
# The lock is libvirt's own state directory, opened read-only: no file to create, none to be
# pre-planted by another user as in /tmp.
lockdir=/var/lib/libvirt
[ -d "$lockdir" ] || lockdir=/
if command -v flock >/dev/null 2>&1; then
    (flock 9 && ensure) 9<"$lockdir"
else
    ensure
fi

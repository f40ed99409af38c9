# KvmPS: build a cloud-init NoCloud seed ISO (volume label "cidata") from the files in a work
# directory, with whichever tool the host has, then remove the work directory.
# Usage: sh -s -- <iso path> <work dir>   (the work dir holds user-data, meta-data, [network-config])
# The seed holds the password hash: only its owner may read it (libvirt gives it to QEMU's user).
umask 077
iso=$1
dir=$2
set -- "$dir/user-data" "$dir/meta-data"
[ -f "$dir/network-config" ] && set -- "$@" "$dir/network-config"
if command -v genisoimage >/dev/null 2>&1; then
    genisoimage -quiet -output "$iso" -volid cidata -joliet -rock "$@"
elif command -v mkisofs >/dev/null 2>&1; then
    mkisofs -quiet -output "$iso" -volid cidata -joliet -rock "$@"
elif command -v xorriso >/dev/null 2>&1; then
    xorriso -as mkisofs -quiet -output "$iso" -volid cidata -joliet -rock "$@"
elif command -v cloud-localds >/dev/null 2>&1; then
    if [ -f "$dir/network-config" ]; then
        cloud-localds -N "$dir/network-config" "$iso" "$dir/user-data" "$dir/meta-data"
    else
        cloud-localds "$iso" "$dir/user-data" "$dir/meta-data"
    fi
else
    echo "none of genisoimage, mkisofs, xorriso or cloud-localds is installed" >&2
    rm -rf "$dir"
    exit 3
fi
rc=$?
rm -rf "$dir"
exit $rc

#!/usr/bin/env bash
# KvmPS lab: a tiny real guest OS for integration tests (boots, gets an IP, answers ping and
# HTTP, powers off on ACPI shutdown). No disk image: direct kernel boot of Debian's cloud
# kernel with a busybox-static initramfs.
#
# Usage: tiny-guest.sh build [--refresh]  build (cached) and publish; prints the published dir
#        tiny-guest.sh path                the published dir (use these paths in domain XML)
#        tiny-guest.sh check-deps          "ok", or one line (what is missing) and exit 1
#        tiny-guest.sh manifest            versions and sha256s of the published files
#        tiny-guest.sh xml --name NAME [--network NET | --bridge BR] [--mac MAC]
#                          [--ip ADDR/PREFIX [--gw GW] [--dns DNS]] [--memory MIB]
#                          [--cmdline-extra 'ARGS'] [--no-serial-log]
#                                          a domain XML that boots the tiny guest (stdout)
#
# Build: the kernel package (linux-image-6.1.0-*-cloud-amd64, the one linux-image-cloud-amd64
# depends on) is fetched once with `apt-get download` into .state/tiny-guest/cache and kept:
# later builds use the cached .deb (`--refresh` asks apt for the current one). Outputs in
# .state/tiny-guest/: vmlinuz, initrd.img (cpio newc + gzip, reproducible), cmdline, manifest.
# They are published (atomic renames, world-readable) to /var/lib/kvmps-lab/tiny, a path that
# every lab host sees identically (lab hosts only bind-mount /var/lib/libvirt over), so a
# migration destination finds the same kernel and initrd. TINY_GUEST_DIR moves it.
#
# Guest kernel command line (the `cmdline` file holds the defaults):
#   kvmps.hostname=NAME   hostname (default "tiny"), also sent as DHCP option 12
#   kvmps.ip=ADDR/PREFIX  static address on kvmps.if instead of DHCP (kvmps.ip=off: link up,
#                         no address)
#   kvmps.gw=GW           default route (with kvmps.ip)
#   kvmps.dns=DNS         nameserver in /etc/resolv.conf (with kvmps.ip)
#   kvmps.if=ethN         the interface kvmps.ip applies to (default eth0); every other
#                         ethN, hot-plugged ones too, runs udhcpc
#   kvmps.http=0          no HTTP responder (default: busybox httpd on port 80)
#   kvmps.fill=MIB        after boot, fill MIB of memory with random data (a busy guest for migration
#                         benchmarks; prints "filled MIB MiB" when done)
#   kvmps.agent=0         no QEMU guest agent (default: qemu-ga on the org.qemu.guest_agent.0 port
#                         when the domain has that channel, as New-KvmGuest adds it)
#   kvmps.shell=0         no shell on the console (default: a root shell on ttyS0 once Enter
#                         is pressed, e.g. in `virsh console`)
# Serial console lines a test can wait for (prefix "kvmps-tiny: "):
#   "lease eth0 ip=A/P router=R dns=D mac=M", "static eth0 ip=A/P ...", "ready ...",
#   "power button: powering off".
# See tests/lab/README.md ("Tiny guest") for the XML, timings and limits.
set -euo pipefail
umask 022

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$LAB_DIR/$(basename "${BASH_SOURCE[0]}")"
BUILD_DIR=${TINY_GUEST_BUILD_DIR:-$LAB_DIR/.state/tiny-guest}
CACHE=$BUILD_DIR/cache
PUBLISH_DIR=${TINY_GUEST_DIR:-/var/lib/kvmps-lab/tiny}
META_PKG=linux-image-cloud-amd64        # Debian 12: depends on linux-image-6.1.0-N-cloud-amd64
BUSYBOX=/bin/busybox                    # from busybox-static
QEMU_GA=/usr/sbin/qemu-ga               # from qemu-guest-agent; copied with its libraries
CMDLINE='console=ttyS0 quiet'
# Loaded in dependency order (their dependencies are found in the .ko files and loaded first).
MODULES=(virtio_pci virtio_net virtio_blk virtio_console virtio_balloon virtio_rng button evdev)
# busybox applets the guest uses (check-deps)
APPLETS=(sh init mount insmod ip udhcpc httpd acpid poweroff cttyhack sleep hostname cat dd)

log() { [[ -n ${TINY_GUEST_QUIET:-} ]] || echo "tiny-guest: $*" >&2; }
die() { echo "tiny-guest.sh: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# dependencies
# ---------------------------------------------------------------------------------------------
# ELF64 without a PT_INTERP program header (a dynamic busybox would not run in the guest)
is_static_elf() {
  local f=$1 phoff entsz num i
  [[ $(head -c 4 "$f" | od -An -c | tr -d ' ') == '177ELF' ]] || return 1
  phoff=$(od -An -t u8 -j 32 -N 8 "$f" | tr -d ' ')
  entsz=$(od -An -t u2 -j 54 -N 2 "$f" | tr -d ' ')
  num=$(od -An -t u2 -j 56 -N 2 "$f" | tr -d ' ')
  for ((i = 0; i < num; i++)); do
    [[ $(od -An -t u4 -j $((phoff + i * entsz)) -N 4 "$f" | tr -d ' ') == 3 ]] && return 1
  done
  return 0
}

deps_reason() {
  local b missing=() a list
  [[ $(id -u) == 0 ]] || { echo "not root"; return 1; }
  for b in apt-get apt-cache dpkg-deb dpkg-query cpio gzip sha256sum find sort; do
    command -v "$b" >/dev/null 2>&1 || missing+=("$b")
  done
  [[ -x $QEMU_GA ]] || missing+=("qemu-guest-agent ($QEMU_GA)")
  command -v ldd >/dev/null 2>&1 || missing+=(ldd)
  if [[ ! -x $BUSYBOX ]]; then
    missing+=("busybox-static ($BUSYBOX)")
  elif ! is_static_elf "$BUSYBOX"; then
    missing+=("busybox-static ($BUSYBOX is dynamically linked)")
  else
    list=" $("$BUSYBOX" --list | tr '\n' ' ') "
    for a in "${APPLETS[@]}"; do [[ $list == *" $a "* ]] || missing+=("busybox applet $a"); done
  fi
  ((${#missing[@]} == 0)) || { echo "missing: ${missing[*]}"; return 1; }
  return 0
}

cmd_check_deps() {
  local reason
  if reason=$(deps_reason); then echo ok; else echo "$reason"; return 1; fi
}

# ---------------------------------------------------------------------------------------------
# the kernel package
# ---------------------------------------------------------------------------------------------
apt_update_once() {
  [[ -z ${APT_UPDATED:-} ]] || return 1
  APT_UPDATED=1
  log "apt-get update"
  apt-get update -qq >&2 || return 1
}

# the linux-image-6.1.0-N-cloud-amd64 that the meta package depends on
resolve_kernel_pkg() {
  local pkg
  pkg=$(apt-cache depends "$META_PKG" 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ {print $2; exit}')
  if [[ -z $pkg ]] && apt_update_once; then
    pkg=$(apt-cache depends "$META_PKG" 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ {print $2; exit}')
  fi
  [[ -n $pkg ]] || die "apt knows no $META_PKG (is the Debian 12 mirror in the apt sources?)"
  echo "$pkg"
}

newest_cached_deb() {   # [package]: the newest cached .deb (of that package)
  local pat=${1:-linux-image-*-cloud-amd64}
  compgen -G "$CACHE/${pat}_*_amd64.deb" | sort -V | tail -1 || true
}

download_deb() {
  local pkg=$1 tmp
  tmp=$(mktemp -d "$CACHE/.dl.XXXX")
  log "apt-get download $pkg"
  if ! (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2); then
    apt_update_once || { rm -rf "$tmp"; die "apt-get download $pkg failed"; }
    (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) ||
      { rm -rf "$tmp"; die "apt-get download $pkg failed"; }
  fi
  mv "$tmp"/*.deb "$CACHE/"
  rm -rf "$tmp"
}

# Prints the .deb to build from. Cached one first (reproducible, no network); --refresh (or
# TINY_GUEST_KERNEL=package) asks for a specific/current package.
pick_deb() {
  local refresh=$1 pkg deb ver
  if [[ -n ${TINY_GUEST_KERNEL:-} ]]; then
    pkg=$TINY_GUEST_KERNEL
    deb=$(newest_cached_deb "$pkg")
    [[ -n $deb ]] || { download_deb "$pkg"; deb=$(newest_cached_deb "$pkg"); }
  else
    deb=$(newest_cached_deb)
    if [[ -z $deb ]] || ((refresh)); then
      pkg=$(resolve_kernel_pkg)
      ver=$(apt-cache policy "$pkg" 2>/dev/null | awk '$1 == "Candidate:" {print $2; exit}')
      deb="$CACHE/${pkg}_${ver//:/%3a}_amd64.deb"   # the name apt-get download gives it
      [[ -f $deb ]] || download_deb "$pkg"
      deb=$(newest_cached_deb "$pkg")
      # keep only what we build from
      find "$CACHE" -maxdepth 1 -name 'linux-image-*.deb' ! -path "$deb" -delete
      find "$CACHE" -maxdepth 1 -name 'kernel-*' -type d ! -name "kernel-$(deb_field "$deb" Package)" -exec rm -rf {} +
    fi
  fi
  [[ -f $deb ]] || die "no kernel package in $CACHE"
  echo "$deb"
}

deb_field() { dpkg-deb -f "$1" "$2"; }

# Extracts vmlinuz and the wanted modules (with their dependencies, in load order) from the
# .deb into $CACHE/kernel-PACKAGE/ once per .deb.
extract_kernel() {
  local deb=$1 pkg kdir stamp tmp rel moddir m f order=() seen=" "
  pkg=$(deb_field "$deb" Package)
  kdir=$CACHE/kernel-$pkg
  stamp="$(basename "$deb") $(stat -c %s "$deb") ${MODULES[*]}"
  if [[ -f $kdir/.from && $(<"$kdir/.from") == "$stamp" ]]; then echo "$kdir"; return; fi
  log "extracting $(basename "$deb")"
  tmp=$(mktemp -d "$CACHE/.x.XXXX")
  X_TMP=$tmp; trap 'rm -rf "${X_TMP:-}"' EXIT   # runs in $(...): the trap is that subshell's
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*' './lib/modules/*'
  f=$(compgen -G "$tmp/boot/vmlinuz-*" | head -1) || true
  [[ -n $f ]] || die "no vmlinuz in $deb"
  rel=${f##*/vmlinuz-}
  moddir=$tmp/lib/modules/$rel
  declare -A path=()
  while IFS= read -r f; do   # module name (dashes as underscores) -> file
    m=${f##*/}; m=${m%%.ko*}; path[${m//-/_}]=$f
  done < <(find "$moddir" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz')
  mkdir -p "$tmp/out/modules"
  add_module() {   # post-order: dependencies first
    local m=${1//-/_} f d deps
    [[ $seen == *" $m "* ]] && return 0
    seen+="$m "
    f=${path[$m]:-}
    if [[ -z $f ]]; then
      grep -qE "/${m//_/[-_]}\.ko" "$moddir/modules.builtin" 2>/dev/null && return 0   # built in
      die "module $m not found in $pkg"
    fi
    case $f in
      *.ko) cp "$f" "$tmp/out/modules/$m.ko" ;;
      *.xz) xz -dc "$f" >"$tmp/out/modules/$m.ko" ;;
      *.zst) zstd -qdc "$f" >"$tmp/out/modules/$m.ko" ;;
      *.gz) gzip -dc "$f" >"$tmp/out/modules/$m.ko" ;;
    esac
    deps=$(grep -ao 'depends=[A-Za-z0-9_,-]*' "$tmp/out/modules/$m.ko" | head -1 || true)
    deps=${deps#depends=}
    for d in ${deps//,/ }; do add_module "$d"; done
    order+=("$m")
  }
  for m in "${MODULES[@]}"; do add_module "$m"; done
  cp "$tmp/boot/vmlinuz-$rel" "$tmp/out/vmlinuz"
  printf '%s\n' "${order[@]}" >"$tmp/out/load.order"
  {
    echo "kernel_package=$pkg"
    echo "kernel_version=$(deb_field "$deb" Version)"
    echo "kernel_release=$rel"
    echo "kernel_deb=$(basename "$deb")"
    echo "kernel_deb_sha256=$(sha256sum "$deb" | cut -d' ' -f1)"
  } >"$tmp/out/info"
  echo "$stamp" >"$tmp/out/.from"
  rm -rf "$kdir"; mv "$tmp/out" "$kdir"; rm -rf "$tmp"
  echo "$kdir"
}

# ---------------------------------------------------------------------------------------------
# the initramfs
# ---------------------------------------------------------------------------------------------
write_guest_files() {   # $1 = staging root, $2 = kernel release
  local r=$1 rel=$2
  mkdir -p "$r"/{bin,etc/acpi/PWRF,etc/acpi/PWRB,proc,sys,dev,run,tmp,root,var/log,www/cgi-bin,"lib/modules/$rel"}
  ln -s bin "$r/sbin"; mkdir -p "$r/usr"; ln -s ../bin "$r/usr/bin"; ln -s ../bin "$r/usr/sbin"
  ln -s ../run "$r/var/run"
  chmod 1777 "$r/tmp"; chmod 700 "$r/root"

  cat >"$r/init" <<'EOF'
#!/bin/sh
# KvmPS lab tiny guest (tests/lab/tiny-guest.sh): filesystems, then busybox init (/etc/inittab)
export PATH=/bin
mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620 devpts /dev/pts
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run
exec /bin/init
EOF

  cat >"$r/etc/inittab" <<'EOF'
::sysinit:/etc/rc
::respawn:/etc/console-shell
::ctrlaltdel:/etc/acpi/PWRF/00000080
::shutdown:/etc/rc.shutdown
EOF

  cat >"$r/etc/rc" <<'EOF'
#!/bin/sh
# KvmPS lab tiny guest: modules, acpid, network (DHCP or kvmps.ip=), httpd
export PATH=/bin
say() { echo "kvmps-tiny: $*" >/dev/console; }
arg() {   # value of kvmps.$1= on the kernel command line; fails when absent
  for a in $(cat /proc/cmdline); do
    case $a in kvmps.$1=*) echo "${a#*=}"; return 0 ;; esac
  done
  return 1
}
hn=$(arg hostname) || hn=tiny
hostname "$hn"; echo "$hn" >/etc/hostname
echo "127.0.0.1 localhost" >/etc/hosts
echo "127.0.1.1 $hn" >>/etc/hosts
rel=$(uname -r)
while read -r m; do
  insmod "/lib/modules/$rel/$m.ko" 2>/dev/null || say "insmod $m failed"
done <"/lib/modules/$rel/load.order"
# ACPI power button (button.ko + evdev) -> /etc/acpi/PWRF/00000080 -> poweroff
[ -e /dev/input/event0 ] && acpid -c /etc/acpi -l /run/acpid.log

sip=$(arg ip) || sip=dhcp
sif=$(arg if) || sif=eth0
gw=$(arg gw) || gw=
dns=$(arg dns) || dns=
setup_if() {
  i=$1
  [ -e "/run/net.$i" ] && return 0
  touch "/run/net.$i"
  ip link set "$i" up
  if [ "$i" = "$sif" ] && [ "$sip" != dhcp ]; then
    [ "$sip" = off ] && return 0
    ip addr add "$sip" dev "$i"
    [ -n "$gw" ] && ip route add default via "$gw" dev "$i"
    [ -n "$dns" ] && echo "nameserver $dns" >/etc/resolv.conf
    say "static $i ip=$sip router=${gw:-none} dns=${dns:-none} mac=$(cat "/sys/class/net/$i/address")"
  else
    # daemonizes once it has a lease, or after 20 tries (then keeps trying every 2 s)
    udhcpc -i "$i" -s /etc/udhcpc.script -x "hostname:$hn" -t 20 -T 1 -A 2 -b \
      -p "/run/udhcpc.$i.pid" >/dev/null 2>&1 &
  fi
}
ip link set lo up
# NICs appear while the modules load; wait up to 2 s for the first one
n=0
while [ ! -e /sys/class/net/eth0 ] && [ $n -lt 20 ]; do sleep 0.1; n=$((n + 1)); done
for d in /sys/class/net/*; do
  i=${d##*/}
  case $i in lo) ;; *) setup_if "$i" ;; esac
done
# hot-plugged NICs (virsh attach-interface) are configured the same way
(
  while sleep 2; do
    for d in /sys/class/net/*; do
      i=${d##*/}
      case $i in lo) ;; *) [ -e "/run/net.$i" ] || setup_if "$i" ;; esac
    done
  done
) </dev/null >/dev/null 2>&1 &

uuid=$(cat /sys/class/dmi/id/product_uuid 2>/dev/null) || uuid=
{
  echo "hostname=$hn"
  echo "uuid=$uuid"
  echo "boot_id=$(cat /proc/sys/kernel/random/boot_id)"
  echo "kernel=$rel"
} >/www/index.html
[ "$(arg http)" = 0 ] || httpd -p 80 -h /www
say "ready hostname=$hn uuid=$uuid uptime=$(cut -d' ' -f1 /proc/uptime)s"
# the guest agent answers libvirt (virsh domifaddr --source agent: addresses on bridges, where
# the host sees no DHCP lease and no ARP entry), when the domain has its channel
if [ "$(arg agent)" != 0 ]; then
  for p in /sys/class/virtio-ports/*; do
    [ "$(cat "$p/name" 2>/dev/null)" = org.qemu.guest_agent.0 ] || continue
    /usr/sbin/qemu-ga -d -m virtio-serial -p "/dev/${p##*/}" -f /run/qemu-ga.pid -t /run && say "guest agent on ${p##*/}"
  done
fi
# random data, so that a migration has to send every page of it (zero pages cost nothing)
fill=$(arg fill) && ( dd if=/dev/urandom of=/fill bs=1M count="$fill" 2>/dev/null; say "filled $fill MiB" ) </dev/null >/dev/null 2>&1 &
EOF

  cat >"$r/etc/udhcpc.script" <<'EOF'
#!/bin/sh
# udhcpc event script: applies the lease and prints it on the console
say() { echo "kvmps-tiny: $*" >/dev/console; }
case $1 in
  deconfig)
    ip -4 addr flush dev "$interface"
    ip link set "$interface" up
    rm -f "/run/lease.$interface"
    ;;
  bound | renew)
    new="$ip/${mask:-24}"
    [ "$(cat "/run/lease.$interface" 2>/dev/null)" = "$new" ] || ip -4 addr flush dev "$interface"
    ip addr replace "$new" broadcast "${broadcast:-+}" dev "$interface"
    metric=$((100 + $(cat "/sys/class/net/$interface/ifindex")))
    for r in $router; do
      ip route replace default via "$r" dev "$interface" metric "$metric"
      break
    done
    if [ -n "$dns" ]; then
      : >/etc/resolv.conf
      [ -n "$domain" ] && echo "search $domain" >>/etc/resolv.conf
      for d in $dns; do echo "nameserver $d" >>/etc/resolv.conf; done
    fi
    echo "$new" >"/run/lease.$interface"
    say "lease $interface ip=$new router=${router:-none} dns=${dns:-none} mac=$(cat "/sys/class/net/$interface/address") lease=${lease:-?}s ($1)"
    ;;
  leasefail | nak)
    ;;
esac
exit 0
EOF

  # Silent until Enter is pressed (virsh console): a prompt would interleave its escape
  # sequences with the "kvmps-tiny:" lines tests look for.
  cat >"$r/etc/console-shell" <<'EOF'
#!/bin/sh
# root shell on the console (virsh console, press Enter), unless kvmps.shell=0
case " $(cat /proc/cmdline) " in
  *" kvmps.shell=0 "*) exec sleep 2147483647 ;;
esac
read -r _ || exec sleep 2147483647
exec /bin/cttyhack /bin/sh -l
EOF

  cat >"$r/etc/rc.shutdown" <<'EOF'
#!/bin/sh
echo "kvmps-tiny: shutting down" >/dev/console
for f in /run/udhcpc.*.pid; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
sync
EOF

  # nothing to save in a RAM-only guest: power off at once (busybox init's own poweroff
  # spends ~2 s in TERM/KILL grace periods)
  cat >"$r/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
echo "kvmps-tiny: power button: powering off" >/dev/console
/etc/rc.shutdown
exec /bin/poweroff -f
EOF
  cp "$r/etc/acpi/PWRF/00000080" "$r/etc/acpi/PWRB/00000080"

  cat >"$r/www/cgi-bin/info" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
echo "hostname=$(hostname)"
echo "uuid=$(cat /sys/class/dmi/id/product_uuid 2>/dev/null)"
echo "boot_id=$(cat /proc/sys/kernel/random/boot_id)"
echo "uptime=$(cut -d' ' -f1 /proc/uptime)"
echo "kernel=$(uname -r)"
ip -o -4 addr show | while read -r _ i _ a _; do [ "$i" = lo ] || echo "addr=$i $a"; done
EOF

  cat >"$r/etc/profile" <<'EOF'
export PATH=/bin
PS1='$(hostname) # '
EOF
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
  printf 'root:x:0:\ntty:x:5:\n' >"$r/etc/group"
  : >"$r/etc/resolv.conf"
  chmod 755 "$r/init" "$r/etc/rc" "$r/etc/udhcpc.script" "$r/etc/console-shell" "$r/etc/rc.shutdown" \
    "$r/etc/acpi/PWRF/00000080" "$r/etc/acpi/PWRB/00000080" "$r/www/cgi-bin/info"
}

# Copies a dynamic binary and the libraries ldd names (and its loader) to the same paths in the stage.
add_dynamic() {   # $1 = stage, $2 = binary
  local stage=$1 bin=$2 lib
  mkdir -p "$stage$(dirname "$bin")"
  cp "$bin" "$stage$bin"
  for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
    mkdir -p "$stage$(dirname "$lib")"
    cp -L "$lib" "$stage$lib"
  done
}

# Builds initrd.img from the cached kernel dir; byte-identical for the same inputs.
build_initrd() {   # $1 = kernel dir, $2 = output file
  local kdir=$1 out=$2 rel stage
  rel=$(sed -n 's/^kernel_release=//p' "$kdir/info")
  stage=$BUILD_DIR/.stage
  rm -rf "$stage"; mkdir -p "$stage"
  write_guest_files "$stage" "$rel"
  cp "$BUSYBOX" "$stage/bin/busybox"
  "$BUSYBOX" --install -s "$stage/bin"   # links to the path of the running busybox (/usr/bin
                                           # on a merged /usr): both resolve in the guest
  cp "$kdir"/modules/*.ko "$kdir/load.order" "$stage/lib/modules/$rel/"
  add_dynamic "$stage" "$QEMU_GA"
  find "$stage" -exec touch -h -d @0 {} +
  (cd "$stage" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
    cpio -o -H newc -R 0:0 --reproducible --quiet | gzip -n -9) >"$out"
  rm -rf "$stage"
}

# ---------------------------------------------------------------------------------------------
# build + publish
# ---------------------------------------------------------------------------------------------
input_key() {   # everything the outputs depend on
  local deb=$1
  {
    echo "deb $(basename "$deb") $(stat -c %s "$deb")"
    echo "busybox $(stat -c '%s %Y' "$BUSYBOX")"
    echo "qemu-ga $(stat -c '%s %Y' "$QEMU_GA")"
    echo "script $(sha256sum "$SELF" | cut -d' ' -f1)"
    echo "cmdline $CMDLINE"
  } | sha256sum | cut -d' ' -f1
}

publish() {
  local f
  mkdir -p "$PUBLISH_DIR"
  chmod 755 "$PUBLISH_DIR"
  if [[ -f $PUBLISH_DIR/manifest ]] && cmp -s "$BUILD_DIR/manifest" "$PUBLISH_DIR/manifest" &&
    [[ -f $PUBLISH_DIR/vmlinuz && -f $PUBLISH_DIR/initrd.img && -f $PUBLISH_DIR/cmdline ]]; then
    # libvirt's dynamic_ownership chowns kernel/initrd to libvirt-qemu while a guest runs (and
    # leaves them so when the lab is killed); only the mode matters: world-readable
    chmod 644 "$PUBLISH_DIR"/{vmlinuz,initrd.img,cmdline,manifest}
    return 0
  fi
  exec 8>"$PUBLISH_DIR/.lock"
  flock -w 120 8 || die "cannot lock $PUBLISH_DIR/.lock"
  log "publishing to $PUBLISH_DIR"
  # atomic renames: a running QEMU keeps the file it opened; manifest last
  for f in vmlinuz initrd.img cmdline manifest; do
    cp "$BUILD_DIR/$f" "$PUBLISH_DIR/.$f.new"
    chmod 644 "$PUBLISH_DIR/.$f.new"
    mv -f "$PUBLISH_DIR/.$f.new" "$PUBLISH_DIR/$f"
  done
  exec 8>&-
}

cmd_build() {
  local refresh=0 deb key kdir t0 f
  [[ ${1:-} == --refresh ]] && refresh=1
  t0=$(date +%s%N)
  local reason; reason=$(deps_reason) || die "$reason"
  mkdir -p "$CACHE"
  exec 9>"$BUILD_DIR/.lock"
  flock -w 300 9 || die "another tiny-guest.sh build holds $BUILD_DIR/.lock"
  deb=$(pick_deb "$refresh")
  key=$(input_key "$deb")
  if [[ -f $BUILD_DIR/.key && $(<"$BUILD_DIR/.key") == "$key" ]] &&
    [[ -f $BUILD_DIR/vmlinuz && -f $BUILD_DIR/initrd.img && -f $BUILD_DIR/cmdline && -f $BUILD_DIR/manifest ]]; then
    log "up to date"
  else
    rm -f "$BUILD_DIR/.key"
    kdir=$(extract_kernel "$deb")
    log "building initrd.img"
    build_initrd "$kdir" "$BUILD_DIR/.initrd.img.new"
    cp "$kdir/vmlinuz" "$BUILD_DIR/.vmlinuz.new"
    echo "$CMDLINE" >"$BUILD_DIR/.cmdline.new"
    for f in vmlinuz initrd.img cmdline; do mv -f "$BUILD_DIR/.$f.new" "$BUILD_DIR/$f"; done
    {
      cat "$kdir/info"
      echo "modules=$(tr '\n' ' ' <"$kdir/load.order" | sed 's/ $//')"
      echo "busybox_version=$(dpkg-query -W -f '${Version}' busybox-static 2>/dev/null || echo unknown)"
      echo "busybox_sha256=$(sha256sum "$BUSYBOX" | cut -d' ' -f1)"
      echo "qemu_ga_version=$(dpkg-query -W -f '${Version}' qemu-guest-agent 2>/dev/null || echo unknown)"
      echo "cmdline=$CMDLINE"
      for f in vmlinuz initrd.img; do
        echo "${f%%.*}_sha256=$(sha256sum "$BUILD_DIR/$f" | cut -d' ' -f1)"
        echo "${f%%.*}_bytes=$(stat -c %s "$BUILD_DIR/$f")"
      done
      echo "generator_sha256=$(sha256sum "$SELF" | cut -d' ' -f1)"
    } >"$BUILD_DIR/manifest"
    echo "$key" >"$BUILD_DIR/.key"
  fi
  publish
  exec 9>&-
  log "done in $((($(date +%s%N) - t0) / 1000000)) ms"
  echo "$PUBLISH_DIR"
}

cmd_path() { echo "$PUBLISH_DIR"; }

cmd_manifest() {
  [[ -f $PUBLISH_DIR/manifest ]] || die "not built (run: $SELF build)"
  cat "$PUBLISH_DIR/manifest"
}

# ---------------------------------------------------------------------------------------------
# domain XML
# ---------------------------------------------------------------------------------------------
xml_escape() { local s=$1; s=${s//&/&amp;}; s=${s//</&lt;}; s=${s//>/&gt;}; s=${s//\'/&apos;}; printf '%s' "$s"; }

cmd_xml() {
  local name="" net=default bridge="" mac="" ip="" gw="" dns="" mem=128 extra="" serial_log=1 cmdline iface
  while (($#)); do
    case $1 in
      --name) name=$2; shift 2 ;;
      --network) net=$2; bridge=""; shift 2 ;;
      --bridge) bridge=$2; shift 2 ;;
      --mac) mac=$2; shift 2 ;;
      --ip) ip=$2; shift 2 ;;
      --gw) gw=$2; shift 2 ;;
      --dns) dns=$2; shift 2 ;;
      --memory) mem=$2; shift 2 ;;
      --cmdline-extra) extra=$2; shift 2 ;;
      --no-serial-log) serial_log=0; shift ;;
      *) die "xml: unknown option $1" ;;
    esac
  done
  [[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || die "xml: --name NAME (letters, digits, _ . -) is required"
  cmdline="$CMDLINE kvmps.hostname=$name"
  [[ -z $ip ]] || cmdline+=" kvmps.ip=$ip"
  [[ -z $gw ]] || cmdline+=" kvmps.gw=$gw"
  [[ -z $dns ]] || cmdline+=" kvmps.dns=$dns"
  [[ -z $extra ]] || cmdline+=" $extra"
  if [[ -n $bridge ]]; then
    iface="<interface type='bridge'>
      <source bridge='$(xml_escape "$bridge")'/>"
  else
    iface="<interface type='network'>
      <source network='$(xml_escape "$net")'/>"
  fi
  [[ -z $mac ]] || iface+="
      <mac address='$(xml_escape "$mac")'/>"
  iface+="
      <model type='virtio'/>
    </interface>"
  local serial="<serial type='pty'/>"
  ((serial_log == 0)) || serial="<serial type='pty'>
      <log file='/var/log/libvirt/qemu/$name-serial.log' append='off'/>
    </serial>"
  cat <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>$mem</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$PUBLISH_DIR/vmlinuz</kernel>
    <initrd>$PUBLISH_DIR/initrd.img</initrd>
    <cmdline>$(xml_escape "$cmdline")</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    $iface
    $serial
    <console type='pty'><target type='serial' port='0'/></console>
  </devices>
</domain>
EOF
}

usage() { sed -n '2,/^set -euo/p' "$SELF" | grep '^#' | sed 's/^# \{0,1\}//'; }

main() {
  local cmd=${1:-help}
  (($#)) && shift
  case $cmd in
    build) cmd_build "$@" ;;
    path) cmd_path ;;
    check-deps) cmd_check_deps ;;
    manifest) cmd_manifest ;;
    xml) cmd_xml "$@" ;;
    help | -h | --help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"

#!/bin/bash
# The packages under a real systemd: a Debian system booted with systemd as
# PID 1 (systemd-nspawn -b), the packages `make deb` builds installed in it
# with apt as an admin would, and the promises of the units checked there,
# each through glibc and the installed tool (no answer written here):
#
# - after install, `getent services bgp/sctp` answers through the system's
#   nsswitch line, and the module enumerates what `iana-services export`
#   writes;
# - a line appended to /etc/services, then one to /etc/protocols, is merged
#   by iana-services-rebuild.path within seconds: the new name answers, and
#   every other answer stays (the enumeration before, plus that line);
# - iana-services-update.service, pointed by a drop-in at an HTTP server in
#   the container, swaps in a changed registry (its new names answer, the
#   edits stay merged); one whose download is cut short fails and leaves the
#   database and every file beside it byte for byte as they were;
# - a database damaged in place (a byte flipped) is found by `verify` and
#   rebuilt by iana-services-rebuild.service as shipped;
# - the update timer is scheduled; no unit of the package is failed after
#   any step but the one that must fail;
# - remove and purge stop and drop the units, leave no file behind (the
#   file list before install compared with the one after purge), and
#   /etc/nsswitch.conf byte for byte as before install.
#
#   tests/systemd.sh BUILD_DIR [SUITE [DEB_DIR]]
#
# SUITE: bookworm (default) or another Debian suite; DEB_DIR: the packages
# to install (default: `make deb` into BUILD_DIR/deb, for this machine's
# Debian; another suite needs packages built on it, as
# tests/ports/systemd-trixie.sh builds them).  Root; the Debian archive
# reachable the first time (the system is then cached in
# BUILD_DIR/boot/cache: a tarball of it, and apt's downloads).  The host
# needs no systemd: nspawn runs in a cgroup this script makes and removes.
# The container, its cgroup and its files are removed however the run
# ends; nothing is mounted on this machine.
set -u
cd "$(dirname "$0")/.." || exit 2
B=${1:?usage: systemd.sh BUILD_DIR [SUITE [DEB_DIR]]}
SUITE=${2:-bookworm}
DEB_DIR=${3:-}
NAME=systemd-$SUITE
. tests/lib.sh
if [ "$(id -u)" != 0 ]; then
    echo "$NAME: SKIPPED (needs root: debootstrap, systemd-nspawn, cgroups)"
    exit 0
fi
for t in systemd-nspawn debootstrap nsenter chattr; do
    command -v $t > /dev/null || { echo "$NAME: FAIL: no $t (systemd-container, debootstrap, util-linux, e2fsprogs)"; exit 1; }
done
# nspawn needs the cgroup file system, which a chroot (make check-ports'
# PORTS_TRIXIE_TARGETS=check) does not mount.
if [ ! -f /sys/fs/cgroup/cgroup.controllers ] && [ ! -d /sys/fs/cgroup/systemd ]; then
    echo "$NAME: SKIPPED (no cgroup file system at /sys/fs/cgroup: in a chroot?)"
    exit 0
fi
mkdir -p "$B" && B=$(cd "$B" && pwd) && [ -n "$B" ] || exit 2
MIRROR=${BOOT_MIRROR:-${PORTS_MIRROR:-http://deb.debian.org/debian}}
ARCH=$(dpkg --print-architecture)
# python3: the HTTP server the update is pointed at (tests/http_fixture.py).
INCLUDE=systemd,systemd-sysv,dbus,netbase,python3
CACHE=$B/boot/cache
# The cached system is named by what it holds: another list, another file.
ROOT_TGZ=$CACHE/$SUITE-$ARCH-$(printf '%s' "$INCLUDE" | sha256sum | cut -c1-8).tgz
APT_CACHE=$CACHE/apt-$SUITE-$ARCH
T=/srv/nss-iana-test          # the test's files in the container
DBDIR=/var/lib/nss_iana
UNITS="iana-services-rebuild.path iana-services-rebuild.service iana-services-update.service iana-services-update.timer"
t_start=$(date +%s.%N)
since() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

mkdir -p "$B/boot" "$CACHE" "$APT_CACHE"
tmp=$(mktemp -d "$B/boot/tmp.XXXXXX") || exit 2
root=""; nspawn=""; leader=""; server=""; cgdirs=""; mk=""
# /run/systemd/nspawn: nspawn makes it on a host without systemd; removed
# after if this run made it.
made_nspawn_run=""
[ -d /run/systemd/nspawn ] || made_nspawn_run=yes

# --- cleanup: on any exit --------------------------------------------------------
cg_procs() { local d; for d in $cgdirs; do find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null; done; }
# stop_server: the HTTP server nsenter runs as its child in the container.
stop_server() {
    [ -n "$server" ] || return 0
    # shellcheck disable=SC2046
    kill $(cat /proc/"$server"/task/*/children 2>/dev/null) "$server" 2>/dev/null
    wait "$server" 2>/dev/null
    server=""
}
# remove_tree DIR: whatever is mounted under it unmounted (nspawn mounts
# in a namespace of its own: nothing, unless something went badly wrong),
# then removed.
remove_tree() {
    [ -d "$1" ] || return 0
    awk -v d="$1/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
        while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
    rm -rf --one-file-system "$1" || echo "$NAME: $1 not removed"
}
cleanup() {
    local lock=""
    stop_server
    if [ -n "$nspawn" ] && kill -0 "$nspawn" 2>/dev/null; then
        # SIGTERM: nspawn asks the container's systemd to power off.
        kill -TERM "$nspawn" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.2; done
        kill -0 "$nspawn" 2>/dev/null && { echo "$NAME: the container did not stop in 20 s: killed"; kill -KILL "$nspawn"; }
    fi
    [ -n "$nspawn" ] && wait "$nspawn" 2>/dev/null
    # Whatever is left in the cgroup (nothing, if the container stopped).
    for _ in 1 2 3; do
        [ -z "$(cg_procs)" ] && break
        # shellcheck disable=SC2046
        kill -KILL $(cg_procs) 2>/dev/null; sleep 0.5
    done
    for d in $cgdirs; do
        find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
        [ -d "$d" ] && echo "$NAME: cgroup $d not removed: $(cg_procs | tr '\n' ' ')"
    done
    if [ -n "$root" ] && [ -d "$root" ]; then
        lock=/run/systemd/nspawn/locks/inode-$(stat -c %d:%i "$root")
        # The database is immutable.
        find "$root$DBDIR" -type f -exec chattr -i {} + 2>/dev/null
        remove_tree "$root"
    fi
    # debootstrap's, if interrupted (it mounts /proc and /sys in there).
    [ -n "$mk" ] && remove_tree "$mk"
    # What nspawn leaves in /run where that is no tmpfs (it will not
    # remove a directory on a disk) or when it is killed: its lock on the
    # system's directory, its directory for mounts into the container.
    [ -n "$lock" ] && rm -f "$lock"
    rmdir /run/systemd/nspawn/propagate/nss-iana-prep-$$ /run/systemd/nspawn/propagate/nss-iana-boot-$$ 2>/dev/null
    if [ -n "$made_nspawn_run" ]; then
        rmdir /run/systemd/nspawn/propagate /run/systemd/nspawn/locks /run/systemd/nspawn 2>/dev/null
    fi
    [ -n "$tmp" ] && rm -rf "$tmp"
    nspawn="" server="" tmp=""
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# --- the packages ------------------------------------------------------------------
if [ -z "$DEB_DIR" ]; then
    if ! make --no-print-directory B="$B" deb > "$tmp/deb.log" 2>&1; then
        tail -20 "$tmp/deb.log"
        bad "make deb"; summary "$NAME"; exit
    fi
    DEB_DIR=$B/deb
fi
debs=$(ls "$DEB_DIR"/libnss-iana_*.deb "$DEB_DIR"/iana-services_*.deb 2>/dev/null)
if [ "$(echo "$debs" | wc -w)" != 2 ]; then
    bad "two packages in $DEB_DIR" "$(ls "$DEB_DIR")"; summary "$NAME"; exit
fi

# --- the system: debootstrap once, then a copy of the cached tarball -------------
t0=$(date +%s.%N)
if [ ! -s "$ROOT_TGZ" ]; then
    mk=$B/boot/debootstrap.$$
    if debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$mk" "$MIRROR" > "$tmp/debootstrap.log" 2>&1 &&
        tar --numeric-owner --xattrs --xattrs-include='*' -C "$mk" -czf "$ROOT_TGZ.new" . &&
        mv "$ROOT_TGZ.new" "$ROOT_TGZ"; then
        remove_tree "$mk"; mk=""
        echo "debootstrap $SUITE ($INCLUDE) into $ROOT_TGZ: $(since "$t0") s"
    else
        tail -5 "$tmp/debootstrap.log"
        remove_tree "$mk"; mk=""; rm -f "$ROOT_TGZ.new"
        bad "debootstrap $SUITE"; summary "$NAME"; exit
    fi
fi
root=$(mktemp -d "$B/boot/root.XXXXXX") || exit 2
chmod 0755 "$root"
tar --numeric-owner --xattrs --xattrs-include='*' -C "$root" -xzf "$ROOT_TGZ" ||
    { bad "unpack $ROOT_TGZ"; summary "$NAME"; exit; }
mkdir -p "$root$T/www"
cp $debs "$root$T/"
cp tests/http_fixture.py "$root$T/"
# The registries the update downloads: as the package ships them, each with
# one entry more (tests/update.sh makes them so too).
CSV=data/service-names-port-numbers.csv PCSV=data/protocol-numbers-1.csv
{ cat "$CSV"; printf 'nss-iana-boot,48999,tcp,boot test,,,,,,,,\r\n'; } > "$root$T/www/registry.csv"
{ head -n -1 "$PCSV"; printf '254,NSS-IANA-BOOT,boot test protocol,,[RFC3692]\r\n'; tail -n 1 "$PCSV"; } \
    > "$root$T/www/protocols-new.csv"
cp "$PCSV" "$root$T/www/protocols.csv"
# nspawn --keep-unit runs the container in the cgroup it is started from,
# which must not be the root: one of its own, in each hierarchy systemd
# uses (cgroup2; or, on a hybrid host, name=systemd and the unified one).
cg=nss-iana-boot.$$
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    cgdirs=/sys/fs/cgroup/$cg
else
    [ -d /sys/fs/cgroup/systemd ] && cgdirs=/sys/fs/cgroup/systemd/$cg
    [ -f /sys/fs/cgroup/unified/cgroup.controllers ] && cgdirs="$cgdirs /sys/fs/cgroup/unified/$cg"
fi
for d in $cgdirs; do mkdir "$d" || { bad "cgroup $d"; summary "$NAME"; exit; }; done
# in_cg COMMAND...: COMMAND (systemd-nspawn) started from that cgroup, in
# this process (a subshell of its caller's).
in_cg() {
    for d in $cgdirs; do echo "$BASHPID" > "$d/cgroup.procs" || exit 1; done
    exec "$@"
}

# The packages' dependencies into apt's cache (kept in $APT_CACHE), with
# this machine's network, before the boot, which has none
# (--private-network): nspawn without -b, once, for apt alone.
aptdl() (
    in_cg systemd-nspawn -q -D "$root" --register=no --keep-unit --machine="nss-iana-prep-$$" \
        --bind="$APT_CACHE:/var/cache/apt/archives" --chdir="$T" --console=pipe \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"
)
debargs=$(for d in $debs; do printf './%s ' "$(basename "$d")"; done)
# shellcheck disable=SC2086
if ! aptdl apt-get install -q -y --download-only --no-install-recommends $debargs > "$tmp/aptdl.log" 2>&1; then
    # The cached lists are older than the archive: read them again.
    # shellcheck disable=SC2086
    aptdl sh -c "apt-get update -q && apt-get install -q -y --download-only --no-install-recommends $debargs" \
        > "$tmp/aptdl.log" 2>&1 ||
        { tail -5 "$tmp/aptdl.log"; bad "the packages' dependencies downloaded"; summary "$NAME"; exit; }
fi
cp -a "$root/etc/nsswitch.conf" "$tmp/nsswitch.orig"
echo "$NAME: system ready in $(since "$t0") s ($(. "$root/etc/os-release"; echo "$PRETTY_NAME"), systemd $(chroot "$root" dpkg-query -W -f '${Version}' systemd))"

# --- boot ----------------------------------------------------------------------
t0=$(date +%s.%N)
in_cg systemd-nspawn -D "$root" -b --register=no --keep-unit --private-network \
        --machine="nss-iana-boot-$$" --bind="$APT_CACHE:/var/cache/apt/archives" \
        --console=read-only < /dev/null > "$B/boot/console-$SUITE.log" 2>&1 &
nspawn=$!
# LEADER: nspawn's child, PID 1 in the container (in a pid namespace of its
# own: the outer child nspawn forks first is not).
for _ in $(seq 200); do
    for c in $(cat /proc/$nspawn/task/*/children 2>/dev/null); do
        [ "$(readlink /proc/$c/ns/pid)" != "$(readlink /proc/self/ns/pid)" ] && leader=$c
    done
    [ -n "$leader" ] && break
    kill -0 "$nspawn" 2>/dev/null || break
    sleep 0.05
done
for _ in $(seq 400); do
    [ -n "$leader" ] && [ -S /proc/$leader/root/run/systemd/private ] && break
    kill -0 "$nspawn" 2>/dev/null || break
    sleep 0.05
done
if [ -z "$leader" ] || [ ! -S /proc/$leader/root/run/systemd/private ]; then
    tail -20 "$B/boot/console-$SUITE.log"
    bad "boot: systemd in the container (no /run/systemd/private within 20 s)"; summary "$NAME"; exit
fi
# in_ct COMMAND...: in the container, as its root, in a clean environment.
in_ct() {
    nsenter -t "$leader" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        TERM=dumb DEBIAN_FRONTEND=noninteractive "$@"
}
state=$(timeout 60 nsenter -t "$leader" -a systemctl is-system-running --wait 2>&1)
boot_s=$(since "$t0")
if [ "$state" = running ]; then
    ok "boot: systemd is PID 1, system running after $boot_s s"
else
    bad "boot: system running after $boot_s s" "state: $state" "$(in_ct systemctl --failed --no-legend 2>&1)"
fi

# --- helpers --------------------------------------------------------------------------------
# units_ok STEP: no unit of the package is failed.
units_ok() {
    local states
    states=$(in_ct systemctl is-failed $UNITS | paste -sd' ')
    case " $states " in
        *" failed "*) bad "$1: no unit failed" "$UNITS" "$states" \
            "$(in_ct journalctl -q --no-pager -n 12 -u iana-services-rebuild.service -u iana-services-update.service)" ;;
        *) ok "$1: no unit failed ($states)" ;;
    esac
}
enum_s() { in_ct getent -s iana services | squeeze; }
enum_p() { in_ct getent -s iana protocols | squeeze; }
# export_as_getent [--protocols]: the tool's export, as getent prints it.
export_as_getent() { in_ct iana-services export "$@" | sed 's/ *#.*//' | squeeze | grep -v '^$'; }
# dir_state: every file beside the database, byte for byte, with its
# attributes (immutable or not) and mode.
dir_state() {
    in_ct sh -c "cd $DBDIR && for f in \$(ls -A | sort); do
        printf '%s %s %s %s\n' \"\$f\" \"\$(stat -c %a:%s \"\$f\")\" \"\$(sha256sum < \"\$f\" | cut -c1-16)\" \
            \"\$(lsattr -d \"\$f\" 2>/dev/null | cut -d' ' -f1)\"; done"
}
# wait_for SECONDS COMMAND...: until COMMAND succeeds; 1 at the deadline.
wait_for() {
    local end
    end=$(( $(date +%s%N) + $1 * 1000000000 ))
    shift
    until "$@" > /dev/null 2>&1; do
        [ "$(date +%s%N)" -gt "$end" ] && return 1
        sleep 0.1
    done
}
# settle: until neither of the package's services is running.
settle() {
    wait_for 30 sh -c "! nsenter -t $leader -a systemctl -q is-active iana-services-rebuild.service iana-services-update.service"
}
# added BEFORE AFTER: the lines AFTER has and BEFORE has not; removed: the
# converse.  Sorted comparison: an enumeration lists each line once.
added()   { comm -13 <(sort "$1") <(sort "$2"); }
removed() { comm -23 <(sort "$1") <(sort "$2"); }
# lines TEXT: "N lines: the first three|..."
lines() { printf '%s lines: %s' "$(printf '%s' "$1" | grep -c .)" "$(printf '%s\n' "$1" | head -3 | paste -sd'|')"; }
# delta_check NAME LINES BEFORE AFTER: AFTER lists what BEFORE does (not
# nothing) and LINES (not none), no other line.
delta_check() {
    local a r
    a=$(added "$3" "$4"); r=$(removed "$3" "$4")
    if [ -n "$2" ] && [ -s "$3" ] && [ "$a" = "$2" ] && [ -z "$r" ]; then
        ok "$1"
    else
        bad "$1" "expected added: ${2:-(none: nothing answers it)}; before: $(wc -l < "$3") lines" \
            "added $(lines "$a")" "removed $(lines "$r")"
    fi
}
# same_check NAME BEFORE AFTER: the same answers, and some.
same_check() {
    if [ -s "$2" ] && cmp -s "$2" "$3"; then
        ok "$1 ($(wc -l < "$3") lines)"
    else
        bad "$1" "before: $(wc -l < "$2") lines, after: $(wc -l < "$3") lines" \
            "added $(lines "$(added "$2" "$3")")" "removed $(lines "$(removed "$2" "$3")")"
    fi
}
# file_list: every file of the system, but what changes by itself (logs,
# apt's and dpkg's state, caches) and the test's own files.
file_list() {
    in_ct find / -xdev \( -path /var/log -o -path /var/cache/apt -o -path /var/cache/debconf \
        -o -path /var/cache/ldconfig -o -path /var/lib/apt -o -path /var/lib/dpkg -o -path "$T" \
        -o -path /var/lib/systemd/random-seed -o -path /var/lib/systemd/catalog \) -prune -o -print | sort
}

# --- install -------------------------------------------------------------------------------------
file_list > "$tmp/files.before"
installed() { in_ct dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" { print $2 }' | sort; }
installed > "$tmp/pkgs.before"
units_ok "before install"
t0=$(date +%s.%N)
in_ct sh -c "cd $T && apt-get install -y -q --no-install-recommends $debargs" \
    > "$tmp/apt.log" 2>&1 < /dev/null
rc=$?
if [ "$rc" != 0 ]; then
    tail -3 "$tmp/apt.log"
    bad "apt-get install ./*.deb in the booted system (exit $rc)"; summary "$NAME"; exit
fi
ok "apt-get install ./*.deb in the booted system ($(since "$t0") s)"
settle
check "install: getent services bgp/sctp through the system's nsswitch line, as export has it" \
    "$(export_as_getent | awk '$1 == "bgp" && $2 ~ /\/sctp$/')" "$(in_ct getent services bgp/sctp | squeeze)"
check "install: nss_files alone has no bgp/sctp (the answer is the registry's)" 2 \
    "$(in_ct getent -s files services bgp/sctp > /dev/null; echo $?)"
enum_s > "$tmp/s0"; enum_p > "$tmp/p0"
export_as_getent > "$tmp/s0.export"
export_as_getent --protocols > "$tmp/p0.export"
if [ -s "$tmp/s0" ] && cmp -s "$tmp/s0" "$tmp/s0.export"; then
    ok "install: getent -s iana services lists what export writes ($(wc -l < "$tmp/s0") lines)"
else
    bad "install: getent -s iana services lists what export writes" "$(diff "$tmp/s0.export" "$tmp/s0" | head -5)"
fi
if [ -s "$tmp/p0" ] && cmp -s "$tmp/p0" "$tmp/p0.export"; then
    ok "install: getent -s iana protocols lists what export --protocols writes ($(wc -l < "$tmp/p0") lines)"
else
    bad "install: getent -s iana protocols lists what export --protocols writes" "$(diff "$tmp/p0.export" "$tmp/p0" | head -5)"
fi
check "install: the rebuild path unit is active" active "$(in_ct systemctl is-active iana-services-rebuild.path)"
units_ok "install"

# --- an edit of each file, merged by the path unit ----------------------------------------------------
# edit FILE LINE NAME ENUM BEFORE AFTER KIND
edit() {
    local file=$1 line=$2 q=$3 enum=$4 before=$5 after=$6 kind=$7 t0
    t0=$(date +%s.%N)
    in_ct sh -c "printf '%s\n' '$line' >> $file"
    if wait_for 15 in_ct getent -s iana "$kind" "$q"; then
        ok "edit of $file: '$q' answered by the module $(since "$t0") s after the append"
    else
        bad "edit of $file: '$q' answered by the module within 15 s" \
            "$(in_ct systemctl status --no-pager -n 8 iana-services-rebuild.service 2>&1 | tail -8)"
    fi
    settle
    $enum > "$after"
    delta_check "edit of $file: every answer kept, the file's new line added" \
        "$(in_ct getent -s files "$kind" "$q" | squeeze)" "$before" "$after"
    in_ct iana-services verify > /dev/null 2>&1
    check "edit of $file: iana-services verify" 0 $?
    units_ok "edit of $file"
}
edit /etc/services "nss-iana-edit 48998/tcp" nss-iana-edit/tcp enum_s "$tmp/s0" "$tmp/s1" services
check "edit of /etc/services: getent services bgp/sctp still answers" \
    "$(in_ct getent -s iana services bgp/sctp | squeeze)" "$(in_ct getent services bgp/sctp | squeeze)"
enum_p > "$tmp/p0b"
same_check "edit of /etc/services: the protocols answers unchanged" "$tmp/p0" "$tmp/p0b"
edit /etc/protocols "nss-iana-edit 253 NSS-IANA-EDIT" nss-iana-edit enum_p "$tmp/p0" "$tmp/p1" protocols
enum_s > "$tmp/s1b"
same_check "edit of /etc/protocols: the services answers unchanged" "$tmp/s1" "$tmp/s1b"

# --- the update service, from a server in the container ------------------------------------------------
nsenter -t "$leader" -a env -i PATH=/usr/bin:/bin python3 "$T/http_fixture.py" --dir "$T/www" \
    --port-file "$T/port" --log "$T/requests.log" --lifetime 600 > "$tmp/server.log" 2>&1 &
server=$!
wait_for 10 test -s "$root$T/port" || bad "the HTTP server in the container started" "$(cat "$tmp/server.log")"
port=$(cat "$root$T/port" 2>/dev/null)
URL=http://127.0.0.1:$port
# dropin URL PURL: the update service pointed at them.
dropin() {
    in_ct sh -c "mkdir -p /etc/systemd/system/iana-services-update.service.d &&
        printf '[Service]\nExecStart=\nExecStart=/usr/bin/iana-services update --url %s --protocols-url %s\n' '$1' '$2' \
            > /etc/systemd/system/iana-services-update.service.d/test.conf && systemctl daemon-reload"
}
# run_update: the service started as the timer starts it; its exit status.
run_update() { in_ct systemctl start iana-services-update.service > "$tmp/start.log" 2>&1; }
dropin "$URL/registry.csv" "$URL/p/protocols-new.csv"
dir_state > "$tmp/dir.before"
t0=$(date +%s.%N)
if run_update; then
    ok "update: iana-services-update.service succeeded ($(since "$t0") s)"
else
    bad "update: iana-services-update.service succeeded" "$(in_ct journalctl -q --no-pager -n 8 -u iana-services-update.service)"
    dir_state > "$tmp/dir.after"
    check "update failed: the database and the files beside it as they were" "" \
        "$(diff "$tmp/dir.before" "$tmp/dir.after")"
fi
settle
enum_s > "$tmp/s2"; enum_p > "$tmp/p2"
delta_check "update: every answer kept, the new registry's entry added (as export has it)" \
    "$(export_as_getent | awk '$1 == "nss-iana-boot"')" "$tmp/s1" "$tmp/s2"
new=$(in_ct getent services nss-iana-boot | squeeze)
check "update: the new registry's name answers through the system's line" \
    "${new:-(no answer)}" "$(export_as_getent | awk '$1 == "nss-iana-boot"')"
delta_check "update: every protocols answer kept, the new registry's protocol added (as export has it)" \
    "$(export_as_getent --protocols | awk 'tolower($1) == "nss-iana-boot"')" "$tmp/p1" "$tmp/p2"
check "update: the edit of /etc/services still merged" nss-iana-edit \
    "$(in_ct getent -s iana services nss-iana-edit/tcp | awk '{print $1}')"
units_ok "update"

# A download cut short: the service fails (it must), and nothing changes.
dropin "$URL/truncated" "$URL/p/protocols-new.csv"
dir_state > "$tmp/dir.before"
if run_update; then
    bad "update cut short: the service fails"
else
    ok "update cut short: the service fails ($(in_ct journalctl -q --no-pager -n 30 -u iana-services-update.service -o cat | grep -m1 -i -E 'truncat|short|transfer|partial' | squeeze))"
fi
dir_state > "$tmp/dir.after"
check "update cut short: the database and the files beside it byte for byte as they were" "" \
    "$(diff "$tmp/dir.before" "$tmp/dir.after")"
enum_s > "$tmp/s3"
same_check "update cut short: the answers unchanged" "$tmp/s2" "$tmp/s3"
in_ct systemctl reset-failed iana-services-update.service
units_ok "update cut short, the failure reset"

# --- a database damaged in place ------------------------------------------------------------------
# A byte in the middle flipped, from outside (chattr: e2fsprogs need not be
# in the container).  The module checks the structure, not the checksum
# (that is `verify`'s); what the package promises is that what runs
# `compile` or `update`, its units, puts it right: both are tried.
db=$root$DBDIR/services.db
damage() {
    local size off byte
    size=$(stat -c %s "$db")
    off=$((size / 2))
    byte=$(od -An -tu1 -j "$off" -N1 "$db" | tr -d ' ')
    chattr -i "$db" &&
        printf "$(printf '\\%03o' $((byte ^ 0xff)))" | dd of="$db" bs=1 seek="$off" conv=notrunc status=none &&
        chattr +i "$db"
    in_ct iana-services verify > "$tmp/verify" 2>&1
    check "damaged: iana-services verify finds it" "1 checksum" \
        "$? $(grep -o -m1 checksum "$tmp/verify")"
}
# repaired HOW: the database verifies, answers as before, is immutable.
repaired() {
    in_ct iana-services verify > "$tmp/verify" 2>&1
    check "damaged, $1: iana-services verify" "0" "$?"
    enum_s > "$tmp/s4"; enum_p > "$tmp/p4"
    same_check "damaged, $1: every services answer as before" "$tmp/s2" "$tmp/s4"
    same_check "damaged, $1: every protocols answer as before" "$tmp/p2" "$tmp/p4"
    check "damaged, $1: immutable again" i "$(lsattr "$db" | cut -c5)"
    units_ok "damaged, $1"
}
dropin "$URL/registry.csv" "$URL/p/protocols-new.csv"
damage
# The timer's update: the registries unchanged (304), it finds the
# database fails verification and compiles it again.
run_update
check "damaged: iana-services-update.service (the timer's) succeeds" 0 "$?"
said=$(in_ct journalctl -q --no-pager -o cat \
    _SYSTEMD_INVOCATION_ID="$(in_ct systemctl show -P InvocationID iana-services-update.service)" |
    grep -m1 'fails verification' | squeeze)
check "damaged: iana-services-update.service says why it compiles again" "fails verification" \
    "$(printf '%s' "$said" | grep -o 'fails verification')"
repaired "by the timer's update"
in_ct sh -c 'rm -r /etc/systemd/system/iana-services-update.service.d && systemctl daemon-reload'
stop_server
in_ct iana-services verify > /dev/null 2>&1 && damage
in_ct systemctl start iana-services-rebuild.service > "$tmp/start.log" 2>&1
check "damaged: iana-services-rebuild.service (the path unit's) succeeds" 0 $?
repaired "then rebuilt"

# --- the timer ------------------------------------------------------------------------------------
next=$(in_ct systemctl show -P NextElapseUSecRealtime iana-services-update.timer)
timers=$(in_ct systemctl list-timers --all --no-legend iana-services-update.timer)
case "$timers" in
    *iana-services-update.timer*iana-services-update.service*)
        if [ -n "$next" ]; then ok "the update timer is scheduled (next: $next)"
        else bad "the update timer is scheduled" "$timers"; fi ;;
    *) bad "the update timer is listed by systemctl list-timers" "$timers" ;;
esac

# --- remove, purge ---------------------------------------------------------------------------------
in_ct apt-get remove -y -q libnss-iana iana-services > "$tmp/apt.log" 2>&1 < /dev/null
check "remove: exit 0" 0 $?
if cmp -s "$tmp/nsswitch.orig" "$root/etc/nsswitch.conf"; then ok "remove: nsswitch.conf byte for byte as before install"
else bad "remove: nsswitch.conf byte for byte as before install" "$(diff "$tmp/nsswitch.orig" "$root/etc/nsswitch.conf")"; fi
check "remove: no unit of the package active" "" \
    "$(in_ct systemctl list-units --no-legend --plain --state=active 'iana-services*')"
# --autoremove: the dependencies apt installed for them go too, so that
# the file list can be compared with the one before install.
in_ct apt-get purge -y -q --autoremove libnss-iana iana-services > "$tmp/apt.log" 2>&1 < /dev/null
check "purge: exit 0" 0 $?
if cmp -s "$tmp/nsswitch.orig" "$root/etc/nsswitch.conf"; then ok "purge: nsswitch.conf byte for byte as before install"
else bad "purge: nsswitch.conf byte for byte as before install" "$(diff "$tmp/nsswitch.orig" "$root/etc/nsswitch.conf")"; fi
check "purge: $DBDIR gone" no "$([ -e "$root$DBDIR" ] && echo yes || echo no)"
check "purge: no unit of the package loaded" "" \
    "$(in_ct systemctl list-units --all --no-legend --plain 'iana-services*')"
# What autoremove keeps because an installed package recommends or
# suggests it (trixie's systemd and libidn2, p11-kit): the dependencies'
# own files, not the packages' - purged too before the comparison.
extra=$(comm -13 "$tmp/pkgs.before" <(installed))
if [ -n "$extra" ]; then
    # shellcheck disable=SC2086
    in_ct apt-get purge -y -q $extra > "$tmp/apt.log" 2>&1 < /dev/null
    rc=$?
    check "purge: the dependencies autoremove kept purged too ($(echo $extra))" 0 $rc
fi
file_list > "$tmp/files.after"
same_check "purge: no file left, none taken (the file list as before install)" \
    "$tmp/files.before" "$tmp/files.after"

# --- and the machine as it was -------------------------------------------------------------
stop_t0=$(date +%s.%N)
pid1=$leader
lock_file=/run/systemd/nspawn/locks/inode-$(stat -c %d:%i "$root")
cleanup
check "after: the container stopped ($(since "$stop_t0") s), its PID 1 gone" no \
    "$([ -d "/proc/$pid1" ] && echo yes || echo no)"
left=""
for d in $cgdirs; do [ -e "$d" ] && left="$left $d"; done
check "after: the cgroup removed" "" "$left"
check "after: nothing mounted under $B/boot" "" \
    "$(awk -v d="$B/boot/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo)"
check "after: the system's directory removed" no "$([ -e "$root" ] && echo yes || echo no)"
check "after: nothing of nspawn's left in /run" "" \
    "$(ls -d /run/systemd/nspawn/propagate/nss-iana-*-$$ "$lock_file" 2>/dev/null)"
echo "$NAME: $(since "$t_start") s in all (boot $boot_s s)"
summary "$NAME"

#!/bin/bash
# The Debian packages: `make deb` builds libnss-iana and iana-services; their
# contents, metadata and lintian are checked; then, as root, they are
# installed with dpkg and their maintainer scripts run for real, on a
# copy-on-write view of this machine (tests/sandbox.sh):
#
# - installing writes the services line `iana-services enable` writes,
#   "iana [!UNAVAIL=return]" first (the whole file compared byte for byte),
#   and `getent services` answers through it, from the module and, with the
#   database gone, from the fallback;
# - the rebuild path unit is enabled and `systemd-analyze verify` accepts
#   the installed units;
# - the dpkg trigger on /etc/services compiles the database again, and a
#   compile that fails does not fail dpkg;
# - removing and purging leave /etc/nsswitch.conf byte for byte as it was
#   and no file behind;
# - a symlinked /etc/nsswitch.conf stays a link through install, remove
#   and purge, and the file it points at is edited, byte for byte;
# - an upgrade from the previous version in debian/changelog moves its
#   "files iana" to the front, and keeps the names of a database it
#   compiled with --local.  That version is built from git: 0.1.0 as
#   released, with --local (the last tree that had it), else the newest
#   commit whose debian/changelog has another version than the tree's, or
#   DEB_UPGRADE_FROM (a commit) if set.
#
#   tests/deb.sh BUILD_DIR
#
# Nothing of the install part reaches this machine, or anyone using it
# meanwhile: it all happens in the sandbox, and is checked afterwards.
# Packages of these names already installed here are purged in the sandbox
# only.  (Internally: tests/deb.sh --sandboxed BUILD_DIR TMP is the part run
# in the sandbox.)
set -u
cd "$(dirname "$0")/.." || exit 2
sandboxed=""
if [ "${1:-}" = --sandboxed ]; then
    sandboxed=yes
    shift
fi
B=${1:?usage: deb.sh BUILD_DIR}
OUT=$B/deb
OLD_OUT=$B/deb-old
. tests/lib.sh
PKGS="libnss-iana iana-services"
# After `make deb`, which installs dpkg-dev (dpkg-parsechangelog,
# dpkg-architecture) where it is missing.
package_names() {
    version=$(dpkg-parsechangelog -S Version)
    arch=$(dpkg --print-architecture)
    ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
    LIB_DEB=$OUT/libnss-iana_${version}_${arch}.deb
    TOOL_DEB=$OUT/iana-services_${version}_${arch}.deb
}
ENTRY='iana [!UNAVAIL=return]'
squeeze_getent() { env -u NSS_IANA_DB -u LD_LIBRARY_PATH getent services "$@" | squeeze; }
files_of() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ {sub(/^\./, "", $6); print $6}'; }
# Known to dpkg in any state but "not installed" (config-files included).
present() { dpkg-query -W -f '${db:Status-Abbrev}' "$1" 2>/dev/null | grep -q '^.[^n]'; }

# --- in the sandbox: install, query, trigger, remove, purge, upgrade ----------
if [ -n "$sandboxed" ]; then
    tmp=${2:?}
    package_names
    trap 'echo "$passed $failed $skipped" > "$tmp/counts"' EXIT
    NSS=/etc/nsswitch.conf
    DB=/var/lib/nss_iana/services.db
    for p in $PKGS; do
        if present "$p"; then
            dpkg --purge "$p" > "$tmp/dpkg.log" 2>&1
            check "$p was on this machine: purged first (in the sandbox only)" 0 $?
        fi
    done
    cp -a "$NSS" "$tmp/nsswitch.orig"
    # What enable makes of the same file: the package must write just that.
    cp "$NSS" "$tmp/nsswitch.enabled"
    "$B/iana-services" enable --nsswitch "$tmp/nsswitch.enabled" > /dev/null
    before_bgp=$(squeeze_getent bgp/sctp)
    before_ssh=$(squeeze_getent ssh/tcp)

    if dpkg -i "$LIB_DEB" "$TOOL_DEB" > "$tmp/dpkg.log" 2>&1; then
        ok "dpkg -i both packages"
    else
        # Missing dependencies: apt fetches them (into the sandbox).
        apt-get install -y -q --no-install-recommends "$(realpath "$LIB_DEB")" \
            "$(realpath "$TOOL_DEB")" > "$tmp/apt.log" 2>&1
        check "apt-get install ./*.deb (dpkg -i lacked dependencies)" 0 $?
    fi
    for p in $PKGS; do
        check "$p installed" "ii" "$(dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null | tr -d ' ')"
    done
    if cmp -s "$tmp/nsswitch.enabled" "$NSS"; then
        ok "nsswitch.conf: byte for byte what iana-services enable writes ($(grep -E '^services:' "$NSS" | squeeze))"
    else
        bad "nsswitch.conf: byte for byte what iana-services enable writes" \
            "$(diff "$tmp/nsswitch.enabled" "$NSS")"
    fi
    line=$(grep -E '^services:' "$NSS" | tail -1)
    case "$line" in
        "services:"*[[:space:]]"$ENTRY "*) ok "nsswitch.conf: $ENTRY first, then the line's sources" ;;
        *) bad "nsswitch.conf: $ENTRY first, then the line's sources" "$line" ;;
    esac
    pline=$(grep -E '^protocols:' "$NSS" | tail -1)
    case "$pline" in
        "protocols:"*[[:space:]]"$ENTRY "*|"") ok "nsswitch.conf: $ENTRY first on the protocols line (${pline:-none})" ;;
        *) bad "nsswitch.conf: $ENTRY first on the protocols line" "$pline" ;;
    esac
    check "getent protocols sctp through the system configuration" "sctp 132 SCTP" \
        "$(env -u NSS_IANA_DB -u LD_LIBRARY_PATH getent protocols sctp | squeeze)"
    check "getent -s iana protocols 58 (system module path)" "ipv6-icmp 58 IPv6-ICMP" \
        "$(env -u NSS_IANA_DB -u LD_LIBRARY_PATH getent -s iana protocols 58 | squeeze)"
    [ ! -e /etc/nsswitch.conf.nss.libnss-iana-will-install ]
    check "dh_installnss marker file gone after configure" 0 $?
    iana-services verify > "$tmp/verify" 2>&1
    check "postinst compiled $DB (iana-services verify)" 0 $?
    check "getent services bgp/sctp through the system configuration" "bgp 179/sctp" "$(squeeze_getent bgp/sctp)"
    check "getent services 179/sctp" "bgp 179/sctp" "$(squeeze_getent 179/sctp)"
    check "getent -s iana services 6010/udp (range, system module path)" "x11 6010/udp" \
        "$(env -u NSS_IANA_DB -u LD_LIBRARY_PATH getent -s iana services 6010/udp | squeeze)"
    if command -v python3 >/dev/null; then
        check "python socket.getservbyname('bgp', 'sctp')" 179 \
            "$(env -u NSS_IANA_DB -u LD_LIBRARY_PATH python3 -c 'import socket; print(socket.getservbyname("bgp", "sctp"))' 2>&1)"
    fi
    # The module unavailable (no database): glibc goes on to the fallback,
    # which answers as before.
    chattr -i "$DB" 2>/dev/null # immutable where the file system allows
    mv "$DB" "$DB.away"
    check "no database: bgp/sctp answers as before the packages" "$before_bgp" "$(squeeze_getent bgp/sctp)"
    check "no database: the fallback answers ssh/tcp as before the packages" \
        "$before_ssh" "$(squeeze_getent ssh/tcp)"
    mv "$DB.away" "$DB"

    # systemd: enabled, and units systemd accepts (there is no systemd
    # running here to start them).
    [ -L /etc/systemd/system/timers.target.wants/iana-services-update.timer ]
    check "update timer enabled" 0 $?
    [ -L /etc/systemd/system/paths.target.wants/iana-services-rebuild.path ]
    check "rebuild path unit enabled" 0 $?
    if command -v systemd-analyze >/dev/null; then
        unitdir=$(cat "$tmp/unitdir")
        systemd-analyze verify "$unitdir/iana-services-rebuild.path" \
            "$unitdir/iana-services-rebuild.service" \
            "$unitdir/iana-services-update.service" \
            "$unitdir/iana-services-update.timer" > "$tmp/verify.log" 2>&1
        check "systemd-analyze verify: the installed units" "0 " "$? $(cat "$tmp/verify.log")"
    else
        skip "systemd-analyze verify (no systemd-analyze)"
    fi

    # The file trigger: a package's change to /etc/services compiles the
    # database again.  dpkg-trigger activates it as a package would.
    ino=$(stat -c %i "$DB")
    cp -a /etc/services "$tmp/services.saved"
    if "$B/iana-services" compile --help 2>&1 | grep -q -- '--services'; then
        merges=yes
        printf 'nss-iana-trigger\t47998/tcp\n' >> /etc/services
    else
        merges=""
    fi
    dpkg-trigger --no-await /etc/services && dpkg --triggers-only iana-services > "$tmp/trig.log" 2>&1
    check "dpkg-trigger /etc/services; dpkg --triggers-only: exit 0" 0 $?
    grep -q '^Processing triggers for iana-services' "$tmp/trig.log"
    check "the trigger ran iana-services's postinst" 0 $?
    check "it said so on stderr" "iana-services: /etc/services changed; compiled $DB again" \
        "$(grep '^iana-services:' "$tmp/trig.log")"
    check "the database was replaced, and verifies" "yes 0" \
        "$([ "$(stat -c %i "$DB")" != "$ino" ] && echo yes) $(iana-services verify >/dev/null 2>&1; echo $?)"
    if [ -n "$merges" ]; then
        check "the compile merged the changed /etc/services" "nss-iana-trigger 47998/tcp" \
            "$(squeeze_getent nss-iana-trigger)"
    else
        skip "the trigger's compile merges /etc/services (this compile has no --services yet)"
    fi
    # Back as netbase has it, so that its conffile is unchanged below.
    cp -a "$tmp/services.saved" /etc/services
    # A compile that fails (here: the bundled registry damaged) is said, and
    # dpkg goes on; the database stays as it was.
    csv=/usr/share/nss_iana/service-names-port-numbers.csv
    cp -a "$csv" "$tmp/csv.saved"
    echo 'not a registry' > "$csv"
    cp -a "$DB" "$tmp/db.saved"
    dpkg-trigger --no-await /etc/services && dpkg --triggers-only iana-services > "$tmp/trig.log" 2>&1
    check "a failing compile in the trigger: dpkg still exits 0" 0 $?
    grep -q '^iana-services: warning: /etc/services changed, and compiling .* failed' "$tmp/trig.log"
    check "... and the warning is on stderr" 0 $?
    cmp -s "$DB" "$tmp/db.saved"; check "... and the database is as it was" 0 $?
    check "... and iana-services is still installed" "ii" \
        "$(dpkg-query -W -f '${db:Status-Abbrev}' iana-services | tr -d ' ')"
    cp -a "$tmp/csv.saved" "$csv"
    # Reinstalling netbase, the package that owns /etc/services, the real
    # way, if apt can fetch it.
    if (cd "$tmp" && timeout 60 apt-get download -q netbase > /dev/null 2>&1); then
        ino=$(stat -c %i "$DB")
        dpkg -i --force-confdef --force-confold "$tmp"/netbase_*.deb > "$tmp/netbase.log" 2>&1
        check "reinstalled netbase: exit 0" 0 $?
        grep -q '^Processing triggers for iana-services' "$tmp/netbase.log" &&
            [ "$(stat -c %i "$DB")" != "$ino" ]
        check "reinstalled netbase: the trigger compiled the database again" 0 $?
    else
        skip "reinstall netbase (apt-get download netbase failed)"
    fi

    # A database compiled from a registry `update` downloaded (kept as DB.csv,
    # which the database names): configuring the package again (as an
    # upgrade does) compiles that registry again, not the bundled snapshot.
    kept=/var/lib/nss_iana/services.db.csv
    { cat /usr/share/nss_iana/service-names-port-numbers.csv; printf 'nss-iana-dl,47998,tcp,x,,,,,,,,\r\n'; } > "$kept"
    iana-services compile "$kept" > /dev/null
    dpkg -i "$TOOL_DEB" > "$tmp/dpkg.log" 2>&1
    check "reinstalled iana-services: exit 0" 0 $?
    check "reinstalled: the downloaded registry's name still answers" "nss-iana-dl 47998/tcp" \
        "$(squeeze_getent nss-iana-dl)"
    rm -f "$kept"
    # The system's database is immutable where the file system allows, so a
    # cp over it fails instead of faulting the processes that map it.
    if lsattr "$DB" 2>/dev/null | cut -d' ' -f1 | grep -q i; then
        ok "the database is immutable"
        cp "$DB" "$tmp/copy.db"
        cp "$tmp/copy.db" "$DB" 2>/dev/null
        check "cp over the immutable database fails" 1 $?
    else
        skip "the database is not immutable here (no attribute on this file system)"
    fi

    # The upgrade from before 0.3.0 puts iana on the protocols line with
    # the tool's edit (enable --only protocols): on the lines glibc reads
    # that a sed missed, "protocols:files", leading blanks, and none at all
    # (glibc's default, files).  The package's own postinst, configure from
    # 0.2.1, on each; the oracle is glibc: a protocol only the registry
    # has answers through the system configuration afterwards, not before,
    # and no other line changes.
    pinst=$(dpkg-query --control-path libnss-iana postinst 2>/dev/null)
    cp "$NSS" "$tmp/nsswitch.installed"
    only_reg=$(iana-services export --protocols | awk '!/^#/ { print $1 }' |
        while read -r n; do grep -qiw -- "$n" /etc/protocols || { echo "$n"; break; }; done)
    sline=$(grep -E '^services:' "$NSS" | tail -1)
    for pl in 'protocols:files' '   protocols:  files' ''; do
        { grep -v -E '^[[:blank:]]*protocols[[:blank:]:]' "$tmp/nsswitch.installed"
          [ -z "$pl" ] || printf '%s\n' "$pl"; } > "$NSS"
        cp "$NSS" "$tmp/nsswitch.0.2"
        had=$(env -u NSS_IANA_DB -u LD_LIBRARY_PATH getent protocols "$only_reg" | squeeze)
        DPKG_ROOT= sh "$pinst" configure 0.2.1 > "$tmp/pinst.log" 2>&1
        rc=$?
        check "upgrade from 0.2.1, '${pl:-no protocols line}': postinst exit 0, nothing said" "0 " \
            "$rc $(grep -v '^$' "$tmp/pinst.log" | head -3)"
        check "upgrade from 0.2.1, '${pl:-no protocols line}': $only_reg (registry only) answers, not before" \
            "|$(iana-services lookup --protocol "$only_reg" 2>/dev/null | squeeze)" \
            "$had|$(env -u NSS_IANA_DB -u LD_LIBRARY_PATH getent protocols "$only_reg" | squeeze)"
        check "upgrade from 0.2.1, '${pl:-no protocols line}': only the protocols line edited" \
            "$(grep -v -E '^[[:blank:]]*protocols[[:blank:]:]' "$tmp/nsswitch.0.2")" \
            "$(grep -v -E '^[[:blank:]]*protocols[[:blank:]:]' "$NSS")"
    done
    check "upgrade from 0.2.1: the services line left as it was" "$sline" "$(grep -E '^services:' "$NSS" | tail -1)"
    cp "$tmp/nsswitch.installed" "$NSS"

    # Remove and purge without chattr (e2fsprogs is not Essential): the
    # tool clears the database's immutable attribute itself (prerm), and
    # purge removes it all.  Hidden in the sandbox's /usr only.
    chattr_bin=$(command -v chattr || true)
    if ! lsattr "$DB" 2>/dev/null | cut -d' ' -f1 | grep -q i; then
        skip "purge without chattr (the database is not immutable here: nothing to clear)"
    fi
    [ -n "$chattr_bin" ] && mv "$chattr_bin" "$chattr_bin.nss-iana-hidden"
    hash -r
    command -v chattr > /dev/null
    check "chattr hidden for remove and purge" 1 $?

    # Remove: dh_installnss takes iana off the services line.
    dpkg -r $PKGS > "$tmp/dpkg.log" 2>&1
    check "dpkg -r libnss-iana iana-services" 0 $?
    if cmp -s "$tmp/nsswitch.orig" "$NSS"; then ok "after remove: nsswitch.conf byte for byte as before"
    else bad "after remove: nsswitch.conf byte for byte as before" "$(diff "$tmp/nsswitch.orig" "$NSS")"; fi
    check "after remove: bgp/sctp answers as before" "$before_bgp" "$(squeeze_getent bgp/sctp)"

    # Purge: the database and the units' enablement go too.
    dpkg -P $PKGS > "$tmp/dpkg.log" 2>&1
    check "dpkg -P libnss-iana iana-services" 0 $?
    for p in $PKGS; do
        present "$p"; check "$p: no trace in dpkg's database" 1 $?
    done
    if cmp -s "$tmp/nsswitch.orig" "$NSS"; then ok "after purge: nsswitch.conf byte for byte as before"
    else bad "after purge: nsswitch.conf byte for byte as before" "$(diff "$tmp/nsswitch.orig" "$NSS")"; fi
    left=$( (files_of "$LIB_DEB"; files_of "$TOOL_DEB") | while IFS= read -r f; do [ -e "$f" ] && echo "$f"; done)
    check "no file of the packages left" "" "$left"
    left=""
    for f in /var/lib/nss_iana /etc/nsswitch.conf.nss.libnss-iana-will-install \
             /etc/systemd/system/timers.target.wants/iana-services-update.timer \
             /etc/systemd/system/paths.target.wants/iana-services-rebuild.path \
             /var/lib/systemd/deb-systemd-helper-enabled/iana-services-update.timer.dsh-also \
             /var/lib/systemd/deb-systemd-helper-enabled/iana-services-rebuild.path.dsh-also \
             /var/lib/systemd/deb-systemd-helper-enabled/timers.target.wants/iana-services-update.timer \
             /var/lib/systemd/deb-systemd-helper-enabled/paths.target.wants/iana-services-rebuild.path; do
        [ -e "$f" ] || [ -L "$f" ] && left="$left $f"
    done
    check "nothing the maintainer scripts made is left" "" "$left"
    grep -q 'could not' "$tmp/dpkg.log"
    check "purged without chattr: no 'could not remove'" 1 $?
    [ -n "$chattr_bin" ] && mv "$chattr_bin.nss-iana-hidden" "$chattr_bin"
    hash -r

    # A symlinked /etc/nsswitch.conf (a configuration kept elsewhere and
    # linked in): the maintainer scripts edit the file it points at, and
    # the link stays a link, through install, remove and purge.
    real=/etc/nss-iana-link-test/nsswitch.conf
    mkdir -p "${real%/*}" && cp -a "$tmp/nsswitch.orig" "$real" && rm "$NSS" && ln -s "$real" "$NSS"
    linked() { [ -L "$NSS" ] && [ "$(readlink "$NSS")" = "$real" ]; }
    dpkg -i "$LIB_DEB" "$TOOL_DEB" > "$tmp/dpkg.log" 2>&1
    check "symlinked nsswitch.conf: dpkg -i" 0 $?
    linked; check "symlinked nsswitch.conf, installed: still the link" 0 $?
    if cmp -s "$tmp/nsswitch.enabled" "$real"; then ok "symlinked, installed: the link's target byte for byte what enable writes"
    else bad "symlinked, installed: the link's target byte for byte what enable writes" \
        "$(diff "$tmp/nsswitch.enabled" "$real" 2>&1)"; fi
    check "symlinked, installed: bgp/sctp through it" "bgp 179/sctp" "$(squeeze_getent bgp/sctp)"
    dpkg -r libnss-iana > "$tmp/dpkg.log" 2>&1
    check "symlinked nsswitch.conf: dpkg -r libnss-iana" 0 $?
    linked; check "symlinked, removed: still the link" 0 $?
    cmp -s "$tmp/nsswitch.orig" "$real"
    check "symlinked, removed: the target byte for byte as before" 0 $?
    dpkg -i "$LIB_DEB" > "$tmp/dpkg.log" 2>&1 && dpkg -P $PKGS > "$tmp/dpkg.log" 2>&1
    check "symlinked nsswitch.conf: installed again, then purged" 0 $?
    linked; check "symlinked, purged: still the link" 0 $?
    cmp -s "$tmp/nsswitch.orig" "$real"
    check "symlinked, purged: the target byte for byte as before" 0 $?
    rm -f "$NSS" && mv "$real" "$NSS" && rmdir "${real%/*}"

    # Upgrade from the previous release, whose package put iana after files.
    old_lib=$(ls "$OLD_OUT"/libnss-iana_*.deb 2>/dev/null | head -1)
    old_tool=$(ls "$OLD_OUT"/iana-services_*.deb 2>/dev/null | head -1)
    if [ -z "$old_lib" ] || [ -z "$old_tool" ]; then
        skip "upgrade from the previous release (not built)"
        exit
    fi
    old_version=$(dpkg-deb -f "$old_lib" Version)
    dpkg -i "$old_lib" "$old_tool" > "$tmp/dpkg.log" 2>&1
    check "dpkg -i $old_version" 0 $?
    echo "     $old_version's line: $(grep -E '^services:' "$NSS" | squeeze)"
    # A database the old version compiled with --local, if it has the
    # option: the upgrade keeps merging that file, and says how to stop.
    printf 'nss-iana-site 47999/tcp\n' > "$tmp/old-site.services"
    had_local=""
    if iana-services compile --local "$tmp/old-site.services" > /dev/null 2> "$tmp/old-local.err"; then
        had_local=yes
    fi
    dpkg -i "$LIB_DEB" "$TOOL_DEB" > "$tmp/dpkg.log" 2>&1
    check "upgrade $old_version -> $version: exit 0" 0 $?
    if [ -n "$had_local" ]; then
        grep -q "compiled by iana-services 0.1.0 with --local $tmp/old-site.services: that file's lines are merged after" "$tmp/dpkg.log"
        check "upgraded: the old --local file is named, with what to do" 0 $?
        check "upgraded: the old --local file's name still answers" "nss-iana-site 47999/tcp" \
            "$(squeeze_getent nss-iana-site)"
    else
        skip "the old version has no --local ($(head -c 200 "$tmp/old-local.err"))"
    fi
    if cmp -s "$tmp/nsswitch.enabled" "$NSS"; then
        ok "upgraded: iana moved first, the file byte for byte what enable writes"
    else
        bad "upgraded: iana moved first, the file byte for byte what enable writes" \
            "$(diff "$tmp/nsswitch.enabled" "$NSS")"
    fi
    check "upgraded: bgp/sctp" "bgp 179/sctp" "$(squeeze_getent bgp/sctp)"
    [ -L /etc/systemd/system/paths.target.wants/iana-services-rebuild.path ]
    check "upgraded: rebuild path unit enabled" 0 $?
    # The old version's units may have been in /lib, an alias of /usr/lib
    # from trixie: moved on upgrade, they must not be lost.
    unitdir=$(cat "$tmp/unitdir") missing=""
    for u in iana-services-update.service iana-services-update.timer \
             iana-services-rebuild.service iana-services-rebuild.path; do
        [ -f "$unitdir/$u" ] || missing="$missing $u"
    done
    check "upgraded: the units are in $unitdir" "" "$missing"
    dpkg -P $PKGS > "$tmp/dpkg.log" 2>&1
    check "upgraded, then purged: exit 0" 0 $?
    if cmp -s "$tmp/nsswitch.orig" "$NSS"; then ok "upgraded, then purged: nsswitch.conf byte for byte as before"
    else bad "upgraded, then purged: nsswitch.conf byte for byte as before" "$(diff "$tmp/nsswitch.orig" "$NSS")"; fi
    exit
fi

# --- build ----------------------------------------------------------------------
if ! make --no-print-directory B="$B" deb; then
    bad "make deb"
    summary deb
    exit
fi
ok "make deb"
package_names
if [ -f "$LIB_DEB" ] && [ -f "$TOOL_DEB" ]; then ok "two packages: $(basename "$LIB_DEB") $(basename "$TOOL_DEB")"
else bad "two packages" "$(ls "$OUT")"; summary deb; exit; fi

# --- what the packages hold -----------------------------------------------------------
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
field() { dpkg-deb -f "$1" "$2"; }
files_of "$LIB_DEB" > "$tmp/lib.files"
files_of "$TOOL_DEB" > "$tmp/tool.files"

check "libnss-iana: Multi-Arch same" "same" "$(field "$LIB_DEB" Multi-Arch)"
check "libnss-iana: Section admin" "admin" "$(field "$LIB_DEB" Section)"
case "$(field "$LIB_DEB" Depends)" in
    *"iana-services (= $version)"*) ok "libnss-iana: Depends on iana-services (= $version)" ;;
    *) bad "libnss-iana: Depends on iana-services (= $version)" "$(field "$LIB_DEB" Depends)" ;;
esac
check "iana-services: Multi-Arch foreign" "foreign" "$(field "$TOOL_DEB" Multi-Arch)"
check "libnss-iana: the module in the multiarch libdir, besides docs" \
    "/usr/lib/$ma/libnss_iana.so.2" "$(grep -v '^/usr/share/\(doc\|man\|lintian\)/' "$tmp/lib.files")"
# The units where this release's debhelper puts them: /lib/systemd/system
# up to bookworm, /usr/lib/systemd/system from trixie (lintian below says
# whether that is the right place for this release).
unitdir=$(sed -n 's|/iana-services-update\.timer$||p' "$tmp/tool.files")
case $unitdir in
    /lib/systemd/system|/usr/lib/systemd/system) ok "iana-services: units in $unitdir" ;;
    *) bad "iana-services: units in /lib/systemd/system or /usr/lib/systemd/system" "$unitdir"
       unitdir=/lib/systemd/system ;;
esac
echo "$unitdir" > "$tmp/unitdir"
for f in /usr/bin/iana-services /usr/share/nss_iana/service-names-port-numbers.csv \
         $unitdir/iana-services-update.service $unitdir/iana-services-update.timer \
         $unitdir/iana-services-rebuild.service $unitdir/iana-services-rebuild.path; do
    if grep -qx "$f" "$tmp/tool.files"; then ok "iana-services: ships $f"
    else bad "iana-services: ships $f"; fi
done
for m in man/*.[0-9]; do
    [ -e "$m" ] || continue
    page=$(basename "$m"); sec=${page##*.}
    if grep -qx "/usr/share/man/man$sec/$page.gz" "$tmp/lib.files" "$tmp/tool.files" -h; then ok "ships man page $page"
    else bad "ships man page $page"; fi
done
cmp -s data/service-names-port-numbers.csv <(dpkg-deb --fsys-tarfile "$TOOL_DEB" |
    tar -xOf - ./usr/share/nss_iana/service-names-port-numbers.csv)
check "the bundled CSV is data/'s, byte for byte" 0 $?
for u in iana-services-update.service iana-services-update.timer iana-services-rebuild.service \
         iana-services-rebuild.path; do
    cmp -s "systemd/$u" <(dpkg-deb --fsys-tarfile "$TOOL_DEB" | tar -xOf - ".$unitdir/$u")
    check "$u is systemd/'s, byte for byte" 0 $?
done

# The module as packaged: its exports are exactly the symbols file's, and it
# is hardened.
mkdir "$tmp/lib" && dpkg-deb -x "$LIB_DEB" "$tmp/lib" && dpkg-deb -e "$LIB_DEB" "$tmp/lib/DEBIAN"
so=$tmp/lib/usr/lib/$ma/libnss_iana.so.2
check "symbols file == exported symbols" \
    "$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ {print $3 "@Base"}' | sort)" \
    "$(awk '/^ / {print $1}' "$tmp/lib/DEBIAN/symbols" | sort)"
check "packaged module: full RELRO" "yes" \
    "$(readelf -d "$so" | grep -q 'BIND_NOW\|FLAGS.*NOW' && readelf -l "$so" | grep -q GNU_RELRO && echo yes)"
check "packaged module: fortified" "yes" "$(nm -D "$so" | grep -q '__.*_chk' && echo yes)"
grep -qF "Installing services/iana[!UNAVAIL=return] from libnss-iana in position first" \
    "$tmp/lib/DEBIAN/postinst"
check "libnss-iana postinst wires services: iana first, with [!UNAVAIL=return] (dh_installnss)" 0 $?
grep -qF "Installing protocols/iana[!UNAVAIL=return] from libnss-iana in position first" \
    "$tmp/lib/DEBIAN/postinst"
check "libnss-iana postinst wires protocols: iana first, with [!UNAVAIL=return] (dh_installnss)" 0 $?
mkdir "$tmp/tool" && dpkg-deb -e "$TOOL_DEB" "$tmp/tool/DEBIAN"
check "iana-services: file triggers on /etc/services and /etc/protocols" \
    "interest-noawait /etc/services|interest-noawait /etc/protocols" \
    "$(grep -v '^#' "$tmp/tool/DEBIAN/triggers" | tr '\n' '|' | sed 's/|$//')"
grep -q "deb-systemd-invoke \$_dh_action 'iana-services-rebuild.path'" "$tmp/tool/DEBIAN/postinst"
check "iana-services postinst starts the rebuild path unit where systemd runs" 0 $?
grep -q "deb-systemd-invoke .*iana-services-rebuild.service\|deb-systemd-helper enable 'iana-services-rebuild.service'" \
    "$tmp/tool/DEBIAN/postinst"
check "... and neither enables nor starts the rebuild service itself" 1 $?

# Build-Depends in step with the Makefile's BUILD_PKGS.
make --no-print-directory deb-check-control >/dev/null
check "debian/control Build-Depends matches BUILD_PKGS" 0 $?

# --- lintian ----------------------------------------------------------------------------
# `make deb-lint` installs lintian when run as root.
if command -v lintian >/dev/null || [ "$(id -u)" = 0 ]; then
    make --no-print-directory B="$B" deb-lint > "$tmp/lintian" 2>&1
    rc=$?
    if [ $rc = 0 ]; then ok "lintian: no errors or warnings ($(grep -c '^[IPO]: ' "$tmp/lintian") info, pedantic or overridden tags)"
    else bad "lintian: no errors or warnings" "$(grep -v '^running with root' "$tmp/lintian" | head -20)"; fi
else
    skip "lintian (not installed; sudo apt-get install lintian)"
fi

# --- install, in the sandbox ----------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
    skip "install, query, trigger, remove, purge, upgrade (needs root, for the sandbox)"
    summary deb; exit
fi
# The previous release, to upgrade from: built from git, in a tree of its own.
rm -rf "$OLD_OUT"
if old_rev=${DEB_UPGRADE_FROM:-$(last_local_release || previous_release "$version")}; then
    mkdir -p "$tmp/old" && git archive "$old_rev" | tar -xf - -C "$tmp/old"
    # Without -Werror (dpkg-buildflags appends it to CFLAGS, which come
    # after the Makefile's warnings): a newer compiler or libc than the
    # release was written for warns where it did not (glibc 2.43's strchr
    # keeps const under C23), and the old code is what it is.
    if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL DEB_CFLAGS_APPEND=-Wno-error \
        make --no-print-directory -C "$tmp/old" B=build deb > "$tmp/old.log" 2>&1; then
        mkdir -p "$OLD_OUT" && cp "$tmp"/old/build/deb/*.deb "$OLD_OUT"/
        ok "previous release built from git ($(git log -1 --format=%h "$old_rev"): $(cd "$OLD_OUT" && ls libnss-iana_*.deb))"
    else
        bad "previous release built from git ($old_rev; DEB_UPGRADE_FROM=COMMIT picks another)" \
            "$(tail -5 "$tmp/old.log")"
    fi
    rm -rf "$tmp/old"
else
    skip "previous release (no git history with another version)"
fi

# The machine as the sandbox must leave it.
state() {
    sha256sum /etc/nsswitch.conf 2>&1
    for p in $PKGS; do dpkg-query -W -f '${Package} ${db:Status-Abbrev} ${Version}\n' "$p" 2>&1; done
    ls -la /var/lib/nss_iana 2>&1
    ls -d /tmp/nss-iana-sandbox.* 2>&1
    ls -la /etc/systemd/system/paths.target.wants 2>&1
}
state > "$tmp/state.before"
tests/sandbox.sh "$0" --sandboxed "$B" "$tmp"
rc=$?
if [ -f "$tmp/counts" ]; then
    read -r p f s < "$tmp/counts"
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
else
    bad "the sandboxed part ran to its end" "exit $rc"
fi
state > "$tmp/state.after"
if cmp -s "$tmp/state.before" "$tmp/state.after"; then ok "this machine as it was: nsswitch.conf, packages, database, units"
else bad "this machine as it was" "$(diff "$tmp/state.before" "$tmp/state.after")"; fi

summary deb

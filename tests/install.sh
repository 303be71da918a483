#!/bin/bash
# make install / uninstall, iana-services enable / disable and
# compile --services, end to end.
#
#   tests/install.sh BUILD_DIR
#
# 1. `make install DESTDIR=...` puts exactly the expected files, with their
#    modes, under DESTDIR and touches nothing outside it; PREFIX, LIBDIR and
#    DBDIR are honoured, and compiled into the tool and the systemd units;
#    uninstall removes them.
# 2. As root, a real `make install PREFIX=/usr/local`, on a copy-on-write
#    view of this machine (tests/sandbox.sh), so that nothing of it reaches
#    the machine or anyone using it meanwhile (checked afterwards): glibc
#    finds the module with no NSS_IANA_DB or LD_LIBRARY_PATH (`getent -s
#    iana`); the rebuild path unit is enabled and `systemd-analyze verify`
#    accepts the units; `iana-services enable` on /etc/nsswitch.conf makes
#    plain `getent services` answer from the module, and from the fallback
#    without the database; `disable` gives the file back byte for byte;
#    then `make uninstall` leaves no file behind.  Skipped when this machine
#    has an nss-iana installed from source already (packages are purged in
#    the sandbox), and in sanitizer builds (an ASan module must not go into
#    the system libdir).  (tests/install.sh --sandboxed BUILD_DIR TMP is
#    the part run in the sandbox.)
# 3. enable / disable and compile --services through the CLI on scratch files.
set -u
cd "$(dirname "$0")/.." || exit 2
sandboxed=""
if [ "${1:-}" = --sandboxed ]; then
    sandboxed=yes
    shift
fi
BARG=${1:?usage: install.sh BUILD_DIR}
B=$(cd "$BARG" && pwd) || exit 2
TOOL=$B/iana-services
CSV=data/service-names-port-numbers.csv
if [ -n "$sandboxed" ]; then
    tmp=${2:?}
    trap 'echo "$passed $failed $skipped" > "$tmp/counts"' EXIT
else
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
fi
. tests/lib.sh
ma=$(${CC:-cc} -print-multiarch 2>/dev/null)
LIBDIR=/usr/lib${ma:+/$ma}
UNITDIR=/usr/local/lib/systemd/system
UNITS="iana-services-rebuild.path iana-services-rebuild.service iana-services-update.service
       iana-services-update.timer"
GETENT=(getent)
[ -n "${E2E_PRELOAD:-}" ] && GETENT=(env "LD_PRELOAD=$E2E_PRELOAD" ASAN_OPTIONS=detect_leaks=0 getent)
# Files under a directory, as absolute paths inside it, with their modes.
files_in() { (cd "$1" && find . ! -type d -printf '/%P %m\n' | sort); }
nsswitch_before=$(sha256sum /etc/nsswitch.conf 2>&1)
make_() { make --no-print-directory B="$BARG" "$@"; }
squeeze_getent() { env -u NSS_IANA_DB -u LD_LIBRARY_PATH getent services "$@" | squeeze; }

# --- 2. a real install, in the sandbox ------------------------------------------------
if [ -n "$sandboxed" ]; then
    NSS=/etc/nsswitch.conf
    for p in libnss-iana iana-services; do
        if dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^.[^n]'; then
            dpkg --purge "$p" > "$tmp/dpkg.log" 2>&1
            check "$p was on this machine: purged first (in the sandbox only)" 0 $?
        fi
    done
    targets=("$LIBDIR/libnss_iana.so.2" /usr/local/bin/iana-services /usr/local/share/nss_iana
             /var/lib/nss_iana "$UNITDIR/iana-services-rebuild.path")
    present=""
    for t in "${targets[@]}"; do [ -e "$t" ] && present="$present $t"; done
    if [ -n "$present" ]; then
        skip "real install (nss-iana is installed here already, not by a package:$present)"
        exit
    fi
    # What install and uninstall may touch: files and directories, the
    # units' enablement, and the linker cache's entries.
    snapshot() {
        { find "$LIBDIR" /usr/local/bin /var/lib -maxdepth 1 -xdev
          find /usr/local/share /usr/local/lib -maxdepth 3 -xdev
          find /etc/systemd/system -maxdepth 2 -xdev
          find /var/lib/nss_iana 2>/dev/null
          ldconfig -p | grep -o 'libnss_iana[^ ]*'; } 2>/dev/null | sort
    }
    snapshot > "$tmp/before"
    make_ PREFIX=/usr/local install > "$tmp/log" 2>&1
    check "sudo make install PREFIX=/usr/local: exit 0" 0 $?
    # What ldconfig leaves behind (not its echoed command line: make -s hides that).
    ldconfig -p | grep -q 'libnss_iana\.so\.2 .*=> .*/libnss_iana\.so\.2$'
    check "install ran ldconfig: the module is in the linker cache" 0 $?
    check "module mode 0644, no unversioned .so" "644 -" \
        "$(stat -c %a "$LIBDIR/libnss_iana.so.2") $(ls "$LIBDIR"/libnss_iana.so 2>/dev/null || echo -)"
    check "getent -s iana services bgp/sctp, no NSS_IANA_DB or LD_LIBRARY_PATH" "bgp 179/sctp" \
        "$(env -u NSS_IANA_DB -u LD_LIBRARY_PATH getent -s iana services bgp/sctp | squeeze)"
    (cd / && env -u NSS_IANA_DB /usr/local/bin/iana-services verify > "$tmp/out")
    check "the installed database verifies" 0 $?
    # Installed again over a database compiled from a registry `update`
    # downloaded (kept beside it as DB.csv, which the database names): that
    # registry is compiled again, not the older bundled snapshot.
    kept=/var/lib/nss_iana/services.db.csv
    { cat "$CSV"; printf 'nss-iana-dl,47998,tcp,downloaded,,,,,,,,\r\n'; } > "$kept"
    (cd / && env -u NSS_IANA_DB /usr/local/bin/iana-services compile "$kept" > /dev/null)
    dl() { env -u NSS_IANA_DB /usr/local/bin/iana-services lookup nss-iana-dl | squeeze; }
    make_ PREFIX=/usr/local install > "$tmp/log" 2>&1
    check "install again: the downloaded registry is compiled again" "0 nss-iana-dl 47998/tcp" \
        "$? $(dl)"
    check "install again: /etc/services merged" "  services file /etc/services: merged" \
        "$(env -u NSS_IANA_DB /usr/local/bin/iana-services verify | grep '^  services file' | cut -d';' -f1)"
    check "install: the protocol numbers registry installed and compiled, /etc/protocols merged" \
        "  protocol numbers /usr/local/share/nss_iana/protocol-numbers-1.csv|  protocols file /etc/protocols: merged" \
        "$(env -u NSS_IANA_DB /usr/local/bin/iana-services verify | grep -E '^  protocol(s file| numbers)' | cut -d';' -f1 | tr '\n' '|' | sed 's/|$//')"
    rm -f "$kept"
    # With umask 077, a compile that makes the database's directory still
    # leaves it 0755, and the database 0644: every user reads them.
    chattr -i /var/lib/nss_iana/services.db 2>/dev/null
    mv /var/lib/nss_iana "$tmp/nss_iana.away"
    (umask 077; cd / && env -u NSS_IANA_DB /usr/local/bin/iana-services compile > /dev/null)
    check "umask 077: /var/lib/nss_iana 0755, services.db 0644" "755 644" \
        "$(stat -c %a /var/lib/nss_iana) $(stat -c %a /var/lib/nss_iana/services.db)"
    chattr -i /var/lib/nss_iana/services.db 2>/dev/null
    rm -rf /var/lib/nss_iana
    mv "$tmp/nss_iana.away" /var/lib/nss_iana
    (cd / && env -u NSS_IANA_DB /usr/local/bin/iana-services compile > /dev/null) # immutable again
    # The installed tool finds the installed CSV on its own (from /, so not
    # the source tree's).
    (cd / && env -u NSS_IANA_DB /usr/local/bin/iana-services compile --output "$tmp/own.db" \
        > "$tmp/out")
    check "installed compile: the installed CSV by default" \
        "0 compiled /usr/local/share/nss_iana/service-names-port-numbers.csv" \
        "$? $(head -1 "$tmp/out" | cut -d' ' -f1-2)"

    # systemd: the units with this install's paths, the path unit enabled
    # (there is no systemd running here to start it), the timer not.
    check "the rebuild service runs the installed tool" "ExecStart=/usr/local/bin/iana-services compile" \
        "$(grep '^ExecStart=' "$UNITDIR/iana-services-rebuild.service")"
    # Without systemctl (a container, a minimal chroot) install enables
    # nothing, and says so.
    if command -v systemctl >/dev/null; then
        check "install enabled iana-services-rebuild.path" "$UNITDIR/iana-services-rebuild.path" \
            "$(readlink /etc/systemd/system/paths.target.wants/iana-services-rebuild.path)"
    else
        check "no systemctl: install says the path unit is not enabled" \
            "note: no systemctl: iana-services-rebuild.path not enabled" \
            "$(grep '^note: no systemctl' "$tmp/log")"
    fi
    [ ! -e /etc/systemd/system/timers.target.wants/iana-services-update.timer ]
    check "install did not enable the update timer" 0 $?
    if command -v systemd-analyze >/dev/null; then
        # shellcheck disable=SC2086  # the unit names are words
        (cd "$UNITDIR" && systemd-analyze verify $UNITS) > "$tmp/verify.log" 2>&1
        check "systemd-analyze verify: the installed units" "0 " "$? $(cat "$tmp/verify.log")"
    else
        skip "systemd-analyze verify (no systemd-analyze)"
    fi

    # enable, on the sandbox's /etc/nsswitch.conf itself: plain getent, and
    # the fallback when the module is unavailable.
    cp -a "$NSS" "$tmp/nsswitch.orig"
    before_bgp=$(squeeze_getent bgp/sctp)
    before_ssh=$(squeeze_getent ssh/tcp)
    /usr/local/bin/iana-services enable > "$tmp/out"
    check "iana-services enable: exit 0, says so, for both lines" \
        "0 iana put first on the services line|iana put first on the protocols line" \
        "$? $(grep -o 'iana put first on the [a-z]* line' "$tmp/out" | tr '\n' '|' | sed 's/|$//')"
    check "enabled: plain getent protocols sctp" "sctp 132 SCTP" \
        "$(env -u NSS_IANA_DB -u LD_LIBRARY_PATH getent protocols sctp | squeeze)"
    check "enabled: plain getent services bgp/sctp" "bgp 179/sctp" "$(squeeze_getent bgp/sctp)"
    # The installed database is immutable where the file system has the
    # attribute: a cp over it fails; the attribute is cleared to move it.
    if lsattr /var/lib/nss_iana/services.db 2>/dev/null | cut -d' ' -f1 | grep -q i; then
        ok "the installed database is immutable"
        cp /var/lib/nss_iana/services.db "$tmp/copy.db"
        cp "$tmp/copy.db" /var/lib/nss_iana/services.db 2>/dev/null
        check "cp over the immutable database fails" 1 $?
        chattr -i /var/lib/nss_iana/services.db
    else
        skip "the installed database is not immutable (no attribute on this file system)"
    fi
    mv /var/lib/nss_iana/services.db "$tmp/services.db"
    check "enabled, no database: bgp/sctp as before enable" "$before_bgp" "$(squeeze_getent bgp/sctp)"
    check "enabled, no database: ssh/tcp from the fallback, as before" "$before_ssh" \
        "$(squeeze_getent ssh/tcp)"
    mv "$tmp/services.db" /var/lib/nss_iana/services.db
    /usr/local/bin/iana-services disable > /dev/null
    cmp -s "$NSS" "$tmp/nsswitch.orig"
    check "disable gives /etc/nsswitch.conf back byte for byte" 0 $?

    # Uninstall without chattr (e2fsprogs is not Essential): the installed
    # tool clears the attribute itself.  Hidden in the sandbox's /usr only.
    /usr/local/bin/iana-services immutable on 2>/dev/null
    check "iana-services immutable on: exit 0" 0 $?
    if lsattr /var/lib/nss_iana/services.db 2>/dev/null | cut -d' ' -f1 | grep -q i ||
        chattr +i /var/lib/nss_iana/services.db 2>/dev/null; then
        lsattr /var/lib/nss_iana/services.db 2>/dev/null | cut -d' ' -f1 | grep -q i
        check "the installed database immutable before uninstall" 0 $?
    else
        skip "uninstall of an immutable database (no attribute on this file system)"
    fi
    chattr_bin=$(command -v chattr || true)
    [ -n "$chattr_bin" ] && mv "$chattr_bin" "$chattr_bin.nss-iana-hidden"
    hash -r
    make_ PREFIX=/usr/local uninstall > "$tmp/log" 2>&1
    check "sudo make uninstall, without chattr: exit 0" 0 $?
    [ -n "$chattr_bin" ] && mv "$chattr_bin.nss-iana-hidden" "$chattr_bin"
    hash -r
    snapshot > "$tmp/after"
    if cmp -s "$tmp/before" "$tmp/after"; then ok "uninstall leaves no file or unit link behind ($(wc -l < "$tmp/after") files compared)"
    else bad "uninstall leaves no file or unit link behind" "$(diff "$tmp/before" "$tmp/after" | head -8)"; fi
    env -u NSS_IANA_DB -u LD_LIBRARY_PATH getent -s iana services bgp/sctp >/dev/null 2>&1
    check "after uninstall glibc finds no module: getent exit 2" 2 $?
    exit
fi

# --- 1. DESTDIR ---------------------------------------------------------------------
expected() { # PREFIX LIBDIR
    printf '%s\n' "$2/libnss_iana.so.2 644" "$1/bin/iana-services 755" \
        "$1/share/nss_iana/service-names-port-numbers.csv 644" \
        "$1/share/nss_iana/protocol-numbers-1.csv 644"
    [ -e man/iana-services.1 ] && echo "$1/share/man/man1/iana-services.1 644"
    [ -e man/nss-iana.8 ] && echo "$1/share/man/man8/nss-iana.8 644"
    for u in $UNITS; do echo "$1/lib/systemd/system/$u 644"; done
}
dest=$tmp/dest
make_ install DESTDIR="$dest" > "$tmp/log" 2>&1
check "make install DESTDIR: exit 0" 0 $?
check "DESTDIR: exactly the expected files, with their modes" \
    "$(expected /usr/local "$LIBDIR" | sort)" "$(files_in "$dest")"
cmp -s "$B/libnss_iana.so.2" "$dest$LIBDIR/libnss_iana.so.2"; check "DESTDIR: the module as built" 0 $?
cmp -s "$CSV" "$dest/usr/local/share/nss_iana/service-names-port-numbers.csv"
check "DESTDIR: the bundled registry, byte for byte" 0 $?
if grep -q 'ldconfig\|iana-services compile\|systemctl' "$tmp/log"; then
    bad "DESTDIR: no ldconfig, no database, no systemctl" "$(cat "$tmp/log")"
else ok "DESTDIR: no ldconfig, no database, no systemctl"; fi
for u in $UNITS; do
    cmp -s "systemd/$u" "$dest/usr/local/lib/systemd/system/$u" && echo "$u"
done > "$tmp/same"
check "DESTDIR: the units as in systemd/ but for the tool's path" \
    "iana-services-rebuild.path iana-services-update.timer" "$(tr '\n' ' ' < "$tmp/same" | sed 's/ $//')"
check "DESTDIR: ExecStart the installed tool" \
    "ExecStart=/usr/local/bin/iana-services compile|ExecStart=/usr/local/bin/iana-services update" \
    "$(cat "$dest/usr/local/lib/systemd/system/"*.service | grep '^ExecStart=' | tr '\n' '|' | sed 's/|$//')"
make_ uninstall DESTDIR="$dest" > "$tmp/log" 2>&1
check "make uninstall DESTDIR: exit 0, no file left" "0 " "$? $(files_in "$dest")"

# Other paths: a build directory of its own, since the paths are compiled in.
dest=$tmp/opt
make_ B="$tmp/b" PREFIX=/opt/nss LIBDIR=/opt/nss/lib64 DBDIR=/opt/nss/db DESTDIR="$dest" install \
    > "$tmp/log" 2>&1
check "make install PREFIX= LIBDIR= DBDIR= DESTDIR=: exit 0" 0 $?
check "PREFIX and LIBDIR honoured" "$(expected /opt/nss /opt/nss/lib64 | sort)" "$(files_in "$dest")"
"$dest/opt/nss/bin/iana-services" compile --help > "$tmp/help"
grep -q '^ *else /opt/nss/share/nss_iana/service-names-port-numbers.csv' "$tmp/help" &&
    grep -q 'else /opt/nss/db/services.db' "$tmp/help"
check "the installed tool's defaults are the installed paths" 0 $?
check "the units' paths are the installed ones, and no StateDirectory= outside /var/lib" \
    "ExecStart=/opt/nss/bin/iana-services compile|ReadWritePaths=/opt/nss/db" \
    "$(grep -E '^(ExecStart|ReadWritePaths|StateDirectory)' "$dest/opt/nss/lib/systemd/system/iana-services-rebuild.service" | tr '\n' '|' | sed 's/|$//')"

# --- 2. the real install: in the sandbox -------------------------------------------
# The machine as the sandbox must leave it.
state() {
    sha256sum /etc/nsswitch.conf 2>&1
    ls -la "$LIBDIR"/libnss_iana* /usr/local/bin/iana-services /usr/local/share/nss_iana \
        /usr/local/lib/systemd /var/lib/nss_iana /etc/systemd/system/paths.target.wants 2>&1
    ls -d /tmp/nss-iana-sandbox.* 2>&1
    ldconfig -p | grep libnss_iana
}
if [ "$(id -u)" != 0 ]; then
    skip "real install (needs root, for the sandbox)"
elif [ -n "${E2E_PRELOAD:-}" ]; then
    skip "real install (sanitizer build: not for the system libdir)"
else
    state > "$tmp/state.before"
    tests/sandbox.sh "$0" --sandboxed "$BARG" "$tmp"
    rc=$?
    if [ -f "$tmp/counts" ]; then
        read -r p f s < "$tmp/counts"
        passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
    else
        bad "the sandboxed part ran to its end" "exit $rc"
    fi
    state > "$tmp/state.after"
    if cmp -s "$tmp/state.before" "$tmp/state.after"; then ok "this machine as it was: nsswitch.conf, files, units, linker cache"
    else bad "this machine as it was" "$(diff "$tmp/state.before" "$tmp/state.after")"; fi
fi

# --- 3a. enable / disable on scratch files ---------------------------------------------
"$TOOL" compile --output "$tmp/ok.db" "$CSV" > /dev/null
mkdir "$tmp/n"
conf=$tmp/n/ns.conf
printf '# test\nhosts: files dns\nservices:\tfiles [NOTFOUND=return] db # mine\n' > "$conf"
chmod 0640 "$conf"
cp -p "$conf" "$conf.orig"
"$TOOL" enable --nsswitch "$conf" --db "$tmp/ok.db" > "$tmp/out" 2> "$tmp/err"
check "enable: exit 0, what was done" \
    "0 $conf: iana put first on the services line (line 3): services:	iana [!UNAVAIL=return] files [NOTFOUND=return] db # mine
$conf: there was no protocols line; added line 4: protocols: iana [!UNAVAIL=return]	files
warning: $conf: other users cannot read it (mode 0640), and glibc in their processes then uses its default, files, without iana: chmod a+r $conf" \
    "$? $(cat "$tmp/out" "$tmp/err")"
check "enable: mode kept" 640 "$(stat -c %a "$conf")"
"$TOOL" enable --nsswitch "$conf" --db "$tmp/ok.db" > "$tmp/out"
check "enable again: nothing to do" \
    "0 $conf: iana is first on the services line already (line 3); nothing to do
$conf: iana is first on the protocols line already (line 4); nothing to do
warning: $conf: other users cannot read it (mode 0640), and glibc in their processes then uses its default, files, without iana: chmod a+r $conf" "$? $(cat "$tmp/out")"
"$TOOL" disable --nsswitch "$conf" > "$tmp/out"
check "disable: exit 0, what was done" \
    "0 $conf: iana removed from the services line (line 3): services:	files [NOTFOUND=return] db # mine
$conf: removed line 4, the protocols line enable adds: protocols: iana [!UNAVAIL=return]	files" \
    "$? $(cat "$tmp/out")"
cmp -s "$conf" "$conf.orig"; check "enable then disable: the file as it was" 0 $?
"$TOOL" disable --nsswitch "$conf" > "$tmp/out"
check "disable again: nothing to do" "0 $conf: iana is on no services line; nothing to do
$conf: iana is on no protocols line; nothing to do" \
    "$? $(cat "$tmp/out")"
# What disable's help says it does not give back byte for byte, it does
# not: an iana enable moved from after files is taken off, not put back.
printf 'services: files iana\n' > "$conf.moved"
"$TOOL" enable --nsswitch "$conf.moved" > /dev/null && "$TOOL" disable --nsswitch "$conf.moved" > /dev/null
check "enable then disable of \"files iana\": \"files\"" "services: files" "$(cat "$conf.moved")"
"$TOOL" disable --help | tr -s ' \n' ' ' | grep -qF '"files iana" comes back as "files"'
check "disable --help says so" 0 $?
printf 'passwd: files\n' > "$conf.added"
cp "$conf.added" "$conf.added.orig"
"$TOOL" enable --nsswitch "$conf.added" > /dev/null && "$TOOL" disable --nsswitch "$conf.added" > /dev/null
cmp -s "$conf.added" "$conf.added.orig"
check "enable then disable of a file without a services line: the line enable added removed" 0 $?
check "no temporary file left" "ns.conf ns.conf.added ns.conf.added.orig ns.conf.moved ns.conf.orig" \
    "$(ls -A "$tmp/n" | sort | tr '\n' ' ' | sed 's/ $//')"
"$TOOL" enable --nsswitch "$tmp/none.conf" > /dev/null 2> "$tmp/err"
check "enable: a missing file" "1 iana-services: $tmp/none.conf: No such file or directory" \
    "$? $(cat "$tmp/err")"
"$TOOL" enable --nsswitch "$conf" --db "$tmp/no.db" > "$tmp/out"
check "enable: a note when the database is missing" "0 note: $tmp/no.db" \
    "$? $(grep -o "^note: $tmp/no.db" "$tmp/out")"
"$TOOL" enable --nsswitch "$conf" extra > /dev/null 2>&1; check "enable: an operand is a usage error" 2 $?
"$TOOL" compile --nsswitch "$conf" > /dev/null 2>&1; check "compile --nsswitch: a usage error" 2 $?
for c in enable disable; do
    "$TOOL" "$c" --help | grep -q "^usage: iana-services $c \[--nsswitch FILE\]"; check "$c --help" 0 $?
done
check "/etc/nsswitch.conf untouched" "$nsswitch_before" "$(sha256sum /etc/nsswitch.conf 2>&1)"

# --- 3b. compile --services -------------------------------------------------------------
mkdir "$tmp/l"
db=$tmp/l/merged.db
cat > "$tmp/site" <<'EOF'
# site-specific names
whois       43/tcp  nicname     # as /etc/services has it
myapp       8123/tcp myapp-alt  # our own application
myapp       8123/udp
broken      12x/tcp
EOF
"$TOOL" compile --output "$db" --services "$tmp/site" "$CSV" > "$tmp/out" 2> "$tmp/err"
check "compile --services: exit 0, a warning for the line nss_files skips" \
    "0 $tmp/site:5: warning: port number followed by something other than '/'; glibc skips this line, and so does the database" \
    "$? $(cat "$tmp/err")"
check "compile --services: the summary" \
    "services file $tmp/site: 3 lines answer first, as nss_files reads them; 1 lines it skips" \
    "$(grep -o 'services file .*' "$tmp/out" | squeeze)"
# Merged from a file that is not /etc/services, the database is looked up
# through the tool; the module steps aside (it compares /etc/services).
look() { "$TOOL" lookup --db "$db" "$@" | squeeze; }
check "a line of the file" "whois 43/tcp nicname" "$(look nicname/tcp)"
check "a line by port" "myapp 8123/udp" "$(look 8123/udp)"
check "the registry after it, case-insensitive as ever" "http 80/tcp www www-http" "$(look HTTP/tcp)"
getent_db() { env NSS_IANA_DB="$1" LD_LIBRARY_PATH="$B" "${GETENT[@]}" -s iana services "${@:2}" | squeeze; }
check "through glibc the module steps aside: /etc/services is another file" "" "$(getent_db "$db" nicname)"
"$TOOL" lookup -v --db "$db" myapp/tcp > "$tmp/out"
check "lookup -v: which line of which file" "from $tmp/site line 3" \
    "$(sed -n '2p' "$tmp/out" | squeeze)"
check "export: the file's lines first" "whois 43/tcp nicname|myapp 8123/tcp myapp-alt|myapp 8123/udp" \
    "$("$TOOL" export --db "$db" | grep -v '^#' | head -3 | sed 's/[[:space:]]*#.*//' | squeeze | tr '\n' '|' | sed 's/|$//')"
# Merged from this machine's /etc/services: glibc's enumeration is the export.
"$TOOL" compile --output "$tmp/l/etc.db" "$CSV" > /dev/null 2>&1
"$TOOL" export --db "$tmp/l/etc.db" | grep -v '^#' | sed 's/[[:space:]]*#.*//' | squeeze > "$tmp/export"
env NSS_IANA_DB="$tmp/l/etc.db" LD_LIBRARY_PATH="$B" "${GETENT[@]}" -s iana services | squeeze > "$tmp/getent"
cmp -s "$tmp/export" "$tmp/getent" && [ -s "$tmp/getent" ]
check "getent enumeration == export, /etc/services' lines first" 0 $?
"$TOOL" verify --db "$db" > /dev/null; check "verify accepts it" 0 $?
"$TOOL" compile --output "$db" --services "$tmp/site" --services "$tmp/site" "$CSV" > /dev/null 2>&1
check "--services twice: a usage error" 2 $?
"$TOOL" compile --output "$db" --services "$tmp/site" --no-services "$CSV" > /dev/null 2>&1
check "--services with --no-services: a usage error" 2 $?
"$TOOL" lookup --services "$tmp/site" http > /dev/null 2>&1; check "lookup --services: a usage error" 2 $?
"$TOOL" compile --help | grep -q -- '--services FILE'; check "compile --help tells of --services" 0 $?
"$TOOL" compile --output "$db" --local "$tmp/site" "$CSV" > /dev/null 2>&1
check "compile --local: refused (site names go in /etc/services)" 2 $?

summary install

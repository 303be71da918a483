#!/bin/sh
# NSS_IANA_DB must be ignored in a setuid program: a setuid-root copy of a
# small client, run as an unprivileged user, must not read the database the
# variable names, while the same client without the setuid bit does.
# Also: the database is opened O_RDONLY|O_NONBLOCK|O_CLOEXEC, and not stat'ed on
# every call.  Needs root (and strace for the second part).
#
#   tests/secure.sh BUILD_DIR
set -u
B=$(cd "${1:?usage: secure.sh BUILD_DIR}" && pwd)
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
printf 'Service Name,Port Number,Transport Protocol\nonly-in-test-db,4242,tcp\n' > "$tmp/t.csv"
"$B/iana-services" compile --output "$tmp/test.db" "$tmp/t.csv" >/dev/null
cp "$B/libnss_iana.so.2" "$B/secure_client" "$tmp/"
chmod 644 "$tmp/test.db" "$tmp/libnss_iana.so.2"

user=$(id -un nobody 2>/dev/null)
if [ "$(id -u)" != 0 ] || [ -z "$user" ] || ! command -v setpriv >/dev/null; then
    skip "setuid: needs root, a 'nobody' user and setpriv"
else
    as_nobody() {
        setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
            env NSS_IANA_DB="$tmp/test.db" "$tmp/secure_client" "$tmp/libnss_iana.so.2" only-in-test-db
    }
    chown root:root "$tmp/secure_client"
    chmod 0755 "$tmp/secure_client"
    out=$(as_nobody)
    [ "$out" = "AT_SECURE=0 status=SUCCESS" ] && ok "plain program: NSS_IANA_DB honoured" ||
        bad "plain program: NSS_IANA_DB honoured" "$out"
    chmod 4755 "$tmp/secure_client"
    out=$(as_nobody)
    case $out in
        "AT_SECURE=0 "*) skip "setuid: $tmp is mounted nosuid, AT_SECURE not set" ;;
        "AT_SECURE=1 status=SUCCESS") bad "setuid program: NSS_IANA_DB ignored" "$out" ;;
        "AT_SECURE=1 status="*) ok "setuid program: NSS_IANA_DB ignored ($out)" ;;
        *) bad "setuid program: NSS_IANA_DB ignored" "$out" ;;
    esac
fi

if command -v strace >/dev/null; then
    # %%stat: the whole stat family, whatever this architecture calls it
    # (newfstatat and statx on amd64, stat64, fstatat64 and statx on i386);
    # open as well as openat where the architecture still has it (a regular
    # expression: naming a system call it lacks would be an error).
    strace -f -qq -e 'trace=/^open(at)?$,%%stat' -o "$tmp/trace" \
        env ASAN_OPTIONS=detect_leaks=0 NSS_IANA_DB="$tmp/test.db" LD_LIBRARY_PATH="$B" \
        "$B/nss_client" iana "ports 0 4000" >/dev/null
    opens=$(grep -cE "^[0-9]+ +open(at)?\(.*test\.db" "$tmp/trace")
    # Read-only, not inherited across exec, and never blocking (a FIFO put
    # at the path is refused at once, not waited on).
    cloexec=$(grep -E "^[0-9]+ +open(at)?\(.*test\.db" "$tmp/trace" | grep "O_RDONLY" | grep "O_NONBLOCK" | grep -c "O_CLOEXEC")
    # Any call of the family that names the file: stat64(, fstatat64(, ...
    stats=$(grep -cE "^[0-9]+ +[a-z0-9_]*stat[a-z0-9_]*\(.*test\.db" "$tmp/trace")
    [ "$opens" -ge 1 ] && [ "$opens" = "$cloexec" ] && ok "database opened O_RDONLY|O_NONBLOCK|O_CLOEXEC ($opens open)" ||
        bad "database opened O_RDONLY|O_NONBLOCK|O_CLOEXEC" "$(grep -E 'open(at)?\(.*test\.db' "$tmp/trace")"
    # 20,000 lookups in well under a second: a stat a call would be 20,000.
    [ "$stats" -le 10 ] && ok "no stat per call ($stats stat calls for 20000 lookups)" ||
        bad "no stat per call" "$stats stat calls for 20000 lookups"
else
    skip "strace not installed"
fi

summary secure

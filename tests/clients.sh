#!/bin/bash
# Real client programs against the module, through /etc/nsswitch.conf as
# an installed system would use it: plain `getent services` (no -s),
# Python's socket.getservbyname/getservbyport, Perl's getservbyname,
# getservbyport and getservent, and glibc's getaddrinfo/getnameinfo
# (tests/gai_client.c); then the same clients with the line we recommend,
# "services: iana [!UNAVAIL=return] files" over a database that merged this
# machine's /etc/services, against "services: files iana" over the registry
# alone: every answer the same.  Each client runs in a private mount namespace
# (unshare -m) where a temporary nsswitch.conf whose services line is
# "services: iana" is bind-mounted over /etc/nsswitch.conf (and nscd's
# socket directory is hidden), with NSS_IANA_DB and LD_LIBRARY_PATH
# pointing at the build directory; the host's files are never changed.
# Expected answers come from `iana-services export`, parsed with awk.
# Needs root; skips (exit 0, says so) otherwise.
#
#   tests/clients.sh BUILD_DIR
set -u
B=$(cd "${1:?usage: clients.sh BUILD_DIR}" && pwd) || exit 2
SRC=$(cd "$(dirname "$0")" && pwd)
DB=$B/services.db
TOOL=$B/iana-services

if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
    echo "clients: SKIPPED (needs root and unshare -m to mount a private /etc/nsswitch.conf)"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$SRC/lib.sh"
# check_files NAME EXPECTED-FILE ACTUAL-FILE
check_files() {
    if [ -s "$2" ] && cmp -s "$2" "$3"; then ok "$1 ($(wc -l < "$3") lines)"
    else bad "$1" "$(diff "$2" "$3" | head -6)"; fi
}

# --- the private nsswitch.conf and the namespace ------------------------------------
# The host's file with its services line replaced, so every other database
# behaves as usual.
grep -v '^[[:space:]]*services[[:space:]]*:' /etc/nsswitch.conf > "$tmp/nsswitch.conf" 2>/dev/null
echo 'services: iana' >> "$tmp/nsswitch.conf"
chmod 0644 "$tmp/nsswitch.conf"
mkdir "$tmp/no-nscd"
host_before="$(sha256sum /etc/nsswitch.conf 2>&1) | $(findmnt -n /etc/nsswitch.conf 2>&1)"

# Programs under test: the module through LD_LIBRARY_PATH, the database
# through NSS_IANA_DB; with a sanitizer build (make check-sanitize sets
# E2E_PRELOAD) the ASan runtime is preloaded into the uninstrumented clients.
use_db() {
    runenv=(env "NSS_IANA_DB=$1" "LD_LIBRARY_PATH=$B")
    if [ -n "${E2E_PRELOAD:-}" ]; then runenv+=("LD_PRELOAD=$E2E_PRELOAD" "ASAN_OPTIONS=detect_leaks=0"); fi
}
use_db "$DB"

# inns COMMAND...: run COMMAND with "services: iana" as /etc/nsswitch.conf
# and nscd out of the way (a running nscd would answer from the host's
# configuration), in a mount namespace of its own (unshare makes its mounts
# private, so nothing leaks to the host).  Exit 125 if a mount fails.
# shellcheck disable=SC2016  # the sh -c script expands its own arguments
inns() {
    unshare -m -- sh -c '
        mount --bind "$1" /etc/nsswitch.conf || exit 125
        if [ -d /var/run/nscd ]; then mount --bind "$2" /var/run/nscd || exit 125; fi
        shift 2
        exec "$@"' sh "${NSSCONF:-$tmp/nsswitch.conf}" "$tmp/no-nscd" "${runenv[@]}" "$@"
}

# --- the oracle: the export, parsed with awk ------------------------------------------
# One line per served entry and port, "name port/proto alias...", registry order.
"$TOOL" export --db "$DB" > "$tmp/export.raw" || { echo "clients: iana-services export failed"; exit 1; }
grep -v '^#' "$tmp/export.raw" | sed 's/[[:space:]]*#.*//' | squeeze > "$tmp/export"

# oracle_byname NAME [PROTO]: the line getservbyname(NAME, PROTO) must give:
# the first entry (registry order) with the protocol (any if none) whose name
# or an alias is NAME exactly, else the first such entry matching NAME in
# ASCII case-insensitively (README rules 4 and 5).  Nothing if none.
oracle_byname() {
    awk -v n="$1" -v p="${2:-}" '
        { split($2, pp, "/"); if (p != "" && pp[2] != tolower(p)) next
          for (i = 1; i <= NF; i++) if (i != 2) {
              if ($i == n) { print; found = 1; exit }
              if (ci == "" && tolower($i) == tolower(n)) ci = $0 } }
        END { if (!found && ci != "") print ci }' "$tmp/export"
}
# oracle_byport PORT PROTO: the first line listing PORT/PROTO.
oracle_byport() { awk -v k="$1/$2" '$2 == k { print; exit }' "$tmp/export"; }
# Fields of an oracle line: port_of LINE, name_of LINE.
port_of() { printf '%s\n' "$1" | awk '{ split($2, pp, "/"); print pp[1] }'; }
name_of() { printf '%s\n' "$1" | awk '{ print $1 }'; }
# What Python gives for these queries: the number / name, or OSError.
exp_port() { local l; l=$(oracle_byname "$@"); if [ -n "$l" ]; then port_of "$l"; else echo OSError; fi; }
exp_name() { local l; l=$(oracle_byport "$@"); if [ -n "$l" ]; then name_of "$l"; else echo OSError; fi; }

UNKNOWN_NAME=no-such-service-name
UNKNOWN_PORT=$(awk '{ seen[$2] = 1 } END { for (p = 1; p < 65536; p++) if (!((p "/tcp") in seen)) { print p; exit } }' "$tmp/export")
check "oracle: the export lists bgp 179/sctp (the issue's example)" "bgp 179/sctp" "$(oracle_byname bgp sctp)"
check "oracle: $UNKNOWN_NAME is not in the export" "" "$(oracle_byname $UNKNOWN_NAME)"
check "oracle: some port has no tcp entry ($UNKNOWN_PORT)" "" "$(oracle_byport "${UNKNOWN_PORT:-1}" tcp)"

# --- the namespace works, and the answers come from the module ------------------------
check "namespace: /etc/nsswitch.conf says services: iana" "services: iana" \
    "$(inns grep '^services' /etc/nsswitch.conf)"
use_db "$tmp/missing.db"
inns getent services http >/dev/null
check "namespace: no database -> getent services http exits 2 (no other source)" 2 $?
use_db "$DB"

# --- getent services, through nsswitch.conf (no -s) -----------------------------------
inns getent services | squeeze > "$tmp/getent"
check_files "getent services == export (names, port/proto, aliases, order)" "$tmp/export" "$tmp/getent"
for q in bgp/sctp www HTTPS/tcp 80/udp 6010/tcp 42/tcp msp; do
    case $q in
        [0-9]*) exp=$(oracle_byport "${q%/*}" "${q#*/}") ;;
        */*)    exp=$(oracle_byname "${q%/*}" "${q#*/}") ;;
        *)      exp=$(oracle_byname "$q") ;;
    esac
    check "getent services $q" "$exp" "$(inns getent services "$q" | squeeze)"
done
inns getent services $UNKNOWN_NAME >/dev/null; check "getent services $UNKNOWN_NAME exits 2" 2 $?

# --- Python's socket module -------------------------------------------------------------
PY=/usr/bin/python3
if [ ! -x "$PY" ]; then
    echo "installing Debian package python3-minimal"
    apt-get install -y -q python3-minimal >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q python3-minimal >/dev/null 2>&1; }
fi
if [ -x "$PY" ] && "$PY" -c 'import socket' 2>/dev/null; then
    # py EXPR: print EXPR's value, or OSError if it raises one.
    py() {
        inns "$PY" -c 'import socket, sys
try:
    print(eval(sys.argv[1], {"socket": socket}))
except OSError:
    print("OSError")' "$1" 2>&1
    }
    pycheck() { check "python: $1" "$2" "$(py "$1")"; }
    check "python: getservbyname('bgp', 'sctp') is 179 (the issue's example)" 179 \
        "$(py "socket.getservbyname('bgp', 'sctp')")"
    pycheck "socket.getservbyname('bgp', 'sctp')"  "$(exp_port bgp sctp)"
    pycheck "socket.getservbyname('bgp')"          "$(exp_port bgp)"
    pycheck "socket.getservbyname('www', 'tcp')"   "$(exp_port www tcp)"
    pycheck "socket.getservbyname('HTTP')"         "$(exp_port HTTP)"
    pycheck "socket.getservbyname('HTTP', 'TCP')"  "$(exp_port HTTP tcp)"
    pycheck "socket.getservbyport(80, 'tcp')"      "$(exp_name 80 tcp)"
    pycheck "socket.getservbyport(6010, 'tcp')"    "$(exp_name 6010 tcp)"
    pycheck "socket.getservbyport(443, 'udp')"     "$(exp_name 443 udp)"
    pycheck "socket.getservbyname('$UNKNOWN_NAME')" OSError
    pycheck "socket.getservbyport($UNKNOWN_PORT, 'tcp')" OSError
else
    echo "skip python: no /usr/bin/python3 with a socket module, and python3-minimal could not be installed"
fi

# --- Perl's built-ins -------------------------------------------------------------------
# pl name NAME PROTO | pl port PORT PROTO | pl enum: "name port/proto alias..."
# per answer ("" as PROTO means any), NOTFOUND for none.
# shellcheck disable=SC2016  # Perl code
pl() {
    inns perl -e '
        sub show { if (!@_) { print "NOTFOUND\n"; return }
                   my ($name, $aliases, $port, $proto) = @_;
                   print join(" ", $name, "$port/$proto", grep { length } split / /, $aliases), "\n" }
        my ($op, $a, $b) = @ARGV;
        if ($op eq "name")    { show(getservbyname($a, $b)) }
        elsif ($op eq "port") { show(getservbyport($a, $b)) }
        else { setservent(0); while (my @s = getservent()) { show(@s) } endservent() }' "$@" 2>&1
}
exp_line() { local l; l=$("$@"); echo "${l:-NOTFOUND}"; }
check "perl: getservbyname('bgp', 'sctp')"  "$(exp_line oracle_byname bgp sctp)" "$(pl name bgp sctp)"
check "perl: getservbyname('www', 'tcp')"   "$(exp_line oracle_byname www tcp)"  "$(pl name www tcp)"
check "perl: getservbyname('HTTP', '')"     "$(exp_line oracle_byname HTTP)"     "$(pl name HTTP '')"
check "perl: getservbyname('$UNKNOWN_NAME', 'tcp')" NOTFOUND "$(pl name $UNKNOWN_NAME tcp)"
check "perl: getservbyport(80, 'tcp')"      "$(exp_line oracle_byport 80 tcp)"   "$(pl port 80 tcp)"
check "perl: getservbyport(6010, 'udp')"    "$(exp_line oracle_byport 6010 udp)" "$(pl port 6010 udp)"
check "perl: getservbyport($UNKNOWN_PORT, 'tcp')" NOTFOUND "$(pl port "$UNKNOWN_PORT" tcp)"
pl enum > "$tmp/perl"
check_files "perl: getservent loop == export" "$tmp/export" "$tmp/perl"

# --- getaddrinfo / getnameinfo ----------------------------------------------------------
if cc -std=c11 -Wall -Wextra -Werror -o "$B/gai_client" "$SRC/gai_client.c"; then
    ok "gai_client builds with -std=c11 -Wall -Wextra -Werror"
    gai() { inns "$B/gai_client" gai "$@" 2>&1; }
    ni()  { inns "$B/gai_client" ni "$@" 2>&1; }
    # exp_gai NAME: what getaddrinfo(NULL, NAME) with socktype 0 must give:
    # glibc 2.36 asks for the name with tcp, udp, dccp, udplite and sctp
    # (as SOCK_STREAM and SOCK_SEQPACKET), and returns one result for each
    # that answers; sorted, glibc's order is its own business.
    exp_gai() {
        local p l
        for p in tcp udp dccp sctp; do
            l=$(oracle_byname "$1" $p); [ -n "$l" ] || continue
            l=$(port_of "$l")
            case $p in
                tcp)  echo "SOCK_STREAM IPPROTO_TCP $l" ;;
                udp)  echo "SOCK_DGRAM IPPROTO_UDP $l" ;;
                dccp) echo "SOCK_DCCP IPPROTO_DCCP $l" ;;
                sctp) echo "SOCK_STREAM IPPROTO_SCTP $l"; echo "SOCK_SEQPACKET IPPROTO_SCTP $l" ;;
            esac
        done | sort
    }

    oneline() { paste -sd '|' | sed 's/|/ | /g'; }
    gai bgp > "$tmp/gai.bgp"
    sed 's/^/     /' "$tmp/gai.bgp"
    bgp_sctp_port=$(port_of "$(oracle_byname bgp sctp)")
    if grep -qx -e "SOCK_SEQPACKET IPPROTO_SCTP $bgp_sctp_port" -e "SOCK_STREAM IPPROTO_SCTP $bgp_sctp_port" "$tmp/gai.bgp" &&
       [ "$bgp_sctp_port" = 179 ]; then ok "getaddrinfo(NULL, \"bgp\"): an SCTP result on port 179"
    else bad "getaddrinfo(NULL, \"bgp\"): an SCTP result on port 179" "$(oneline < "$tmp/gai.bgp")"; fi
    check "getaddrinfo(NULL, \"bgp\"): every result" "$(exp_gai bgp | oneline)" "$(sort "$tmp/gai.bgp" | oneline)"
    check "getaddrinfo(NULL, \"http\"): tcp on port $(exp_port http tcp)" \
        "SOCK_STREAM IPPROTO_TCP $(exp_port http tcp)" "$(gai http | grep IPPROTO_TCP)"
    check "getaddrinfo(NULL, \"http\"): every result" "$(exp_gai http | oneline)" "$(gai http | sort | oneline)"
    # A name with a dccp entry exercises glibc's dccp query too.
    dccp_name=$(awk '$2 ~ /\/dccp$/ { print $1; exit }' "$tmp/export")
    check "getaddrinfo(NULL, \"$dccp_name\"): every result, dccp too" "$(exp_gai "$dccp_name" | oneline)" "$(gai "$dccp_name" | sort | oneline)"
    check "getaddrinfo(NULL, \"bgp\", SOCK_SEQPACKET)" "SOCK_SEQPACKET IPPROTO_SCTP $bgp_sctp_port" "$(gai bgp seqpacket)"
    check "getaddrinfo(NULL, \"$UNKNOWN_NAME\"): EAI_SERVICE" "error EAI_SERVICE" "$(gai $UNKNOWN_NAME | cut -d' ' -f1-2)"
    check "getnameinfo(127.0.0.1:443) is https"   "$(exp_name 443 tcp)"  "$(ni 443)"
    check "getnameinfo(127.0.0.1:443, NI_DGRAM)"  "$(exp_name 443 udp)"  "$(ni 443 dgram)"
    check "getnameinfo(127.0.0.1:6010), a range"  "$(exp_name 6010 tcp)" "$(ni 6010)"
    check "getnameinfo(127.0.0.1:$UNKNOWN_PORT): numeric" "$UNKNOWN_PORT" "$(ni "$UNKNOWN_PORT")"
else
    bad "gai_client builds with -std=c11 -Wall -Wextra -Werror"
fi

# --- the line we recommend, against `files iana` ----------------------------------------
# The same clients, with this machine's /etc/services: "services: iana
# [!UNAVAIL=return] files" over a database that merged it must answer every
# one of these as "services: files iana" over the registry alone does.
"$TOOL" compile --output "$tmp/merged.db" "$SRC/../data/service-names-port-numbers.csv" > /dev/null
grep -v '^[[:space:]]*services[[:space:]]*:' /etc/nsswitch.conf > "$tmp/files-iana.conf" 2>/dev/null
cp "$tmp/files-iana.conf" "$tmp/iana-first.conf"
echo 'services: files iana' >> "$tmp/files-iana.conf"
echo 'services: iana [!UNAVAIL=return] files' >> "$tmp/iana-first.conf"
chmod 0644 "$tmp/files-iana.conf" "$tmp/iana-first.conf"
# same NAME COMMAND...: COMMAND's output under both configurations.
same() {
    local name=$1; shift
    use_db "$DB"; NSSCONF=$tmp/files-iana.conf inns "$@" > "$tmp/same.files-iana" 2>&1
    use_db "$tmp/merged.db"; NSSCONF=$tmp/iana-first.conf inns "$@" > "$tmp/same.iana-first" 2>&1
    use_db "$DB"
    if [ -s "$tmp/same.files-iana" ] && cmp -s "$tmp/same.files-iana" "$tmp/same.iana-first"; then
        ok "iana first == files iana: $name"
    else bad "iana first == files iana: $name" "$(diff "$tmp/same.files-iana" "$tmp/same.iana-first" | head -6)"; fi
}
same "getent services (every line, in order)" getent services
for q in http www WWW whois nicname 43/tcp echo/ddp 4/ddp HTTP/tcp http/TCP kerberos 88/udp \
         bgp/sctp 6010/tcp msp 42/tcp domain $UNKNOWN_NAME; do
    same "getent services $q" sh -c 'getent services "$1"; echo "exit $?"' sh "$q"
done
if [ -x "$PY" ]; then
    same "python: getservbyname / getservbyport" "$PY" -c 'import socket
for q in [("http", None), ("www", "tcp"), ("HTTP", None), ("whois", "tcp"), ("echo", "ddp"),
          ("kerberos", None), ("bgp", "sctp"), ("no-such-service-name", None)]:
    try: print(q, socket.getservbyname(*[x for x in q if x]))
    except OSError: print(q, "OSError")
for q in [(80, "tcp"), (43, "tcp"), (4, "ddp"), (88, "udp"), (6010, "tcp"), (1, "udplite")]:
    try: print(q, socket.getservbyport(*q))
    except OSError: print(q, "OSError")'
fi
same "perl: getservent loop" perl -e 'setservent(0); while (my @s = getservent()) { print "@s[0..3]\n" } endservent()'
if [ -x "$B/gai_client" ]; then
    for n in http domain bgp kerberos whois echo $UNKNOWN_NAME; do
        same "getaddrinfo(NULL, \"$n\")" sh -c '"$1" gai "$2" | sort' sh "$B/gai_client" "$n"
    done
    for p in 80 43 88 6010 "$UNKNOWN_PORT"; do
        same "getnameinfo(127.0.0.1:$p)" "$B/gai_client" ni "$p"
    done
fi

# --- protocols: "protocols: iana", the registry-only database ---------------------------
grep -v '^[[:space:]]*protocols[[:space:]]*:' "$tmp/nsswitch.conf" > "$tmp/nsswitch.proto"
echo 'protocols: iana' >> "$tmp/nsswitch.proto"
chmod 0644 "$tmp/nsswitch.proto"
"$TOOL" export --protocols --db "$DB" | grep -v '^#' | sed 's/[[:space:]]*#.*//' | squeeze > "$tmp/pexport"
# The first line with the name or alias exactly, else in ASCII case; by number, the first.
pbyname() { awk -v n="$1" '{ for (i = 1; i <= NF; i++) if (i != 2 && $i == n) { print; exit } }' "$tmp/pexport"; }
pbynumber() { awk -v n="$1" '$2 == n { print; exit }' "$tmp/pexport"; }
use_db "$DB"
if [ -x "$PY" ]; then
    check "python: socket.getprotobyname('sctp')" "$(pbyname sctp | cut -d' ' -f2)" \
        "$(NSSCONF=$tmp/nsswitch.proto inns "$PY" -c 'import socket; print(socket.getprotobyname("sctp"))')"
    check "python: socket.getprotobyname('ipv6-icmp')" "$(pbyname ipv6-icmp | cut -d' ' -f2)" \
        "$(NSSCONF=$tmp/nsswitch.proto inns "$PY" -c 'import socket; print(socket.getprotobyname("ipv6-icmp"))')"
    check "python: socket.getprotobyname('no-such-protocol'): OSError" "OSError" \
        "$(NSSCONF=$tmp/nsswitch.proto inns "$PY" -c 'import socket
try: print(socket.getprotobyname("no-such-protocol"))
except OSError: print("OSError")')"
fi
# Perl's getprotobynumber: (name, aliases, number).
plp() { NSSCONF=$tmp/nsswitch.proto inns perl -e '
    my @p = $ARGV[0] eq "number" ? getprotobynumber($ARGV[1]) : getprotobyname($ARGV[1]);
    print @p ? "$p[0] $p[2]" . ($p[1] ne "" ? " $p[1]" : "") . "\n" : "NOTFOUND\n"' "$@"; }
check "perl: getprotobynumber(58)" "$(pbynumber 58)" "$(plp number 58)"
check "perl: getprotobynumber(132)" "$(pbynumber 132)" "$(plp number 132)"
check "perl: getprotobyname('tcp')" "$(pbyname tcp)" "$(plp name tcp)"
check "perl: getprotobynumber(255): not found" NOTFOUND "$(plp number 255)"
NSSCONF=$tmp/nsswitch.proto inns perl -e 'setprotoent(0);
    while (my @p = getprotoent()) { print "$p[0] $p[2]" . ($p[1] ne "" ? " $p[1]" : "") . "\n" }
    endprotoent()' > "$tmp/perl.proto"
check_files "perl: getprotoent loop == export --protocols" "$tmp/pexport" "$tmp/perl.proto"
NSSCONF=$tmp/nsswitch.proto inns getent protocols | squeeze > "$tmp/getent.proto"
check_files "getent protocols (no -s) == export --protocols" "$tmp/pexport" "$tmp/getent.proto"

# --- nothing leaked to the host ---------------------------------------------------------
check "host /etc/nsswitch.conf unchanged and not mounted over" "$host_before" \
    "$(sha256sum /etc/nsswitch.conf 2>&1) | $(findmnt -n /etc/nsswitch.conf 2>&1)"

summary clients

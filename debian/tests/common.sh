# Sourced by the DEP-8 tests in debian/tests: counts checks and says each.
set -u
failed=0
ok()  { echo "ok   $1"; }
bad() { echo "FAIL $1"; shift; [ $# -gt 0 ] && printf '     %s\n' "$@"; failed=$((failed + 1)); }
# check NAME EXPECTED ACTUAL
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "expected: $2" "actual:   $3"; fi; }
squeeze() { tr -s ' \t' ' ' | sed 's/^ //; s/ $//'; }
done_() { echo "$1: $failed failed"; [ "$failed" = 0 ]; }
NSS=/etc/nsswitch.conf
DB=/var/lib/nss_iana/services.db
ENTRY='iana [!UNAVAIL=return]'
# The first services entry of the database (its export) on protocol $1
# whose name is nowhere in /etc/services: only the registry can answer it.
registry_only_service() {
    iana-services export | awk -v p="$1" '
        FNR == NR { sub(/#.*/, ""); for (i = 1; i <= NF; i++) if (i != 2) seen[$i] = 1; next }
        /^#/ || NF < 2 { next }
        { split($2, pp, "/") }
        pp[2] == p && !($1 in seen) { print $1, pp[1]; exit }' /etc/services -
}

# Shared by the shell test scripts: sourced, not run.  Counts results and
# prints the closing "NAME: N passed, M failed" line CI reads.
passed=0 failed=0 skipped=0

ok()   { passed=$((passed + 1)); echo "ok   $1"; }
# bad NAME [DETAIL...]
bad()  { failed=$((failed + 1)); echo "FAIL $1"; shift; [ $# -gt 0 ] && printf '     %s\n' "$@"; return 0; }
skip() { skipped=$((skipped + 1)); echo "skip $1"; }
# check NAME EXPECTED ACTUAL
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "expected: $2" "actual:   $3"; fi; }
# Whitespace runs to one space, none at either end: getent pads columns.
squeeze() { tr -s ' \t' ' ' | sed 's/^ //; s/ $//'; }
# summary NAME: the closing line, and the exit status.
summary() {
    if [ "$skipped" -gt 0 ]; then echo "$1: $passed passed, $failed failed, $skipped skipped"
    else echo "$1: $passed passed, $failed failed"; fi
    [ "$failed" = 0 ]
}

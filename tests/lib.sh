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

# previous_release VERSION: the newest commit whose debian/changelog has
# another upstream version than VERSION, walking back from HEAD (the
# previous release, to upgrade from; 0.3.0 as a native version and 0.3.0-1
# are one release); none: status 1.
upstream_version() { local v=${1#*:}; echo "${v%-*}"; }
previous_release() {
    local rev=HEAD v
    while git rev-parse -q --verify "$rev^{commit}" >/dev/null 2>&1; do
        v=$(git show "$rev:debian/changelog" 2>/dev/null | dpkg-parsechangelog -l- -S Version 2>/dev/null)
        if [ -n "$v" ] && [ "$(upstream_version "$v")" != "$(upstream_version "$1")" ]; then
            git rev-parse "$rev"
            return 0
        fi
        rev=$rev^
    done
    return 1
}

# last_local_release: the last tree with `compile --local`, as 0.1.0 was
# released (the parent of the commit that took parser/local.c away); none:
# status 1.
last_local_release() {
    local gone
    gone=$(git log --diff-filter=D --format=%H -1 -- parser/local.c 2>/dev/null)
    [ -n "$gone" ] && git rev-parse -q --verify "$gone^{commit}^"
}

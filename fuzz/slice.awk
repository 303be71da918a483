# Prints a small valid slice of an IANA registry CSV: its header record, then
# `count` records starting at the first one that matches the ERE `from`.
# Records are whole CSV records (a quoted field may span lines: a record ends
# at a line end after an even number of '"'), bytes kept as they are (CRLF).
#   awk -v from='^http,80,tcp' -v count=10 -f fuzz/slice.awk FILE.csv
{
    rec = open ? rec "\n" $0 : $0
    line = $0
    quotes += gsub(/"/, "", line)
    open = quotes % 2
    if (open)
        next
    if (nrec++ == 0)
        printf "%s\n", rec
    else if (started || rec ~ from) {
        started = 1
        printf "%s\n", rec
        if (++taken >= count)
            exit
    }
    rec = ""
    quotes = 0
}

/* IANA's "Assigned Internet Protocol Numbers" registry
 * (protocol-numbers-1.csv) -> rows, and rows -> protocol entries, as
 * protocols(5) and getprotobyname/getprotobynumber know them.
 *
 * Reading.  protocols_read() reads the file as IANA publishes it, through
 * the same CSV reader as the services registry (table.h): UTF-8 with or
 * without BOM, CRLF or LF, quoted multi-line fields, columns found by
 * header name (Decimal and Keyword required; Protocol, IPv6 Extension
 * Header and Reference "" where the header lacks them; other columns
 * ignored).  A header column named twice, a record with more or fewer
 * fields than the header, a file that does not end where a record ends, a
 * CR outside quotes that is not half of a CRLF, a Decimal that is not a
 * number 0-255 or a range of two ("148-252", low first), an IPv6
 * Extension Header other than Y, N or empty (either case): the first of
 * these stops the reading with "FILE:LINE: what", an error return, and
 * nothing kept.  Every record is a row, in file order, whether served or
 * not.
 *
 * Serving.  protocol_entries() makes one entry of each row that has a
 * keyword and a single number; the others are counted, not errors:
 *   - a range ("148-252, Unassigned"): skipped_range;
 *   - no keyword ("61, any host internal protocol", 253 and 254 for
 *     experiments): skipped_unnamed;
 *   - the keyword "Reserved" or "Unassigned" (255): skipped_reserved; it
 *     says what the number's status is, not what a protocol is called,
 *     and getprotobyname("reserved") answering 255 would be a lie.
 * Names.  p_name is spelled as /etc/protocols spells names by convention
 * (netbase's "tcp 6 TCP"): the keyword in ASCII lower case, with the
 * keyword itself as the one alias when it differs ("TCP"), so both
 * spellings answer and getprotobynumber gives the conventional name.
 * The registry's awkward keywords:
 *   - "ARGUS (deprecated)": the suffix is the registry's remark on the
 *     assignment, not part of the name.  It is dropped, the entry is
 *     served as "argus" (alias "ARGUS") with `deprecated` set: the number
 *     is still that protocol's, and a packet of it is still named so.
 *   - "ISIS over IPv4", "Mobility Header": the words, joined by '-', in
 *     lower case: "isis-over-ipv4", "mobility-header".  One rule for all,
 *     netbase's own for 135; dropping such rows instead (as some generated
 *     files do) would leave two assigned protocols without a name.  The
 *     keyword is not an alias: a name with a space cannot be written in
 *     protocols(5), nor asked for with getent.  (`hyphenated` counts them.)
 *   - what is still not a name (a '#', non-ASCII, over 63 characters:
 *     table_name_problem) is skipped_bad_name, with a warning.
 * A name is one number's.  Two rows whose names are the same (they are
 * always lower case, so this is also "the same in any case") would make a
 * lookup by name depend on the order it searched: the first row keeps the
 * name, a later one is not served (skipped_duplicate) and a warning names
 * both lines.  So no name or alias of one entry is, in any case, a name or
 * alias of another, and "exact, then ASCII case-insensitive" finds the
 * same entry either way.  One number may have several entries (older
 * snapshots list TTP and IPTM at 84): all are kept in registry order, and a
 * lookup by number takes the first.
 *
 * Nothing here knows the database format; lookups are db/'s.  */
#ifndef NSS_IANA_PARSER_PROTOCOLS_H
#define NSS_IANA_PARSER_PROTOCOLS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "table.h"

enum protocol_column {
    PCOL_DECIMAL,
    PCOL_KEYWORD,
    PCOL_PROTOCOL,
    PCOL_IPV6_EXT,
    PCOL_REFERENCE,
    PCOL_N
};

struct protocol_row {
    unsigned line;            /* where the record starts, from 1 */
    char *col[PCOL_N];        /* never NULL; "" where absent */
    uint8_t lo, hi;           /* the number, or the range lo-hi */
    uint8_t ipv6_ext;         /* 1: "Y" */
};

struct protocol_registry {
    char *path;
    struct protocol_row *rows;  /* file order */
    size_t nrows;
    uint8_t sha256[32];         /* of the file's bytes: the snapshot's name */
    struct table_text *text;    /* where the rows' strings live */
};

/* IANA's file is 9 KiB: far past that it is not this registry.  */
#define PROTOCOLS_MAX_BYTES (1u << 20)

/* Returns 0, or -1 with "FILE:LINE: message" (or "FILE: message") in err
 * and `reg` left empty; protocols_free is safe after either.  */
int protocols_read(const char *path, struct protocol_registry *reg, char *err, size_t errlen);
/* The same for bytes in memory; `path` only names them in messages.  */
int protocols_parse(const char *path, const void *data, size_t len,
                    struct protocol_registry *reg, char *err, size_t errlen);
void protocols_free(struct protocol_registry *reg);

struct protocol_entry {
    const char *name;           /* p_name: "tcp" */
    const char **aliases;       /* p_aliases: the keyword, "TCP", when it differs */
    size_t nalias;
    uint8_t number;
    uint8_t ipv6_ext;           /* an IPv6 extension header */
    uint8_t deprecated;         /* the keyword said "(deprecated)" */
    const char *description;    /* the Protocol column, as written */
    const char *reference;
    const struct protocol_row *row;
};

struct protocol_summary {
    size_t rows;
    size_t entries;
    size_t deprecated;          /* entries from "KEYWORD (deprecated)" */
    size_t hyphenated;          /* entries named from a keyword of several words */
    size_t skipped_range;
    size_t skipped_unnamed;
    size_t skipped_reserved;
    size_t skipped_bad_name;
    size_t skipped_duplicate;   /* the name an earlier row's */
};

struct protocol_set {
    struct protocol_entry *entries;  /* registry order */
    size_t nentries;
    struct protocol_summary summary;
    struct table_text *text;         /* the names made here */
    const char **alias_store;
};

/* Warnings ("FILE:LINE: warning: ...") go to `warn` unless it is NULL.
 * Returns 0, or -1 when out of memory.  */
int protocol_entries(const struct protocol_registry *reg, struct protocol_set *set, FILE *warn);
void protocol_set_free(struct protocol_set *set);

#endif

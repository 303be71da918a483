/* Reading IANA's registry CSV into rows, and rows into service entries.
 *
 * registry_read() parses the file as IANA publishes it (UTF-8 with or
 * without BOM, CRLF or LF, quoted fields with newlines and doubled quotes:
 * table.h), finds the columns by their header names and checks every
 * field, so that the first malformed row stops it with "FILE:LINE: what is
 * wrong".
 * registry_entries() then applies the serving rules: which rows are served,
 * blank protocol = tcp and udp, alias and duplicate rows folded into their
 * target's entry.  Nothing here knows the database format.  */
#ifndef NSS_IANA_PARSER_REGISTRY_H
#define NSS_IANA_PARSER_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../vocab.h"
#include "table.h"

enum registry_column {
    COL_NAME,
    COL_PORT,
    COL_PROTO,
    COL_DESCRIPTION,
    COL_ASSIGNEE,
    COL_CONTACT,
    COL_REGISTERED,
    COL_MODIFIED,
    COL_REFERENCE,
    COL_NOTES,
    NCOLUMNS
};

#define PROTO_BLANK (-1) /* no protocol given: served as tcp and udp */

struct registry_row {
    unsigned line;            /* where the record starts, from 1 */
    char *col[NCOLUMNS];      /* never NULL; "" where absent */
    int has_port;
    uint16_t port_lo, port_hi;
    int proto;                /* enum iana_proto or PROTO_BLANK */
};

struct registry {
    char *path;
    struct registry_row *rows;
    size_t nrows;
    uint8_t sha256[32];       /* of the file's bytes */
    struct table_text *text;  /* where the rows' strings live */
};

/* IANA's file is about 1 MiB; anything this size is not a port registry,
 * and refusing it early bounds the compiler's memory.  */
#define REGISTRY_MAX_BYTES (64u << 20)

/* Returns 0, or -1 with "FILE:LINE: message" (or "FILE: message") in err.  */
int registry_read(const char *path, struct registry *reg, char *err, size_t errlen);
/* The same for bytes in memory; `path` only names them in messages.  */
int registry_parse(const char *path, const void *data, size_t len,
                   struct registry *reg, char *err, size_t errlen);
void registry_free(struct registry *reg);
/* The newest registration or modification date in it ("YYYY-MM-DD", which
 * sort as strings), or "": how new a snapshot is, as IANA's file has no
 * date of its own.  */
const char *registry_newest_date(const struct registry *reg);

/* One served (name, protocol, port range) with its folded aliases.  */
struct service_entry {
    const char *name;
    const char **aliases;
    size_t nalias;
    uint16_t port_lo, port_hi;
    uint8_t proto;
    const struct registry_row *row;
};

struct entry_summary {
    size_t rows;
    size_t entries;
    size_t per_proto[IANA_NPROTO];
    size_t aliases_folded;
    size_t aliases_unfolded;  /* alias rows served on their own: the target's names were full */
    size_t ranges;
    size_t portless;          /* named rows without a port (DNS-SD names) */
    size_t skipped_unnamed;   /* no service name: reserved or unassigned */
    size_t skipped_bad_name;  /* name not a single printable-ASCII token */
    size_t range_overlaps;    /* ranges that precede a single-port entry */
};

struct entry_set {
    struct service_entry *entries;   /* registry order */
    size_t nentries;
    const struct registry_row **portless;
    size_t nportless;
    struct entry_summary summary;
};

/* Warnings ("FILE:LINE: warning: ...") go to `warn` unless it is NULL.
 * Returns 0, or -1 when out of memory.  */
int registry_entries(const struct registry *reg, struct entry_set *set, FILE *warn);
void entry_set_free(struct entry_set *set);

/* A service name we can serve: table_name_problem's token of at most
 * REGISTRY_MAX_NAME characters (RFC 6335 allows 15).  */
#define REGISTRY_MAX_NAME TABLE_MAX_NAME
int registry_name_ok(const char *name);
/* The same as a reason for a warning, or NULL if the name is fine.  */
const char *registry_name_problem(const char *name);

#endif

/* The protocols side of the tool: `lookup --protocol`, `export
 * --protocols`, and compile's summary of what it merged.  Lookups go
 * through db/ as the module's do.  */
#ifndef NSS_IANA_CLI_PROTOCOLS_H
#define NSS_IANA_CLI_PROTOCOLS_H

#include <stdio.h>

#include "../db/reader.h"
#include "build.h"

/* QUERY a name (sctp, any case) or a number (132).  Prints the protocols(5)
 * line, and with `verbose` the description, the IPv6 extension header
 * flag and the reference, or the line of the protocols file.  1 found, 0
 * not (said on stderr).  */
int protocols_lookup(const struct iana_db *db, const char *query, int verbose);

/* The answers as protocols(5) text, in getprotoent's order, descriptions as
 * comments if COMMENTS.  0, or -1.  */
int protocols_export(FILE *out, const struct iana_db *db, int comments);

/* compile's lines about the protocols registry and file.  */
void protocols_summary(FILE *out, const struct build *b);

#endif

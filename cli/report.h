/* The change report of `update`: the entries added (+), removed (-) and
 * changed (~) between the database replaced and the new one, keyed by
 * (name, protocol, first port), a bounded number of lines of each.  */
#ifndef NSS_IANA_CLI_REPORT_H
#define NSS_IANA_CLI_REPORT_H

#include "../db/reader.h"

/* "updated DB from URL" and the changes on stdout; old is NULL when there
 * was no database to compare with.  */
void report(const char *db, const char *url, const struct iana_db *old,
            const struct iana_db *fresh);

#endif

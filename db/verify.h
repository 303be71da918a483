/* Full validation of a database, for `iana-services verify` and tests: the
 * checksum, then every entry, index slot and metadata reference.  Lookups
 * never need this (they check what they read); it answers "is this file
 * exactly what compile wrote".  */
#ifndef NSS_IANA_DB_VERIFY_H
#define NSS_IANA_DB_VERIFY_H

#include "reader.h"

/* SHA-256 of the file with the checksum field zeroed (db/format.h).  */
void iana_db_checksum(const uint8_t *data, size_t size, uint8_t out[32]);

/* Returns 0, or -1 with a static reason in *why.  */
int iana_db_verify(const struct iana_db *db, const char **why);

/* The protocols sections alone (iana_db_verify checks them too): for
 * callers that check many small files, the fuzzers.  */
int iana_db_verify_protocols(const struct iana_db *db, const char **why);

#endif

/* Helpers shared by the cmocka suites: temporary files and small
 * registries compiled through the real parser and writer.  */
#ifndef NSS_IANA_TESTUTIL_H
#define NSS_IANA_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "../db/reader.h"
#include "../parser/registry.h"

/* The header IANA's file has, for registries written inline in tests.  */
#define TU_HEADER                                                              \
    "Service Name,Port Number,Transport Protocol,Description,Assignee,Contact," \
    "Registration Date,Modification Date,Reference,Service Code,"               \
    "Unauthorized Use Reported,Assignment Notes\n"

/* A fresh directory for this process, removed at exit.  */
const char *tu_tmpdir(void);
/* Writes `len` bytes to tu_tmpdir()/name and returns the malloc'd path.  */
char *tu_write(const char *name, const void *data, size_t len);

/* CSV text -> database bytes (malloc'd) via registry_parse,
 * registry_entries and db_build; asserts each step succeeds.  */
uint8_t *tu_build(const char *csv, size_t *len);
/* The same with a services file's text merged before the registry (its
 * identity left as services_parse leaves it: size and hash only).  */
uint8_t *tu_build_merged(const char *csv, const char *services, size_t *len);
/* The same, written to tu_tmpdir()/name; returns the path.  */
char *tu_compile(const char *name, const char *csv);
/* Parses and checks the view; asserts it validates.  */
void tu_view(const uint8_t *bytes, size_t len, struct iana_db *db);

/* Entry's name and port/proto of a lookup result, or "-" for none.  */
const char *tu_describe(const struct iana_db *db, int64_t entry);

#endif

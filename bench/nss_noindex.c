/* The index taken out of libnss_iana.so.2, for `make bench` only.
 *
 * bench.mk builds nss_iana.c, unchanged, into libnss_noindex.so.2 with its
 * two lookups (iana_db_service_by_name, _by_port) renamed to the functions
 * below.  They do not look anything up: they return the entry the real
 * index gives for the query being asked, which the benchmark computed
 * beforehand with the reader and stores in bench_oracle_answer just before
 * every call, for every backend alike.  Everything else is the module's own
 * code: the mapping and its freshness check, the protocol, the checks of
 * the entry and the copy into the caller's buffer, the same answers and the
 * same hits and misses.  So iana.noindex against the floor is what the
 * module costs around any index, and iana against iana.noindex what the
 * index itself costs.  Never installed.  */
#include <stdint.h>

#include "db/reader.h"

/* In the bench executable, which exports it for this module.  */
extern int64_t bench_oracle_answer;

int64_t noindex_by_name(const struct iana_db *db, const char *name, const char *proto);
int64_t noindex_by_port(const struct iana_db *db, uint16_t port, bool wide, const char *proto);

int64_t noindex_by_name(const struct iana_db *db, const char *name, const char *proto)
{
    (void)db;
    (void)name;
    (void)proto;
    return bench_oracle_answer;
}

int64_t noindex_by_port(const struct iana_db *db, uint16_t port, bool wide, const char *proto)
{
    (void)db;
    (void)port;
    (void)wide;
    (void)proto;
    return bench_oracle_answer;
}

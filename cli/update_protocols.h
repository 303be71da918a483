/* update's second registry: IANA's protocol numbers, fetched with its own
 * conditional GET (validators in DB.protocols.http, as DB.http keeps the
 * services registry's), checked, kept beside the database as
 * DB.protocols.csv (which DB.sources then names), and compiled with the
 * services registry in the one swap update makes.  */
#ifndef NSS_IANA_CLI_UPDATE_PROTOCOLS_H
#define NSS_IANA_CLI_UPDATE_PROTOCOLS_H

#include <stddef.h>

#include "../db/reader.h"
#include "../parser/protocols.h"
#include "fetch.h"

#define DEFAULT_PROTOCOLS_URL \
    "https://www.iana.org/assignments/protocol-numbers/protocol-numbers-1.csv"

struct proto_update {
    const char *fetch_url;     /* as given */
    char *url;                 /* as shown and stored (url_shown) */
    char *state;               /* DB.protocols.http */
    char *kept;                /* DB.protocols.csv */
    struct download d;         /* status 200: d.data the registry; 304: none */
    struct protocol_registry reg; /* the download, parsed (proto_check) */
    int parsed;
};

/* Sets up p for `db` and URL (NULL: DEFAULT_PROTOCOLS_URL).  Returns 0, or
 * an exit status having said why.  */
int proto_update_init(struct proto_update *p, const char *db, const char *url);
/* The conditional GET, validators sent only while `cur` (NULL: none) holds
 * the registry they came with.  Returns -1 on a usable response (200 or
 * 304), else the exit status (UPDATE_DOWNLOAD), having said why.  */
int proto_fetch(struct proto_update *p, const struct iana_db *cur, size_t max_bytes,
                long low_speed_time);
/* Whether the download is a registry other than the one `cur` (NULL: none)
 * was compiled from: then the database is rebuilt with it.  Parses it on
 * the way (once).  Returns 1, 0, or an exit status (UPDATE_INVALID) when it
 * does not parse, having said why.  */
int proto_changed(struct proto_update *p, const struct iana_db *cur);
/* A changed registry serves at least `keep_percent` of the entries `cur`
 * has from its registry, unless `force` (then a warning).  1 or 0, said.  */
int proto_plausible(const struct proto_update *p, const struct iana_db *cur, unsigned keep_percent,
                    int force, const char *db);
/* Records the validators of the registry now compiled (`sha`).  */
void proto_state_save(const struct proto_update *p, const uint8_t sha[32]);
void proto_update_free(struct proto_update *p);

#endif

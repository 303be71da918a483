/* DB.http: the HTTP validators of the registry the database holds.
 *
 * They are kept beside the database with that registry's URL and SHA-256,
 * and sent only while the database still holds that registry from that
 * URL: after a `compile` of some other file the next update downloads the
 * whole registry instead of being told "not modified" about a file the
 * database no longer reflects.  */
#ifndef NSS_IANA_CLI_HTTPSTATE_H
#define NSS_IANA_CLI_HTTPSTATE_H

#include <stddef.h>
#include <stdint.h>

#define VALIDATOR_MAX 256  /* longer ETag / Last-Modified values are not kept */

struct validators {
    char etag[VALIDATOR_MAX];
    char last_modified[VALIDATOR_MAX];
};

/* Lower-case hex of a SHA-256.  */
void to_hex(const uint8_t sha[32], char out[65]);

/* dst gets s[0..n) if it is short enough and printable ASCII, else "".  */
void set_validator(char dst[VALIDATOR_MAX], const char *s, size_t n);

/* DB.http for `db`; malloc'd, NULL when out of memory.  */
char *state_path(const char *db);

/* Fills *v from `path` if it was written for this URL and for the registry
 * whose SHA-256 is sha_hex.  Returns 1 if there is a validator to send; a
 * missing, stale or damaged file just means a full download (0).  */
int state_load(const char *path, const char *url, const char *sha_hex, struct validators *v);

/* Records the validators of the registry just installed; warns (and does
 * not fail) when it cannot.  */
void state_save(const char *path, const char *url, const uint8_t sha[32],
                const struct validators *v);

#endif

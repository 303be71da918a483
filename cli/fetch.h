/* The download of `update`: one HTTP(S) GET into memory, bounded in size
 * and time, conditional when there are validators to send.  */
#ifndef NSS_IANA_CLI_FETCH_H
#define NSS_IANA_CLI_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "httpstate.h"

#define CONNECT_TIMEOUT_S 30L
#define TOTAL_TIMEOUT_S 300L
#define MAX_REDIRECTS 5L

struct download {
    uint8_t *data;
    size_t len, cap, max;
    int too_big;
    long status;
    struct validators got; /* of the last response, after any redirects */
};

struct fetch_options {
    const char *url;
    size_t max_bytes;
};

/* Fetches o->url into *d (zeroed by the caller; d->data is the caller's
 * to free), conditionally if `send` has a validator.  Returns -1 on a
 * usable response (d->status is 200 or 304), else the exit status
 * (UPDATE_DOWNLOAD), having said why.  */
int fetch(const struct fetch_options *o, const struct validators *send, struct download *d);

#endif

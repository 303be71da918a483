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
/* A transfer slower than LOW_SPEED_BYTES a second for the low-speed time
 * (default LOW_SPEED_TIME_S) is aborted: a server that drips or stalls
 * must not hold the update, and its lock-free window, for the full
 * TOTAL_TIMEOUT_S.  IANA's file is about 1 MiB.  */
#define LOW_SPEED_BYTES 1024L
#define LOW_SPEED_TIME_S 30L

struct download {
    uint8_t *data;
    size_t len, cap, max;
    int too_big;
    long status;
    int in_headers;        /* a status line seen, not yet the blank line after the headers */
    struct validators got; /* of the last response, after any redirects */
};

struct fetch_options {
    const char *url;      /* as given, with any user:password */
    const char *shown;    /* in messages: without them (url_shown) */
    size_t max_bytes;
    long low_speed_time;  /* seconds */
};

/* What may be printed and stored of `url`: the same URL without the
 * user, password and login options it may carry (DB.http is 0644, and
 * messages reach logs).  *shown is malloc'd.  Returns 0, or -1 when
 * libcurl cannot parse it (*shown NULL) or out of memory.  */
int url_shown(const char *url, char **shown);

/* Fetches o->url into *d (zeroed by the caller; d->data is the caller's
 * to free), conditionally if `send` has a validator.  Returns -1 on a
 * usable response (d->status is 200 or 304), else the exit status
 * (UPDATE_DOWNLOAD), having said why.  */
int fetch(const struct fetch_options *o, const struct validators *send, struct download *d);

#endif

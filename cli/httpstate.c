/* DB.http: the HTTP validators (ETag, Last-Modified) of the registry the
 * database beside it was compiled from, with that registry's URL and
 * SHA-256; see httpstate.h.  */
#define _GNU_SOURCE
#include "httpstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../db/writer.h"

#define STATE_MAX 4096     /* DB.http: a few short lines */

void to_hex(const uint8_t sha[32], char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", sha[i]);
}

/* Only printable ASCII is stored or sent back, so neither a hostile server
 * nor a hand-edited DB.http can smuggle a line break into a request.  */
static int printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return 0;
    return 1;
}

void set_validator(char dst[VALIDATOR_MAX], const char *s, size_t n)
{
    if (n > 0 && n < VALIDATOR_MAX && printable(s, n)) {
        memcpy(dst, s, n);
        dst[n] = '\0';
    } else {
        dst[0] = '\0';
    }
}

char *state_path(const char *db)
{
    char *p;
    return asprintf(&p, "%s.http", db) < 0 ? NULL : p;
}

/* Fills *v from `path` if it was written for this URL and for the registry
 * the database holds.  Returns 1 if there is a validator to send; a
 * missing, stale or damaged file just means a full download (0).  */
int state_load(const char *path, const char *url, const char *sha_hex,
                      struct validators *v)
{
    char buf[STATE_MAX + 1];
    FILE *f = fopen(path, "re");
    memset(v, 0, sizeof *v);
    if (!f)
        return 0;
    size_t n = fread(buf, 1, STATE_MAX, f);
    fclose(f);
    if (n == STATE_MAX)
        return 0; /* not ours: we never write that much */
    buf[n] = '\0';
    int url_ok = 0, sha_ok = 0;
    for (char *line = buf, *next; *line; line = next) {
        char *nl = strchr(line, '\n');
        next = nl ? nl + 1 : line + strlen(line);
        if (nl)
            *nl = '\0';
        char *val = strchr(line, ' ');
        if (line[0] == '#' || !val)
            continue;
        *val++ = '\0';
        if (strcmp(line, "url") == 0)
            url_ok = strcmp(val, url) == 0;
        else if (strcmp(line, "source-sha256") == 0)
            sha_ok = strcmp(val, sha_hex) == 0;
        else if (strcmp(line, "etag") == 0)
            set_validator(v->etag, val, strlen(val));
        else if (strcmp(line, "last-modified") == 0)
            set_validator(v->last_modified, val, strlen(val));
    }
    if (!url_ok || !sha_ok)
        memset(v, 0, sizeof *v);
    return v->etag[0] || v->last_modified[0];
}

/* Records the validators of the registry just installed.  Failing here
 * costs only a full download next time, so it warns and does not fail the
 * update; a stale DB.http names another registry's SHA-256 and is ignored.  */
void state_save(const char *path, const char *url, const uint8_t sha[32],
                       const struct validators *v)
{
    char buf[STATE_MAX], hex[65], err[512];
    to_hex(sha, hex);
    if ((!v->etag[0] && !v->last_modified[0]) || !printable(url, strlen(url))) {
        unlink(path); /* nothing to send next time */
        return;
    }
    int n = snprintf(buf, sizeof buf,
                     "# iana-services update: HTTP validators of the registry the database\n"
                     "# beside this file was compiled from; sent with the next request.\n"
                     "url %s\nsource-sha256 %s\n%s%s%s%s%s%s",
                     url, hex, v->etag[0] ? "etag " : "", v->etag, v->etag[0] ? "\n" : "",
                     v->last_modified[0] ? "last-modified " : "", v->last_modified,
                     v->last_modified[0] ? "\n" : "");
    if (n < 0 || (size_t)n >= sizeof buf - 1) {
        unlink(path); /* URL too long to record: state_load would reject it anyway */
        return;
    }
    if (db_write_file(path, (const uint8_t *)buf, (size_t)n, err, sizeof err) < 0)
        fprintf(stderr, "iana-services: update: warning: %s (the next update downloads the "
                        "whole registry)\n", err);
}

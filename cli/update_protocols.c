/* update's protocol numbers registry: see update_protocols.h.  */
#define _GNU_SOURCE
#include "update_protocols.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db/writer.h"
#include "httpstate.h"
#include "update.h"

int proto_update_init(struct proto_update *p, const char *db, const char *url)
{
    memset(p, 0, sizeof *p);
    p->fetch_url = url ? url : DEFAULT_PROTOCOLS_URL;
    if (url_shown(p->fetch_url, &p->url) < 0) {
        /* Not echoed: it may hold a password.  */
        fail("--protocols-url", "%s", p->url ? strerror(ENOMEM) : "not a URL libcurl can parse");
        return p->url ? UPDATE_DOWNLOAD : UPDATE_USAGE;
    }
    if (asprintf(&p->state, "%s.protocols.http", db) < 0 ||
        asprintf(&p->kept, "%s.protocols.csv", db) < 0) {
        p->state = p->kept = NULL;
        fail(db, "%s", strerror(ENOMEM));
        return UPDATE_DOWNLOAD;
    }
    return 0;
}

/* The SHA-256 of the protocol numbers registry `cur` was compiled from,
 * as hex; "" if it has none (a database compiled without one).  */
static void cur_sha(const struct iana_db *cur, char hex[65])
{
    static const uint8_t zero[32];
    hex[0] = '\0';
    if (cur && cur->proto_count > cur->proto_file_count &&
        memcmp(cur->hdr->proto_source_sha256, zero, 32) != 0)
        to_hex(cur->hdr->proto_source_sha256, hex);
}

int proto_fetch(struct proto_update *p, const struct iana_db *cur, size_t max_bytes,
                long low_speed_time)
{
    struct validators send;
    char hex[65];
    cur_sha(cur, hex);
    if (!*hex || !state_load(p->state, p->url, hex, &send))
        memset(&send, 0, sizeof send);
    return fetch(&(struct fetch_options){p->fetch_url, p->url, max_bytes, low_speed_time}, &send,
                 &p->d);
}

int proto_changed(struct proto_update *p, const struct iana_db *cur)
{
    if (p->d.status != 200)
        return 0; /* 304: the registry the validators came with */
    if (!p->parsed) {
        char err[512];
        if (protocols_parse(p->url, p->d.data ? (const void *)p->d.data : "", p->d.len, &p->reg,
                            err, sizeof err) < 0) {
            fprintf(stderr, "iana-services: update: %s\n", err);
            return UPDATE_INVALID;
        }
        p->parsed = 1;
    }
    char hex[65], got[65];
    cur_sha(cur, hex);
    to_hex(p->reg.sha256, got);
    return strcmp(hex, got) != 0;
}

int proto_plausible(const struct proto_update *p, const struct iana_db *cur, unsigned keep_percent,
                    int force, const char *db)
{
    struct protocol_set set;
    if (protocol_entries(&p->reg, &set, NULL) < 0) {
        fail(p->url, "%s", strerror(ENOMEM));
        return 0;
    }
    uint64_t has = set.nentries, had = cur ? cur->proto_count - cur->proto_file_count : 0;
    protocol_set_free(&set);
    if (has > 0 && has * 100 >= had * keep_percent)
        return 1;
    if (force && has > 0) {
        fprintf(stderr, "iana-services: update: %s: warning: %llu protocols where %s has %llu; "
                        "replacing them anyway (--force)\n", p->url, (unsigned long long)has, db,
                (unsigned long long)had);
        return 1;
    }
    fail(p->url, "only %llu protocols where %s has %llu (less than %u%%): not replacing them "
                 "without --force", (unsigned long long)has, db, (unsigned long long)had,
         keep_percent);
    return 0;
}

void proto_state_save(const struct proto_update *p, const uint8_t sha[32])
{
    state_save(p->state, p->url, sha, &p->d.got);
}

void proto_update_free(struct proto_update *p)
{
    free(p->url);
    free(p->state);
    free(p->kept);
    free(p->d.data);
    if (p->parsed)
        protocols_free(&p->reg);
    memset(p, 0, sizeof *p);
}

/* iana-services update: download IANA's registry when it has changed,
 * check it, compile it and swap it in.
 *
 * Nothing touches DB until the download is complete, parses, is plausible,
 * compiles and verifies; the swap itself is db_write_file's rename.  So
 * every failure leaves DB byte for byte as it was, and the exit status says
 * which step failed.
 *
 * The pieces: fetch.c downloads, httpstate.c keeps the validators in
 * DB.http, report.c lists what changed; this file holds the options and
 * the checks before the swap.  */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "update.h"
#include "../db/reader.h"
#include "../db/verify.h"
#include "../db/writer.h"
#include "../parser/registry.h"
#include "build.h"
#include "fetch.h"
#include "httpstate.h"
#include "lock.h"
#include "report.h"
#include "sources.h"
#include "update_protocols.h"

#ifndef NSS_IANA_DEFAULT_DB
#define NSS_IANA_DEFAULT_DB "/var/lib/nss_iana/services.db"
#endif
#define DEFAULT_URL \
    "https://www.iana.org/assignments/service-names-port-numbers/service-names-port-numbers.csv"
#define DEFAULT_MAX_BYTES (16u << 20) /* IANA's file is about 1 MiB */
#define KEEP_PERCENT 90u   /* a registry with fewer entries than this share of the current is refused */
#define MAX_FETCHES 3      /* a 304 about a database another writer replaced meanwhile: ask again */

struct options {
    const char *url;        /* as shown and stored: no user or password */
    const char *fetch_url;  /* as given */
    long low_speed_time;
    const char *db;
    const char *save_csv;
    const char *protocols_url; /* NULL: DEFAULT_PROTOCOLS_URL */
    size_t max_bytes;
    int force;
};

/* The database being replaced, if there is a readable one.  */
struct current {
    struct iana_db db;
    int open;
    char sha_hex[65]; /* of the registry it was compiled from */
};

void fail(const char *what, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "iana-services: update: %s: ", what);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* --- options -------------------------------------------------------------- */

static const char usage_line[] =
    "[--url URL] [--protocols-url URL] [--db DB] [--max-bytes N] [--low-speed-time S]\n"
    "       [--force] [--save-csv FILE]";

static int usage_error(void)
{
    fprintf(stderr, "usage: iana-services update %s\nTry 'iana-services update --help'.\n",
            usage_line);
    return UPDATE_USAGE;
}

static void print_help(void)
{
    printf("usage: iana-services update %s\n\n"
           "Download IANA's Service Name and Transport Protocol Port Number Registry\n"
           "and, if it has changed, compile it into DB, replacing DB atomically, and\n"
           "list the entries added (+), removed (-) and changed (~).  The ETag and\n"
           "Last-Modified of the download are kept in DB.http and sent with the next\n"
           "request, so an unchanged registry is not downloaded again.  The download\n"
           "must parse, and must have at least %u%% of DB's entries.\n\n"
           "IANA's Assigned Internet Protocol Numbers registry is fetched the same\n"
           "way (its validators in DB.protocols.http, the download kept as\n"
           "DB.protocols.csv), and the two are compiled into DB in one swap: DB is\n"
           "replaced if either has changed, or the services or protocols file it\n"
           "merged has.\n\n"
           "  --url URL        default:\n"
           "                   " DEFAULT_URL "\n"
           "                   http or https; up to %ld redirects are followed, never\n"
           "                   from https to http; a user:password in it is used, and\n"
           "                   left out of DB.http and of every message\n"
           "  --protocols-url URL\n"
           "                   the protocol numbers registry; default:\n"
           "                   " DEFAULT_PROTOCOLS_URL "\n"
           "  --db DB          default: $NSS_IANA_DB, else " NSS_IANA_DEFAULT_DB "\n"
           "  --max-bytes N    abort a download larger than N bytes (default %u,\n"
           "                   at most %u)\n"
           "  --low-speed-time S\n"
           "                   abort a transfer slower than %ld bytes/s for S seconds\n"
           "                   (default %ld, at most %ld)\n"
           "  --force          accept a registry with fewer entries than that\n"
           "  --save-csv FILE  also keep the downloaded CSV as FILE (atomically)\n\n"
           "Timeouts: %ld s to connect, %ld s for the whole transfer.\n\n"
           "One writer at a time: update takes the lock DB.lock (as compile does)\n"
           "once the download is complete, reads DB again, and holds the lock until\n"
           "DB is replaced; if another writer holds it, update waits, saying for\n"
           "whom.\n\n"
           "Exit status:\n"
           "  0  DB updated, or already up to date\n"
           "  1  the download failed: network, TLS, timeout, too slow, HTTP status\n"
           "     >= 400, larger than --max-bytes, or cut short\n"
           "  2  usage error\n"
           "  3  the download is not a valid registry, or has too few entries\n"
           "  4  DB (or the --save-csv FILE) could not be written\n"
           "On any failure DB is left exactly as it was.\n",
           usage_line, KEEP_PERCENT, MAX_REDIRECTS, DEFAULT_MAX_BYTES, REGISTRY_MAX_BYTES,
           LOW_SPEED_BYTES, LOW_SPEED_TIME_S, TOTAL_TIMEOUT_S, CONNECT_TIMEOUT_S, TOTAL_TIMEOUT_S);
}

/* Digits only: "16M" or "-1" silently meaning something else would be
 * worse than an error.  The parser's own bound is the ceiling.  */
static int parse_size(const char *s, size_t *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v == 0 || v > REGISTRY_MAX_BYTES)
        return -1;
    *out = (size_t)v;
    return 0;
}

/* Returns -1 to go on, else the exit status.  */
static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option opts[] = {
        {"url", required_argument, NULL, 'u'},
        {"db", required_argument, NULL, 'd'},
        {"max-bytes", required_argument, NULL, 'm'},
        {"low-speed-time", required_argument, NULL, 'l'},
        {"force", no_argument, NULL, 'f'},
        {"save-csv", required_argument, NULL, 's'},
        {"protocols-url", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *env = secure_getenv("NSS_IANA_DB");
    *o = (struct options){
        .url = DEFAULT_URL,
        .db = env && *env ? env : NSS_IANA_DEFAULT_DB,
        .max_bytes = DEFAULT_MAX_BYTES,
        .low_speed_time = LOW_SPEED_TIME_S,
    };
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'u':
            o->url = optarg;
            break;
        case 'd':
            o->db = optarg;
            break;
        case 'm':
            if (parse_size(optarg, &o->max_bytes) < 0) {
                fail("--max-bytes", "'%s' is not a byte count from 1 to %u", optarg,
                     REGISTRY_MAX_BYTES);
                return UPDATE_USAGE;
            }
            break;
        case 'l': {
            size_t t;
            if (parse_size(optarg, &t) < 0 || t > (size_t)TOTAL_TIMEOUT_S) {
                fail("--low-speed-time", "'%s' is not a number of seconds from 1 to %ld",
                     optarg, TOTAL_TIMEOUT_S);
                return UPDATE_USAGE;
            }
            o->low_speed_time = (long)t;
            break;
        }
        case 'f':
            o->force = 1;
            break;
        case 's':
            o->save_csv = optarg;
            break;
        case 'p':
            if (!*optarg)
                return usage_error();
            o->protocols_url = optarg;
            break;
        case 'h':
            print_help();
            return UPDATE_OK;
        default:
            return usage_error();
        }
    }
    if (optind != argc || !*o->url || !*o->db || (o->save_csv && !*o->save_csv))
        return usage_error();
    o->fetch_url = o->url;
    return -1;
}

/* --- checking and installing ------------------------------------------------- */

/* A missing database is a first install.  One that cannot be read is
 * replaced without the comparison: it is not serving anyone as it is.  */
static void open_current(const char *path, struct current *cur, int quiet)
{
    const char *why = NULL;
    memset(cur, 0, sizeof *cur);
    if (iana_db_open(path, &cur->db, &why) == 0) {
        cur->open = 1;
        to_hex(cur->db.hdr->source_sha256, cur->sha_hex);
    } else if (errno != ENOENT && !quiet) {
        fail(path, "%s; it will be replaced without comparing entry counts",
             why ? why : strerror(errno));
    }
}

/* A registry that lost a tenth of its entries is far more likely a broken
 * or truncated publication than IANA's real churn, a few dozen a month.  */
static int plausible(const struct options *o, const struct current *cur, const struct entry_set *set)
{
    if (!cur->open)
        return 1;
    uint64_t had = cur->db.entry_count, has = set->nentries;
    if (has * 100 >= had * KEEP_PERCENT)
        return 1;
    if (o->force) {
        fprintf(stderr, "iana-services: update: %s: warning: %zu entries where %s has %u; "
                        "replacing it anyway (--force)\n", o->url, set->nentries, o->db,
                cur->db.entry_count);
        return 1;
    }
    fail(o->url, "only %zu entries where %s has %u (less than %u%%): not replacing it "
                 "without --force", set->nentries, o->db, cur->db.entry_count, KEEP_PERCENT);
    return 0;
}

/* Returns 0, or UPDATE_WRITE having said why.  */
static int save_csv(const struct options *o, const struct download *d)
{
    char err[512];
    if (!o->save_csv || db_write_file(o->save_csv, d->data, d->len, err, sizeof err) == 0)
        return 0;
    fprintf(stderr, "iana-services: update: %s\n", err);
    return UPDATE_WRITE;
}

/* The same bytes as the registry the database was compiled from, and the
 * services file it merged unchanged: nothing to rebuild.  */
static int up_to_date(const struct options *o, const struct current *cur,
                      const struct download *d, const struct registry *reg, const char *state)
{
    int rc = save_csv(o, d);
    if (rc)
        return rc;
    state_save(state, o->url, reg->sha256, &d->got);
    printf("%s is up to date: %s is the registry it was compiled from (SHA-256 %s)\n",
           o->db, o->url, cur->sha_hex);
    return UPDATE_OK;
}

/* Where the download is kept, so that a rebuild (`compile` with no CSV, as
 * the services file's path unit runs it) compiles this registry again and
 * not the older snapshot the package shipped: DB.csv.  */
static char *kept_csv_path(const char *db)
{
    char *p;
    return asprintf(&p, "%s.csv", db) < 0 ? NULL : p;
}

/* The registry a rebuild compiles when the services registry was not
 * modified: the one the database was compiled from.  */
static const char *recorded_registry(const struct current *cur, const struct sources *src)
{
    if (src->registry)
        return src->registry;
    const char *p = cur->open ? iana_db_source_path(&cur->db) : "";
    return *p ? p : NULL;
}

/* d: the services registry downloaded (in b->reg), or NULL when it was
 * not modified; p: the protocol numbers registry, changed when
 * `proto_new`.  Every check first, then the downloads kept, then the
 * database that names them.  */
static int compile_and_swap(const struct options *o, const struct current *cur,
                            const struct download *d, struct build *b, const char *state,
                            struct proto_update *p, int proto_new)
{
    char err[512] = "", *kept = kept_csv_path(o->db);
    int rc = UPDATE_INVALID;
    struct sources src = {0};
    if (!kept) {
        fail(o->db, "%s", strerror(ENOMEM));
        goto out;
    }
    if (d && registry_entries(&b->reg, &b->set, stderr) < 0) {
        fail(o->url, "%s", strerror(ENOMEM));
        goto out;
    }
    if ((d && !plausible(o, cur, &b->set)) ||
        (proto_new && !proto_plausible(p, cur->open ? &cur->db : NULL, KEEP_PERCENT, o->force,
                                       o->db)))
        goto out;
    /* The downloads are kept (DB.csv, DB.protocols.csv, --save-csv) in the
     * swap that installs the database naming them (build_write): a failure
     * anywhere leaves the database and every file beside it as they were.  */
    struct db_side_file keep[3];
    size_t nkeep = 0;
    if (d) {
        keep[nkeep++] = (struct db_side_file){kept, d->data, d->len};
        if (o->save_csv)
            keep[nkeep++] = (struct db_side_file){o->save_csv, d->data, d->len};
    }
    if (proto_new)
        keep[nkeep++] = (struct db_side_file){p->kept, p->d.data, p->d.len};
    /* The services file (and site file) and the protocols file merged as
     * the current database merged them, by DB.sources (sources.h).  */
    if (sources_load(o->db, cur->open ? &cur->db : NULL, &src, "update") < 0) {
        fail(o->db, "%s", strerror(ENOMEM));
        goto out;
    }
    const char *csv = kept;
    if (d && !(b->source_path = build_absolute(kept))) {
        fail(o->db, "%s", strerror(ENOMEM));
        goto out;
    }
    /* The protocol numbers download, read from memory: DB.protocols.csv
     * gets it only with the database.  */
    if (proto_new) {
        if (protocols_parse(p->url, p->d.data ? (const void *)p->d.data : "", p->d.len,
                            &b->preg, err, sizeof err) < 0) {
            fprintf(stderr, "iana-services: update: %s\n", err);
            goto out;
        }
        b->preg_given = 1;
        if (!(b->proto_source_path = build_absolute(p->kept))) {
            fail(o->db, "%s", strerror(ENOMEM));
            goto out;
        }
    }
    if (!d) {
        csv = recorded_registry(cur, &src);
        if (!csv || registry_read(csv, &b->reg, err, sizeof err) < 0) {
            fail(o->db, "%s", csv ? err : "no record of the registry it was compiled from");
            rc = UPDATE_INVALID;
            goto out;
        }
    }
    int built = build_protocols(b, proto_new ? p->kept : build_protocols_csv_of(&src),
                                build_protocols_file_of(&src), "update");
    if (built == 0)
        built = build_database(b, csv, src.services_known ? src.services : IANA_SERVICES_FILE,
                               src.site, "update");
    if (built < 0)
        goto out;
    rc = UPDATE_WRITE;
    if (build_write(b, o->db, keep, nkeep, "update") < 0)
        goto out;
    build_warn_unseen(b, o->db, "update");
    struct iana_db fresh;
    const char *why;
    if (iana_db_view(b->bytes, b->len, &fresh, &why) == 0)
        report(o->db, d ? o->url : csv, cur->open ? &cur->db : NULL, &fresh);
    if (proto_new)
        printf("protocols: %zu entries from %s (%zu before)\n", b->pset.nentries, p->url,
               cur->open ? (size_t)(cur->db.proto_count - cur->db.proto_file_count) : (size_t)0);
    if (d)
        state_save(state, o->url, b->reg.sha256, &d->got);
    if (p->d.status == 200)
        proto_state_save(p, b->preg.sha256);
    rc = UPDATE_OK;
out:
    sources_free(&src);
    free(kept);
    return rc;
}

/* The services file the database merged (whichever: `compile --services`
 * may have named another) is as it was then, or it merged none.  */
static bool merged_file_unchanged(const struct iana_db *db)
{
    const char *path = build_services_of(db), *ppath = build_protocols_of(db);
    return (!path || iana_db_services_state(db, path, NULL) == IANA_SERVICES_CURRENT) &&
           (!ppath || !db->proto_count ||
            iana_db_protocols_state(db, ppath, NULL) == IANA_SERVICES_CURRENT);
}

/* d: the services registry's download, or NULL when it was not modified
 * (HTTP 304) and the database still holds the registry asked about.  */
static int install(const struct options *o, const struct current *cur, const struct download *d,
                   const char *state, struct proto_update *p)
{
    struct build b = {0};
    char err[512];
    int rc;
    int proto_new = proto_changed(p, cur->open ? &cur->db : NULL);
    /* A database changed since it was written (a byte flipped in place: it
     * takes chattr -i as root, and the module checks bounds, not the
     * checksum) is compiled again even when no registry changed, so that
     * the weekly timer repairs it.  */
    const char *why = NULL;
    bool damaged = cur->open && iana_db_verify(&cur->db, &why) < 0;
    if (damaged)
        printf("%s fails verification (%s): compiling it again\n", o->db, why);
    /* The URL names the bytes in the parser's "FILE:LINE: ..." messages.  */
    if (proto_new == UPDATE_INVALID) {
        rc = UPDATE_INVALID;
    } else if (d && registry_parse(o->url, d->data ? (const void *)d->data : "", d->len, &b.reg,
                                   err, sizeof err) < 0) {
        fprintf(stderr, "iana-services: update: %s\n", err);
        rc = UPDATE_INVALID;
    } else if (cur->open && !damaged && !proto_new && merged_file_unchanged(&cur->db) &&
               (!d || memcmp(b.reg.sha256, cur->db.hdr->source_sha256, 32) == 0)) {
        if (p->d.status == 200) /* the same bytes: their validators for next time */
            proto_state_save(p, cur->db.hdr->proto_source_sha256);
        if (d)
            rc = up_to_date(o, cur, d, &b.reg, state);
        else {
            printf("%s is up to date: %s not modified since the last update (HTTP 304)\n",
                   o->db, o->url);
            rc = UPDATE_OK;
        }
    } else {
        rc = compile_and_swap(o, cur, d, &b, state, p, proto_new);
    }
    build_free(&b);
    return rc;
}

int update_main(int argc, char **argv)
{
    struct options o;
    int rc = parse_options(argc, argv, &o);
    if (rc >= 0)
        return rc;
    char *state = state_path(o.db);
    if (!state) {
        fail(o.db, "%s", strerror(ENOMEM));
        return UPDATE_DOWNLOAD;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fail("libcurl", "cannot initialise");
        free(state);
        return UPDATE_DOWNLOAD;
    }
    char *shown;
    if (url_shown(o.fetch_url, &shown) < 0) {
        /* Not echoed: it may hold a password.  */
        fail("--url", "%s", shown ? strerror(ENOMEM) : "not a URL libcurl can parse");
        curl_global_cleanup();
        free(state);
        return shown ? UPDATE_DOWNLOAD : UPDATE_USAGE;
    }
    o.url = shown;
    struct proto_update p;
    if ((rc = proto_update_init(&p, o.db, o.protocols_url)) != 0) {
        proto_update_free(&p);
        curl_global_cleanup();
        free(shown);
        free(state);
        return rc;
    }
    struct current cur;
    struct validators send;
    struct download d = {0};
    int lock = -1;
    /* The download takes no lock, as it may take minutes: the database is
     * read here only for the validators to send, and again under the lock
     * for everything that decides what to write.  */
    open_current(o.db, &cur, 1);
    /* The protocol numbers registry first, once: a failure leaves DB as it
     * was before anything else is fetched.  */
    rc = proto_fetch(&p, cur.open ? &cur.db : NULL, o.max_bytes, o.low_speed_time);
    for (int tries = 1; rc < 0; tries++) {
        char asked_for[65] = "";
        if (cur.open)
            memcpy(asked_for, cur.sha_hex, sizeof asked_for);
        if (!cur.open || !state_load(state, o.url, cur.sha_hex, &send))
            memset(&send, 0, sizeof send);
        rc = fetch(&(struct fetch_options){o.fetch_url, o.url, o.max_bytes, o.low_speed_time},
                   &send, &d);
        if (rc >= 0)
            break;
        if ((lock = db_lock(o.db, "update")) < 0) {
            rc = UPDATE_WRITE;
            break;
        }
        if (cur.open)
            iana_db_close(&cur.db);
        open_current(o.db, &cur, 0);
        if (d.status != 304) {
            rc = install(&o, &cur, &d, state, &p);
            break;
        }
        /* "Not modified" speaks of the registry the validators came with:
         * still the database's only if no other writer replaced it.  */
        if (cur.open && strcmp(cur.sha_hex, asked_for) == 0) {
            rc = install(&o, &cur, NULL, state, &p);
            break;
        }
        db_unlock(lock);
        lock = -1;
        free(d.data);
        d = (struct download){0};
        if (tries == MAX_FETCHES) {
            fail(o.db, "replaced by another writer during each of %d downloads; giving up",
                 MAX_FETCHES);
            rc = UPDATE_DOWNLOAD;
            break;
        }
    }
    db_unlock(lock);
    free(d.data);
    proto_update_free(&p);
    if (cur.open)
        iana_db_close(&cur.db);
    curl_global_cleanup();
    free(shown);
    free(state);
    return rc;
}

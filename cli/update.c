/* iana-services update: download IANA's registry when it has changed,
 * check it, compile it and swap it in.
 *
 * Nothing touches DB until the download is complete, parses, is plausible,
 * compiles and verifies; the swap itself is db_write_file's rename.  So
 * every failure leaves DB byte for byte as it was, and the exit status says
 * which step failed.
 *
 * The HTTP validators (ETag, Last-Modified) of the registry the database
 * was compiled from are kept beside it, in DB.http, with that registry's
 * URL and SHA-256.  They are sent only while the database still holds that
 * registry from that URL: after a `compile` of some other file the next
 * update downloads the whole registry instead of being told "not
 * modified" about a file the database no longer reflects.  */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "update.h"
#include "../db/reader.h"
#include "../db/verify.h"
#include "../db/writer.h"
#include "../parser/registry.h"
#include "build.h"

#ifndef NSS_IANA_DEFAULT_DB
#define NSS_IANA_DEFAULT_DB "/var/lib/nss_iana/services.db"
#endif
#define DEFAULT_URL \
    "https://www.iana.org/assignments/service-names-port-numbers/service-names-port-numbers.csv"
#define DEFAULT_MAX_BYTES (16u << 20) /* IANA's file is about 1 MiB */
#define CONNECT_TIMEOUT_S 30L
#define TOTAL_TIMEOUT_S 300L
#define MAX_REDIRECTS 5L
#define KEEP_PERCENT 90u   /* a registry with fewer entries than this share of the current is refused */
#define REPORT_LIMIT 20u   /* lines listed per kind of change */
#define VALIDATOR_MAX 256  /* longer ETag / Last-Modified values are not kept */
#define STATE_MAX 4096     /* DB.http: a few short lines */

enum {
    UPDATE_OK = 0,
    UPDATE_DOWNLOAD = 1,
    UPDATE_USAGE = 2,
    UPDATE_INVALID = 3,
    UPDATE_WRITE = 4,
};

struct options {
    const char *url;
    const char *db;
    const char *save_csv;
    size_t max_bytes;
    int force;
};

struct validators {
    char etag[VALIDATOR_MAX];
    char last_modified[VALIDATOR_MAX];
};

struct download {
    uint8_t *data;
    size_t len, cap, max;
    int too_big;
    long status;
    struct validators got; /* of the last response, after any redirects */
};

/* The database being replaced, if there is a readable one.  */
struct current {
    struct iana_db db;
    int open;
    char sha_hex[65]; /* of the registry it was compiled from */
};

static void fail(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(const char *what, const char *fmt, ...)
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
    "[--url URL] [--db DB] [--max-bytes N] [--force] [--save-csv FILE]";

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
           "  --url URL        default:\n"
           "                   " DEFAULT_URL "\n"
           "                   http or https; up to %ld redirects are followed, never\n"
           "                   from https to http\n"
           "  --db DB          default: $NSS_IANA_DB, else " NSS_IANA_DEFAULT_DB "\n"
           "  --max-bytes N    abort a download larger than N bytes (default %u,\n"
           "                   at most %u)\n"
           "  --force          accept a registry with fewer entries than that\n"
           "  --save-csv FILE  also keep the downloaded CSV as FILE (atomically)\n\n"
           "Timeouts: %ld s to connect, %ld s for the whole transfer.\n\n"
           "Exit status:\n"
           "  0  DB updated, or already up to date\n"
           "  1  the download failed: network, TLS, timeout, HTTP status >= 400,\n"
           "     larger than --max-bytes, or cut short\n"
           "  2  usage error\n"
           "  3  the download is not a valid registry, or has too few entries\n"
           "  4  DB (or the --save-csv FILE) could not be written\n"
           "On any failure DB is left exactly as it was.\n",
           usage_line, KEEP_PERCENT, MAX_REDIRECTS, DEFAULT_MAX_BYTES, REGISTRY_MAX_BYTES,
           CONNECT_TIMEOUT_S, TOTAL_TIMEOUT_S);
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
        {"force", no_argument, NULL, 'f'},
        {"save-csv", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *env = secure_getenv("NSS_IANA_DB");
    *o = (struct options){
        .url = DEFAULT_URL,
        .db = env && *env ? env : NSS_IANA_DEFAULT_DB,
        .max_bytes = DEFAULT_MAX_BYTES,
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
        case 'f':
            o->force = 1;
            break;
        case 's':
            o->save_csv = optarg;
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
    return -1;
}

/* --- DB.http: the validators of the registry the database holds ------------- */

static void to_hex(const uint8_t sha[32], char out[65])
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

static void set_validator(char dst[VALIDATOR_MAX], const char *s, size_t n)
{
    if (n > 0 && n < VALIDATOR_MAX && printable(s, n)) {
        memcpy(dst, s, n);
        dst[n] = '\0';
    } else {
        dst[0] = '\0';
    }
}

static char *state_path(const char *db)
{
    char *p;
    return asprintf(&p, "%s.http", db) < 0 ? NULL : p;
}

/* Fills *v from `path` if it was written for this URL and for the registry
 * the database holds.  Returns 1 if there is a validator to send; a
 * missing, stale or damaged file just means a full download (0).  */
static int state_load(const char *path, const char *url, const char *sha_hex,
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
static void state_save(const char *path, const char *url, const uint8_t sha[32],
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

/* --- the download ------------------------------------------------------------ */

/* Keeps the body in memory, refusing to grow past max: whatever the server
 * announces (or does not, with chunked encoding or compression), the
 * transfer stops at the cap.  Returning less than offered aborts it.  */
static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct download *d = arg;
    size_t bytes = size * n; /* size is always 1 for body data */
    if (bytes > d->max - d->len) {
        d->too_big = 1;
        return 0;
    }
    if (d->len + bytes > d->cap) {
        size_t want = d->cap ? d->cap * 2 : 256 * 1024;
        if (want < d->len + bytes)
            want = d->len + bytes;
        if (want > d->max)
            want = d->max;
        uint8_t *bigger = realloc(d->data, want);
        if (!bigger)
            return 0;
        d->data = bigger;
        d->cap = want;
    }
    memcpy(d->data + d->len, p, bytes);
    d->len += bytes;
    return bytes;
}

/* "Name: value\r\n" into dst if the name matches, case-insensitively.  */
static void header_value(const char *p, size_t len, const char *name, char dst[VALIDATOR_MAX])
{
    size_t nl = strlen(name);
    if (len <= nl || p[nl] != ':' || strncasecmp(p, name, nl) != 0)
        return;
    const char *v = p + nl + 1, *end = p + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    set_validator(dst, v, (size_t)(end - v));
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct download *d = arg;
    size_t len = size * n;
    /* Every response (a redirect, a 100 Continue) starts with a status
     * line: only the final response's validators describe the body.  */
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        memset(&d->got, 0, sizeof d->got);
        return len;
    }
    header_value(p, len, "ETag", d->got.etag);
    header_value(p, len, "Last-Modified", d->got.last_modified);
    return len;
}

/* If-None-Match and If-Modified-Since, with the values exactly as the
 * server sent them (RFC 9110 asks for that, rather than a reformatted
 * date).  Returns -1 when out of memory.  */
static int conditional_headers(const struct validators *v, struct curl_slist **list)
{
    static const char *const names[] = {"If-None-Match", "If-Modified-Since"};
    const char *values[] = {v->etag, v->last_modified};
    char line[VALIDATOR_MAX + 32];
    for (int i = 0; i < 2; i++) {
        if (!values[i][0])
            continue;
        snprintf(line, sizeof line, "%s: %s", names[i], values[i]);
        struct curl_slist *grown = curl_slist_append(*list, line);
        if (!grown)
            return -1;
        *list = grown;
    }
    return 0;
}

static CURLcode configure(CURL *c, const struct options *o, struct download *d,
                          struct curl_slist *headers, char *errbuf)
{
    /* An https registry must not be redirected to plain http, where anyone
     * on the path could replace it.  */
    int https = strncasecmp(o->url, "https:", 6) == 0;
    CURLcode rc = CURLE_OK;
#define SET(opt, val)                                 \
    do {                                              \
        if (rc == CURLE_OK)                           \
            rc = curl_easy_setopt(c, opt, val);       \
    } while (0)
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_URL, o->url);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85: the bitmask options are deprecated */
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
#else
    SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    SET(CURLOPT_REDIR_PROTOCOLS,
        https ? (long)CURLPROTO_HTTPS : (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SET(CURLOPT_FOLLOWLOCATION, 1L);
    SET(CURLOPT_MAXREDIRS, MAX_REDIRECTS);
    SET(CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
    SET(CURLOPT_TIMEOUT, TOTAL_TIMEOUT_S);
    SET(CURLOPT_FAILONERROR, 1L); /* >= 400: stop before the error page's body */
    /* Refuses up front when Content-Length says too much; on_body enforces
     * the cap when the length is not announced.  */
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_bytes);
    SET(CURLOPT_ACCEPT_ENCODING, ""); /* compressed if offered; the cap counts decoded bytes */
    SET(CURLOPT_USERAGENT, "iana-services-update (nss-iana)");
    SET(CURLOPT_HTTPHEADER, headers);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, d);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, d);
#undef SET
    return rc;
}

/* Returns -1 when the transfer gave a body (200) or a 304 to a
 * conditional request, else the exit status, having said why.  */
static int transfer_result(const struct options *o, const struct download *d, CURLcode cc,
                           const char *errbuf, int conditional)
{
    if (d->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
        fail(o->url, "larger than --max-bytes (%zu bytes): transfer aborted", o->max_bytes);
        return UPDATE_DOWNLOAD;
    }
    if (cc == CURLE_HTTP_RETURNED_ERROR) {
        fail(o->url, "HTTP status %ld", d->status);
        return UPDATE_DOWNLOAD;
    }
    if (cc != CURLE_OK) {
        fail(o->url, "download failed: %s", *errbuf ? errbuf : curl_easy_strerror(cc));
        return UPDATE_DOWNLOAD;
    }
    if (d->status == 200 || (d->status == 304 && conditional))
        return -1;
    fail(o->url, "unexpected HTTP status %ld%s", d->status,
         d->status == 304 ? " to a request that was not conditional" : "");
    return UPDATE_DOWNLOAD;
}

/* Fetches o->url into *d, conditionally if `send` has a validator.
 * Returns -1 on a usable response (d->status is 200 or 304), else the
 * exit status.  */
static int fetch(const struct options *o, const struct validators *send, struct download *d)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers = NULL;
    int conditional = send->etag[0] || send->last_modified[0];
    int rc = UPDATE_DOWNLOAD;
    CURL *c = curl_easy_init();
    d->max = o->max_bytes;
    if (!c || conditional_headers(send, &headers) < 0) {
        fail(o->url, "%s", strerror(ENOMEM));
        goto out;
    }
    CURLcode cc = configure(c, o, d, headers, errbuf);
    if (cc == CURLE_OK)
        cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &d->status);
    rc = transfer_result(o, d, cc, errbuf, conditional);
out:
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return rc;
}

/* --- what changed: entries keyed by (name, protocol, first port) -------------- */

struct key {
    const char *name;
    uint32_t index;
    uint16_t port_lo;
    uint8_t proto;
};

struct pair {
    uint32_t old_index, new_index;
};

struct changes {
    uint32_t *added;   /* entry indexes in the new database */
    uint32_t *removed; /* ... in the old one */
    struct pair *changed;
    size_t nadded, nremoved, nchanged;
};

static int key_order(const struct key *x, const struct key *y)
{
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    if (x->proto != y->proto)
        return x->proto < y->proto ? -1 : 1;
    return (x->port_lo > y->port_lo) - (x->port_lo < y->port_lo);
}

/* Ties (the same key twice in one registry) by registry order, so the
 * merge pairs the n-th occurrence in one with the n-th in the other.  */
static int key_cmp(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    int c = key_order(x, y);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

static int index_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int pair_cmp(const void *a, const void *b)
{
    return index_cmp(&((const struct pair *)a)->new_index, &((const struct pair *)b)->new_index);
}

/* Sorted keys of every entry that reads back; NULL when out of memory.  */
static struct key *collect_keys(const struct iana_db *db, size_t *n)
{
    uint32_t count = db->hdr->entry_count;
    struct key *k = calloc((size_t)count + 1, sizeof *k);
    *n = 0;
    if (!k)
        return NULL;
    for (uint32_t i = 0; i < count; i++) {
        struct iana_view v;
        if (iana_db_entry(db, i, &v) == 0)
            k[(*n)++] = (struct key){v.names, i, v.port_lo, v.proto};
    }
    qsort(k, *n, sizeof *k, key_cmp);
    return k;
}

/* Same key; "changed" means another last port or other aliases.  */
static int same_entry(const struct iana_db *a, uint32_t i, const struct iana_db *b, uint32_t j)
{
    struct iana_view v, w;
    if (iana_db_entry(a, i, &v) < 0 || iana_db_entry(b, j, &w) < 0)
        return 0;
    return v.port_hi == w.port_hi && v.names_len == w.names_len &&
           memcmp(v.names, w.names, v.names_len) == 0;
}

static void merge_keys(const struct iana_db *old, const struct key *ko, size_t no,
                       const struct iana_db *new_, const struct key *kn, size_t nn,
                       struct changes *ch)
{
    size_t i = 0, j = 0;
    while (i < no || j < nn) {
        int c = i == no ? 1 : j == nn ? -1 : key_order(&ko[i], &kn[j]);
        if (c < 0) {
            ch->removed[ch->nremoved++] = ko[i++].index;
        } else if (c > 0) {
            ch->added[ch->nadded++] = kn[j++].index;
        } else {
            if (!same_entry(old, ko[i].index, new_, kn[j].index))
                ch->changed[ch->nchanged++] = (struct pair){ko[i].index, kn[j].index};
            i++;
            j++;
        }
    }
    /* Report in registry order, which is port order: easier to read.  */
    qsort(ch->added, ch->nadded, sizeof *ch->added, index_cmp);
    qsort(ch->removed, ch->nremoved, sizeof *ch->removed, index_cmp);
    qsort(ch->changed, ch->nchanged, sizeof *ch->changed, pair_cmp);
}

static void changes_free(struct changes *ch)
{
    free(ch->added);
    free(ch->removed);
    free(ch->changed);
    memset(ch, 0, sizeof *ch);
}

/* Returns 0, or -1 when out of memory.  */
static int diff(const struct iana_db *old, const struct iana_db *new_, struct changes *ch)
{
    size_t no, nn;
    struct key *ko = collect_keys(old, &no), *kn = collect_keys(new_, &nn);
    memset(ch, 0, sizeof *ch);
    ch->added = calloc(nn + 1, sizeof *ch->added);
    ch->removed = calloc(no + 1, sizeof *ch->removed);
    ch->changed = calloc((no < nn ? no : nn) + 1, sizeof *ch->changed);
    int rc = -1;
    if (ko && kn && ch->added && ch->removed && ch->changed) {
        merge_keys(old, ko, no, new_, kn, nn, ch);
        rc = 0;
    } else {
        changes_free(ch);
    }
    free(ko);
    free(kn);
    return rc;
}

/* "6000-6063/tcp alias..." */
static void print_ports_aliases(const struct iana_view *v)
{
    const char *proto = iana_proto_name(v->proto);
    if (v->port_lo == v->port_hi)
        printf("%u/%s", v->port_lo, proto ? proto : "?");
    else
        printf("%u-%u/%s", v->port_lo, v->port_hi, proto ? proto : "?");
    const char *a = v->names;
    for (unsigned i = 0; i < v->nalias; i++) {
        a += strlen(a) + 1;
        printf(" %s", a);
    }
}

/* "M name ports/proto aliases", without the newline; 0 if it printed.  */
static int print_entry(char mark, const struct iana_db *db, uint32_t index)
{
    struct iana_view v;
    if (iana_db_entry(db, index, &v) < 0)
        return -1;
    printf("%c %s ", mark, v.names);
    print_ports_aliases(&v);
    return 0;
}

static void print_added_removed(char mark, const struct iana_db *db, const uint32_t *index,
                                size_t n)
{
    for (size_t i = 0; i < n && i < REPORT_LIMIT; i++)
        if (print_entry(mark, db, index[i]) == 0)
            putchar('\n');
}

/* "~ name new-ports/proto new-aliases (was old-ports/proto old-aliases)" */
static void print_changed(const struct iana_db *old, const struct iana_db *new_,
                          const struct pair *p, size_t n)
{
    for (size_t i = 0; i < n && i < REPORT_LIMIT; i++) {
        struct iana_view was;
        if (iana_db_entry(old, p[i].old_index, &was) < 0 || print_entry('~', new_, p[i].new_index) < 0)
            continue;
        printf(" (was ");
        print_ports_aliases(&was);
        printf(")\n");
    }
}

static void print_more(size_t n)
{
    if (n > REPORT_LIMIT)
        printf("  ... and %zu more\n", n - REPORT_LIMIT);
}

static void report(const struct options *o, const struct current *cur, const struct iana_db *fresh)
{
    struct changes ch;
    printf("updated %s from %s\n", o->db, o->url);
    if (!cur->open) {
        printf("  %u entries (no previous database to compare with)\n", fresh->hdr->entry_count);
        return;
    }
    if (diff(&cur->db, fresh, &ch) < 0) {
        printf("  %u entries (was %u); not enough memory to list the changes\n",
               fresh->hdr->entry_count, cur->db.hdr->entry_count);
        return;
    }
    printf("  %u entries (was %u): %zu added, %zu removed, %zu changed\n",
           fresh->hdr->entry_count, cur->db.hdr->entry_count, ch.nadded, ch.nremoved,
           ch.nchanged);
    print_added_removed('+', fresh, ch.added, ch.nadded);
    print_more(ch.nadded);
    print_added_removed('-', &cur->db, ch.removed, ch.nremoved);
    print_more(ch.nremoved);
    print_changed(&cur->db, fresh, ch.changed, ch.nchanged);
    print_more(ch.nchanged);
    changes_free(&ch);
}

/* --- checking and installing ------------------------------------------------- */

/* A missing database is a first install.  One that cannot be read is
 * replaced without the comparison: it is not serving anyone as it is.  */
static void open_current(const char *path, struct current *cur)
{
    const char *why = NULL;
    memset(cur, 0, sizeof *cur);
    if (iana_db_open(path, &cur->db, &why) == 0) {
        cur->open = 1;
        to_hex(cur->db.hdr->source_sha256, cur->sha_hex);
    } else if (errno != ENOENT) {
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
    uint64_t had = cur->db.hdr->entry_count, has = set->nentries;
    if (has * 100 >= had * KEEP_PERCENT)
        return 1;
    if (o->force) {
        fprintf(stderr, "iana-services: update: %s: warning: %zu entries where %s has %u; "
                        "replacing it anyway (--force)\n", o->url, set->nentries, o->db,
                cur->db.hdr->entry_count);
        return 1;
    }
    fail(o->url, "only %zu entries where %s has %u (less than %u%%): not replacing it "
                 "without --force", set->nentries, o->db, cur->db.hdr->entry_count, KEEP_PERCENT);
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

static int compile_and_swap(const struct options *o, const struct current *cur,
                            const struct download *d, struct build *b, const char *state)
{
    char err[512] = "", *kept = kept_csv_path(o->db);
    int rc = UPDATE_INVALID;
    if (!kept) {
        fail(o->db, "%s", strerror(ENOMEM));
        goto out;
    }
    if (registry_entries(&b->reg, &b->set, stderr) < 0) {
        fail(o->url, "%s", strerror(ENOMEM));
        goto out;
    }
    if (!plausible(o, cur, &b->set))
        goto out;
    /* The download first, then the database that names it: if the second
     * write fails, a rebuild compiles the newer registry, nothing older.  */
    rc = UPDATE_WRITE;
    if (save_csv(o, d) || db_write_file(kept, d->data, d->len, err, sizeof err) < 0) {
        if (*err)
            fprintf(stderr, "iana-services: update: %s\n", err);
        goto out;
    }
    /* The services file merged as the current database merged it.  */
    if (build_database(b, kept, build_services_of(cur->open ? &cur->db : NULL), "update") < 0)
        goto out;
    if (build_write(b, o->db, "update") < 0)
        goto out;
    struct iana_db fresh;
    const char *why;
    if (iana_db_view(b->bytes, b->len, &fresh, &why) == 0)
        report(o, cur, &fresh);
    state_save(state, o->url, b->reg.sha256, &d->got);
    rc = UPDATE_OK;
out:
    free(kept);
    return rc;
}

static int install(const struct options *o, const struct current *cur, const struct download *d,
                   const char *state)
{
    struct build b = {0};
    char err[512];
    int rc;
    /* The URL names the bytes in the parser's "FILE:LINE: ..." messages.  */
    if (registry_parse(o->url, d->data ? (const void *)d->data : "", d->len, &b.reg, err,
                       sizeof err) < 0) {
        fprintf(stderr, "iana-services: update: %s\n", err);
        rc = UPDATE_INVALID;
    } else if (cur->open && memcmp(b.reg.sha256, cur->db.hdr->source_sha256, 32) == 0 &&
               iana_db_services_state(&cur->db, IANA_SERVICES_FILE, NULL) == IANA_SERVICES_CURRENT) {
        rc = up_to_date(o, cur, d, &b.reg, state);
    } else {
        rc = compile_and_swap(o, cur, d, &b, state);
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
    struct current cur;
    struct validators send;
    struct download d = {0};
    open_current(o.db, &cur);
    if (!cur.open || !state_load(state, o.url, cur.sha_hex, &send))
        memset(&send, 0, sizeof send);
    rc = fetch(&o, &send, &d);
    if (rc < 0 && d.status == 304) {
        printf("%s is up to date: %s not modified since the last update (HTTP 304)\n",
               o.db, o.url);
        rc = UPDATE_OK;
    } else if (rc < 0) {
        rc = install(&o, &cur, &d, state);
    }
    free(d.data);
    if (cur.open)
        iana_db_close(&cur.db);
    curl_global_cleanup();
    free(state);
    return rc;
}

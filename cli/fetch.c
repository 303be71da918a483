/* The download of `update`: see fetch.h.  */
#define _GNU_SOURCE
#include "fetch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "update.h"


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
        d->in_headers = 1;
        return len;
    }
    if ((len == 2 && p[0] == '\r') || (len == 1 && p[0] == '\n'))
        d->in_headers = 0;
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

static CURLcode configure(CURL *c, const struct fetch_options *o, struct download *d,
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
    SET(CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_BYTES);
    SET(CURLOPT_LOW_SPEED_TIME, o->low_speed_time);
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
static int transfer_result(const struct fetch_options *o, const struct download *d, CURLcode cc,
                           const char *errbuf, int conditional)
{
    if (d->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
        fail(o->shown, "larger than --max-bytes (%zu bytes): transfer aborted", o->max_bytes);
        return UPDATE_DOWNLOAD;
    }
    if (cc == CURLE_HTTP_RETURNED_ERROR) {
        fail(o->shown, "HTTP status %ld", d->status);
        return UPDATE_DOWNLOAD;
    }
    /* libcurl keeps a header line in a buffer of at most 100 KiB, and
     * says only "Out of memory" when a server sends a longer one (a huge
     * ETag), or from 8.6.0 (Debian 13) CURLE_TOO_LARGE, code 100, "A value
     * or data field grew larger than allowed": say what happened.  The
     * code by its number, so that a tool built against an older libcurl
     * knows it from a newer one too.  */
    if ((cc == CURLE_OUT_OF_MEMORY || cc == (CURLcode)100) && d->in_headers) {
        fail(o->shown, "download failed: a response header is longer than libcurl accepts "
                       "(100 KiB); not a registry server's answer");
        return UPDATE_DOWNLOAD;
    }
    if (cc != CURLE_OK) {
        fail(o->shown, "download failed: %s", *errbuf ? errbuf : curl_easy_strerror(cc));
        return UPDATE_DOWNLOAD;
    }
    if (d->status == 200 || (d->status == 304 && conditional))
        return -1;
    fail(o->shown, "unexpected HTTP status %ld%s", d->status,
         d->status == 304 ? " to a request that was not conditional" : "");
    return UPDATE_DOWNLOAD;
}

int url_shown(const char *url, char **shown)
{
    static const CURLUPart secret[] = {CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_OPTIONS};
    CURLU *u = curl_url();
    int rc = -1, has_secret = 0;
    *shown = NULL;
    /* As libcurl itself reads --url: a scheme-less URL is guessed, and an
     * unsupported scheme is refused later, by the transfer, as before.  */
    if (!u || curl_url_set(u, CURLUPART_URL, url, CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME))
        goto out;
    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++) {
        char *part = NULL;
        if (curl_url_get(u, secret[i], &part, 0) == CURLUE_OK)
            has_secret = 1;
        curl_free(part);
        if (curl_url_set(u, secret[i], NULL, 0) != CURLUE_OK)
            goto out;
    }
    /* Unchanged when there was nothing to take out: libcurl's spelling of
     * a URL (a "/" added, a guessed scheme) would surprise in messages.  */
    if (!has_secret) {
        rc = (*shown = strdup(url)) ? 0 : -1;
        goto out;
    }
    char *rebuilt = NULL;
    if (curl_url_get(u, CURLUPART_URL, &rebuilt, 0) == CURLUE_OK) {
        *shown = strdup(rebuilt);
        rc = *shown ? 0 : -1;
    }
    curl_free(rebuilt);
out:
    curl_url_cleanup(u);
    return rc;
}

int fetch(const struct fetch_options *o, const struct validators *send, struct download *d)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers = NULL;
    int conditional = send->etag[0] || send->last_modified[0];
    int rc = UPDATE_DOWNLOAD;
    CURL *c = curl_easy_init();
    d->max = o->max_bytes;
    if (!c || conditional_headers(send, &headers) < 0) {
        fail(o->shown, "%s", strerror(ENOMEM));
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

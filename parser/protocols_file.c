/* A protocols(5) file as glibc's nss_files reads it: see protocols_file.h.
 * As services.c does for /etc/services: each physical line through
 * __nss_readline's step (nssfile.c), then through libc's own line parser
 * where libc exports it, parse_fields() below where it does not.  */
#define _GNU_SOURCE
#include "protocols_file.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../vocab.h"

int protocols_file_use_glibc = 1;

/* INT_FIELD (p_proto, isspace, swallowing, base 10) of files-proto.c: NULL
 * with *number set, or why the line is refused.  */
static const char *number_field(char **linep, int32_t *number)
{
    char *line = *linep, *end;
    unsigned long long v = strtoull(line, &end, 10);
    /* Debian 12's glibc refuses what does not fit 32 bits ("-1" is
     * strtoul's largest value), where upstream 2.36 saturates it.  */
    if (v > 0xffffffffULL)
        return "protocol number out of range";
    if (end == line)
        return "no protocol number";
    if (nssfile_is_space(*end))
        do
            end++;
        while (nssfile_is_space(*end));
    else if (*end != '\0')
        return "protocol number followed by something other than white space";
    *number = (int32_t)(uint32_t)v;
    *linep = end;
    return NULL;
}

/* files-proto.c's line parser: 1 with *out filled, 2 for a line nss_files
 * rejects (*why says why), -1 when out of memory.  */
static int parse_fields(char *buf, struct protocols_line *out, const char **why)
{
    char *line = buf, *cut = strpbrk(line, "#\n");
    if (cut)
        *cut = '\0';
    memset(out, 0, sizeof *out);
    out->name = nssfile_string_field(&line);
    if ((*why = number_field(&line, &out->number)))
        return 2;
    return nssfile_list(line, &out->aliases, &out->nalias) < 0 ? -1 : 1;
}

typedef int glibc_parser(char *line, struct protoent *result, void *data, size_t datalen,
                         int *errnop);

/* libc's own parser, if it exports one that reads a plain line as any
 * nss_files does; NULL otherwise: whether it is there, not what one
 * glibc's rules make of an odd number (services.c).  Looked up once
 * (single-threaded callers, as for services).  */
static glibc_parser *libc_parser(void)
{
    static int looked;
    static glibc_parser *fn;
    if (looked)
        return fn;
    looked = 1;
    glibc_parser *cand =
        (glibc_parser *)(uintptr_t)nssfile_libc_parser("_nss_files_parse_protoent");
    char line[] = "probe 17 a b\n";
    char *data[16];
    struct protoent pe;
    int e = 0;
    if (cand && cand(line, &pe, data, sizeof data, &e) == 1 && strcmp(pe.p_name, "probe") == 0 &&
        pe.p_proto == 17 && pe.p_aliases[0] && strcmp(pe.p_aliases[1], "b") == 0 &&
        !pe.p_aliases[2])
        fn = cand;
    return fn;
}

static int parse_with_glibc(glibc_parser *fn, char *buf, struct protocols_line *out,
                            const char **why)
{
    size_t n = strlen(buf);
    size_t datalen = (n / 2 + 4) * sizeof(char *); /* every alias the line could have */
    void *data = malloc(datalen);
    char *copy = strdup(buf); /* the line before glibc's parser cuts it up */
    struct protoent pe;
    int e = 0;
    if (!data || !copy) {
        free(data);
        free(copy);
        return -1;
    }
    int rc = fn(buf, &pe, data, datalen, &e);
    if (rc != 1) {
        free(data);
        struct protocols_line l = {0};
        if (rc > 0 || parse_fields(copy, &l, why) != 2)
            *why = "rejected by this glibc's nss_files";
        free(l.aliases);
        free(copy);
        return rc < 0 ? -1 : 2;
    }
    free(copy);
    size_t nalias = 0;
    while (pe.p_aliases[nalias])
        nalias++;
    memset(out, 0, sizeof *out);
    out->name = pe.p_name;
    out->number = pe.p_proto;
    out->nalias = nalias;
    out->aliases = malloc((nalias + 1) * sizeof *out->aliases);
    if (out->aliases)
        memcpy(out->aliases, pe.p_aliases, nalias * sizeof *out->aliases);
    free(data);
    return out->aliases ? 1 : -1;
}

static int add_line(struct protocols_file *pf, size_t *cap, const struct protocols_line *l,
                    char *text)
{
    if (pf->nlines == *cap) {
        size_t bigger = *cap ? *cap * 2 : 64;
        struct protocols_line *lines = reallocarray(pf->lines, bigger, sizeof *lines);
        char **texts = reallocarray(pf->text, bigger, sizeof *texts);
        if (lines)
            pf->lines = lines;
        if (texts)
            pf->text = texts;
        if (!lines || !texts)
            return -1;
        *cap = bigger;
    }
    pf->text[pf->nlines] = text;
    pf->lines[pf->nlines++] = *l;
    return 0;
}

int protocols_file_parse(const char *path, const void *data, size_t len,
                         struct protocols_file *pf, FILE *warn, char *err, size_t errlen)
{
    const char *p = data, *end = p + len;
    size_t cap = 0;
    unsigned lineno = 0;
    glibc_parser *fn = protocols_file_use_glibc ? libc_parser() : NULL;

    memset(pf, 0, sizeof *pf);
    pf->present = 1;
    pf->id.size = len;
    pf->id.hash = iana_file_hash(IANA_FILE_HASH_INIT, data, len);
    if (!(pf->path = strdup(path)))
        goto nomem;
    while (p < end) {
        const char *start = p;
        size_t n = nssfile_next_line(&p, end);
        char *buf = malloc(n + 1);
        struct protocols_line l;
        const char *why = NULL;
        if (!buf)
            goto nomem;
        memcpy(buf, start, n);
        lineno++;
        int rc = nssfile_readline(buf, n)
                     ? fn ? parse_with_glibc(fn, buf, &l, &why) : parse_fields(buf, &l, &why)
                     : 0;
        if (rc == 1) {
            l.line = lineno;
            if (add_line(pf, &cap, &l, buf) < 0) {
                free(l.aliases);
                free(buf);
                goto nomem;
            }
            continue;
        }
        free(buf);
        if (rc < 0)
            goto nomem;
        if (rc == 2) {
            pf->rejected++;
            if (warn)
                fprintf(warn, "%s:%u: warning: %s; glibc skips this line, and so does the "
                        "database\n", path, lineno, why);
        }
    }
    pf->nphys = lineno;
    return 0;
nomem:
    snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
    protocols_file_free(pf);
    return -1;
}

int protocols_file_read(const char *path, struct protocols_file *pf, FILE *warn,
                        char *err, size_t errlen)
{
    char *data;
    size_t len;
    struct nssfile_id id;
    int present;
    memset(pf, 0, sizeof *pf);
    if (nssfile_load(path, PROTOCOLS_FILE_MAX_BYTES, &data, &len, &id, &present, err,
                     errlen) < 0)
        return -1;
    if (!present) {
        if (!(pf->path = strdup(path))) {
            snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
            return -1;
        }
        return 0;
    }
    int rc = protocols_file_parse(path, data ? data : "", len, pf, warn, err, errlen);
    if (rc == 0)
        pf->id = id;
    free(data);
    return rc;
}

void protocols_file_free(struct protocols_file *pf)
{
    for (size_t i = 0; i < pf->nlines; i++) {
        free(pf->lines[i].aliases);
        free(pf->text[i]);
    }
    free(pf->lines);
    free(pf->text);
    free(pf->path);
    memset(pf, 0, sizeof *pf);
}

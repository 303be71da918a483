/* `iana-services export --portable` (cli/export.h).  Every answer comes
 * from db/'s lookups, as the module gives it; this file only decides which
 * lines to write so that readers with other rules than nss_files' find it.  */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "export.h"
#include "protocols.h"

/* What both kinds of record are sorted by: protocol, name, place.  */
struct key {
    const char *name;
    const char *proto;
    uint32_t seq;             /* the line's place in the file, or where the
                               * name of an added line first appears */
};
/* One name of one written line.  */
struct occurrence {
    struct key k;             /* first: the records sort as keys */
    uint16_t port;
};
/* One line written after the others.  */
struct extra {
    struct key k;
    uint16_t port;
    bool owned;               /* k.name allocated (a spelling of its own) */
};

static int by_key(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    int c = strcmp(x->proto, y->proto);
    if (!c)
        c = strcmp(x->name, y->name);
    if (!c)
        c = x->seq < y->seq ? -1 : x->seq > y->seq;
    return c;
}
static int by_seq(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->proto, y->proto);
}

/* Whether NAME is a name of some line for PROTO (OCC sorted by by_key).  */
static bool named(const struct occurrence *occ, size_t n, const char *name, const char *proto)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(occ[mid].k.proto, proto);
        if (!c)
            c = strcmp(occ[mid].k.name, name);
        if (!c)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* The port the module answers for NAME and PROTO, or -1.  */
static int32_t module_port(const struct iana_db *db, const char *name, const char *proto)
{
    int64_t a = iana_db_service_by_name(db, name, proto);
    struct iana_view v;
    if (a < 0 || iana_db_answer(db, (uint32_t)a, &v) < 0)
        return -1;
    return v.port_lo;
}

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 4096;
    void *q = realloc(*p, c * size);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

int export_portable(FILE *out, const struct iana_db *db)
{
    struct occurrence *occ = NULL;
    struct extra *ex = NULL;
    size_t nocc = 0, cocc = 0, nex = 0, cex = 0;
    int rc = -1;

    fprintf(out, "# services(5) exported by nss-iana (iana-services export --portable) from\n"
                 "# IANA's Service Name and Transport Protocol Port Number Registry, for\n"
                 "# programs that read this file themselves: see iana-services(1).\n");
    struct iana_cursor c = {0};
    uint32_t answer, seq = 0;
    uint16_t port;
    for (; iana_db_cursor_get(db, &c, &answer, &port); iana_db_cursor_next(db, &c)) {
        struct iana_view v;
        if (iana_db_answer(db, answer, &v) < 0)
            continue;
        /* "name port/proto", then the aliases while they fit; those that
         * do not go on lines of their own, after the name and port.  */
        char head[64];
        int hl = snprintf(head, sizeof head, "%-15s %u/%s", v.names, port, v.proto_name);
        if (hl < 0 || (size_t)hl >= sizeof head || hl > EXPORT_PORTABLE_LINE_MAX) {
            errno = ENAMETOOLONG;
            goto out;
        }
        fputs(head, out);
        size_t len = (size_t)hl;
        const char *a = v.names;
        for (unsigned i = 0; i <= v.nalias; i++, a += strlen(a) + 1) {
            if (grow((void **)&occ, &cocc, nocc, sizeof *occ) < 0)
                goto out;
            occ[nocc++] = (struct occurrence){{a, v.proto_name, seq}, port};
            if (i == 0)
                continue;
            size_t al = strlen(a);
            if (len + 1 + al > EXPORT_PORTABLE_LINE_MAX) {
                fprintf(out, "\n%s", head);
                len = (size_t)hl;
                seq++;
                occ[nocc - 1].k.seq = seq;
                if (grow((void **)&occ, &cocc, nocc, sizeof *occ) < 0)
                    goto out;
                occ[nocc++] = (struct occurrence){{v.names, v.proto_name, seq}, port};
                if (len + 1 + al > EXPORT_PORTABLE_LINE_MAX) {
                    errno = ENAMETOOLONG;
                    goto out;
                }
            }
            fprintf(out, " %s", a);
            len += 1 + al;
        }
        fputc('\n', out);
        seq++;
    }

    qsort(occ, nocc, sizeof *occ, by_key);
    for (size_t i = 0, j; i < nocc; i = j) {
        for (j = i + 1; j < nocc && !strcmp(occ[j].k.proto, occ[i].k.proto) &&
                        !strcmp(occ[j].k.name, occ[i].k.name); j++)
            ;
        int32_t want = module_port(db, occ[i].k.name, occ[i].k.proto);
        if (want >= 0 && occ[j - 1].port != want) {
            if (grow((void **)&ex, &cex, nex, sizeof *ex) < 0)
                goto out;
            ex[nex++] = (struct extra){occ[i].k, (uint16_t)want, false};
        }
        /* The spelling as written, and in lower case: with each protocol
         * the module knows that has no line of that name, the module's
         * answer if it has one (a name matched in another case).  */
        char *lower = strdup(occ[i].k.name);
        if (!lower)
            goto out;
        for (char *p = lower; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        for (int k = strcmp(lower, occ[i].k.name) ? 0 : 1; k < 2; k++) {
            const char *spelling = k ? occ[i].k.name : lower;
            for (unsigned pc = 0; pc <= IANA_NPROTO; pc++) {
                const char *proto = pc < IANA_NPROTO ? iana_proto_name(pc) : occ[i].k.proto;
                if (!proto || named(occ, nocc, spelling, proto))
                    continue;
                int32_t lp = module_port(db, spelling, proto);
                if (lp < 0)
                    continue;
                char *copy = strdup(spelling);
                if (!copy || grow((void **)&ex, &cex, nex, sizeof *ex) < 0) {
                    free(copy);
                    free(lower);
                    goto out;
                }
                ex[nex++] = (struct extra){{copy, proto, occ[i].k.seq}, (uint16_t)lp, true};
            }
        }
        free(lower);
    }
    /* A spelling met twice: the line for its first place only.  */
    qsort(ex, nex, sizeof *ex, by_key);
    size_t kept = 0;
    for (size_t i = 0; i < nex; i++) {
        if (kept && !strcmp(ex[kept - 1].k.name, ex[i].k.name) &&
            !strcmp(ex[kept - 1].k.proto, ex[i].k.proto)) {
            if (ex[i].owned)
                free((char *)ex[i].k.name);
            continue;
        }
        ex[kept++] = ex[i];
    }
    nex = kept;
    qsort(ex, nex, sizeof *ex, by_seq);
    if (nex)
        fprintf(out, "# For readers that keep a name's last line (Go) or ask for it in lower\n"
                     "# case: the port nss-iana answers for these names.\n");
    for (size_t i = 0; i < nex; i++)
        fprintf(out, "%-15s %u/%s\n", ex[i].k.name, ex[i].port, ex[i].k.proto);
    rc = ferror(out) ? -1 : 0;
out:
    for (size_t i = 0; i < nex; i++)
        if (ex[i].owned)
            free((char *)ex[i].k.name);
    free(ex);
    free(occ);
    return rc;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int export_portable_protocols(FILE *out, const struct iana_db *db)
{
    if (protocols_export(out, db, 0) < 0)
        return -1;
    /* Every name and alias written, sorted, to look spellings up in.  */
    const char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    uint32_t answer;
    for (uint32_t c = 0; iana_db_proto_cursor_get(db, c, &answer); c++) {
        struct iana_proto_view v;
        if (iana_db_proto(db, answer, &v) < 0)
            continue;
        const char *a = v.names;
        for (unsigned i = 0; i <= v.nalias; i++, a += strlen(a) + 1) {
            if (grow((void **)&names, &cap, n, sizeof *names) < 0)
                goto out;
            names[n++] = a;
        }
    }
    const char **sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted)
        goto out;
    memcpy(sorted, names, n * sizeof *names);
    qsort(sorted, n, sizeof *sorted, by_string);
    /* In the order written: each spelling in lower case that no line has,
     * with the module's number for it, once.  */
    int header = 0;
    for (size_t i = 0; i < n; i++) {
        char lower[256];
        size_t len = strlen(names[i]);
        if (len >= sizeof lower)
            continue;
        for (size_t k = 0; k <= len; k++) {
            char ch = names[i][k];
            lower[k] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
        }
        const char *key = lower;
        if (!strcmp(lower, names[i]) || bsearch(&key, sorted, n, sizeof *sorted, by_string))
            continue;
        /* Asked before, from another spelling of it?  */
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcasecmp(names[j], lower) && strcmp(names[j], lower) != 0;
        if (seen)
            continue;
        /* A protocols file's alias is matched in its own case only: then
         * the spelling as written, which is what Go was asked.  */
        int64_t hit = iana_db_proto_by_name(db, lower);
        if (hit < 0)
            hit = iana_db_proto_by_name(db, names[i]);
        struct iana_proto_view v;
        if (hit < 0 || iana_db_proto(db, (uint32_t)hit, &v) < 0)
            continue;
        if (!header++)
            fprintf(out, "# For readers that ask for a name in lower case (Go): the number\n"
                         "# nss-iana answers for these names.\n");
        fprintf(out, "%-15s %d\n", lower, (int)v.number);
    }
    free(sorted);
    rc = ferror(out) ? -1 : 0;
out:
    free(names);
    return rc;
}

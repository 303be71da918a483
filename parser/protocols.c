/* The protocol numbers registry's CSV -> rows -> entries (the rules are in
 * protocols.h).  The CSV itself is read by table.c.  */
#define _GNU_SOURCE
#include "protocols.h"

#include <errno.h>
#include <stddef.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "../vocab.h"

static const char *const column_names[PCOL_N] = {
    [PCOL_DECIMAL] = "Decimal",
    [PCOL_KEYWORD] = "Keyword",
    [PCOL_PROTOCOL] = "Protocol",
    [PCOL_IPV6_EXT] = "IPv6 Extension Header",
    [PCOL_REFERENCE] = "Reference",
};

/* Without a number and a keyword it is not the protocol registry (the
 * services registry, given by mistake, has neither).  */
static const unsigned required[] = {PCOL_DECIMAL, PCOL_KEYWORD};

/* "0" to "255", digits only: a sign, a space or "0x" is not IANA's.  */
static int parse_number(const char *s, size_t n, uint8_t *out)
{
    unsigned v = 0;
    if (n == 0 || n > 3)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > 255)
        return -1;
    *out = (uint8_t)v;
    return 0;
}

static void check_row(struct table_parse *tp, void *r)
{
    struct protocol_row *row = r;
    const char *dec = row->col[PCOL_DECIMAL], *dash = strchr(dec, '-');
    size_t n = dash ? (size_t)(dash - dec) : strlen(dec);
    if (parse_number(dec, n, &row->lo) < 0 ||
        parse_number(dash ? dash + 1 : dec, dash ? strlen(dash + 1) : n, &row->hi) < 0) {
        table_fail(tp, row->line, "bad protocol number \"%s\": 0-255 or a range of them", dec);
        return;
    }
    if (row->hi < row->lo) {
        table_fail(tp, row->line, "reversed number range \"%s\"", dec);
        return;
    }
    const char *ext = row->col[PCOL_IPV6_EXT];
    if (iana_ascii_caseeq(ext, "y"))
        row->ipv6_ext = 1;
    else if (*ext && !iana_ascii_caseeq(ext, "n"))
        table_fail(tp, row->line, "bad IPv6 Extension Header \"%s\": Y, N or empty", ext);
}

static const struct table_spec spec = {
    .columns = column_names,
    .ncolumns = PCOL_N,
    .required = required,
    .nrequired = sizeof required / sizeof required[0],
    .max_bytes = PROTOCOLS_MAX_BYTES,
    .what = "a protocol registry",
    .row_size = sizeof(struct protocol_row),
    .line_at = offsetof(struct protocol_row, line),
    .col_at = offsetof(struct protocol_row, col),
    .first_rows = 256,
    .check = check_row,
};

int protocols_parse(const char *path, const void *data, size_t len,
                    struct protocol_registry *reg, char *err, size_t errlen)
{
    struct table_rows rs = {0};
    memset(reg, 0, sizeof *reg);
    if (table_parse_registry(&spec, path, data, len, &reg->path, reg->sha256, &reg->text,
                             &rs, err, errlen) == 0) {
        reg->rows = rs.rows;
        reg->nrows = rs.nrows;
        return 0;
    }
    free(rs.rows);
    protocols_free(reg); /* no rows of a file that was refused */
    return -1;
}

int protocols_read(const char *path, struct protocol_registry *reg, char *err, size_t errlen)
{
    char *buf;
    size_t len;
    memset(reg, 0, sizeof *reg);
    if (table_slurp(path, PROTOCOLS_MAX_BYTES, &buf, &len, err, errlen) < 0)
        return -1;
    int rc = protocols_parse(path, buf, len, reg, err, errlen);
    free(buf);
    return rc;
}

void protocols_free(struct protocol_registry *reg)
{
    table_text_free(&reg->text);
    free(reg->rows);
    free(reg->path);
    memset(reg, 0, sizeof *reg);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The keyword without its "(deprecated)" remark and the white space
 * around it: [*start, *start + *len).  */
static int keyword_proper(const char *kw, const char **start, size_t *len)
{
    static const char remark[] = "(deprecated)";
    const size_t rl = sizeof remark - 1;
    size_t n = strlen(kw);
    int deprecated = 0;
    while (n && is_space(kw[n - 1]))
        n--;
    if (n >= rl) {
        char tail[sizeof remark];
        memcpy(tail, kw + n - rl, rl + 1);
        tail[rl] = '\0';
        if (iana_ascii_caseeq(tail, remark)) {
            deprecated = 1;
            n -= rl;
        }
    }
    while (n && is_space(kw[n - 1]))
        n--;
    while (n && is_space(*kw))
        kw++, n--;
    *start = kw;
    *len = n;
    return deprecated;
}

/* Lower case, each run of white space one '-'.  */
static char *conventional_name(struct protocol_set *set, const char *kw, size_t n,
                               int *hyphenated)
{
    char *name = table_text_dup(&set->text, kw, n);
    if (!name)
        return NULL;
    size_t o = 0;
    *hyphenated = 0;
    for (size_t i = 0; i < n; i++) {
        char c = kw[i];
        if (is_space(c)) {
            if (!is_space(kw[i - 1])) /* kw[0] is not a space */
                name[o++] = '-';
            *hyphenated = 1;
            continue;
        }
        name[o++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    name[o] = '\0';
    return name;
}

/* A keyword that is the number's status, not a protocol's name.  */
static int is_status(const char *name)
{
    return strcmp(name, "reserved") == 0 || strcmp(name, "unassigned") == 0;
}

int protocol_entries(const struct protocol_registry *reg, struct protocol_set *set, FILE *warn)
{
    struct protocol_summary *sum = &set->summary;
    struct hsearch_data names = {0};
    int rc = -1;

    memset(set, 0, sizeof *set);
    sum->rows = reg->nrows;
    set->entries = calloc(reg->nrows + 1, sizeof *set->entries);
    set->alias_store = calloc(reg->nrows + 1, sizeof *set->alias_store);
    if (!set->entries || !set->alias_store || !hcreate_r(reg->nrows * 2 + 16, &names))
        goto out;
    for (size_t i = 0; i < reg->nrows; i++) {
        const struct protocol_row *row = &reg->rows[i];
        const char *kw;
        size_t kwlen;
        int deprecated = keyword_proper(row->col[PCOL_KEYWORD], &kw, &kwlen), hyphenated;
        if (row->lo != row->hi) {
            sum->skipped_range++;
            continue;
        }
        if (kwlen == 0) {
            sum->skipped_unnamed++;
            continue;
        }
        char *name = conventional_name(set, kw, kwlen, &hyphenated);
        if (!name)
            goto out;
        if (is_status(name)) {
            sum->skipped_reserved++;
            continue;
        }
        const char *problem = table_name_problem(name);
        if (problem) {
            sum->skipped_bad_name++;
            if (warn)
                fprintf(warn, "%s:%u: warning: protocol name \"%s\" %s; row not served\n",
                        reg->path, row->line, name, problem);
            continue;
        }
        ENTRY item = {.key = name, .data = &set->entries[set->nentries]}, *found;
        if (!hsearch_r(item, ENTER, &found, &names))
            goto out;
        if (found->data != item.data) {
            const struct protocol_entry *first = found->data;
            sum->skipped_duplicate++;
            if (warn)
                fprintf(warn, "%s:%u: warning: protocol name \"%s\" is number %u's already "
                        "(line %u); row not served\n", reg->path, row->line, name,
                        first->number, first->row->line);
            continue;
        }
        struct protocol_entry *e = &set->entries[set->nentries++];
        e->name = name;
        e->aliases = &set->alias_store[i];
        if (!hyphenated && (strlen(name) != kwlen || memcmp(name, kw, kwlen) != 0)) {
            if (!(set->alias_store[i] = table_text_dup(&set->text, kw, kwlen)))
                goto out;
            e->nalias = 1;
        }
        e->number = row->lo;
        e->ipv6_ext = row->ipv6_ext;
        e->deprecated = (uint8_t)deprecated;
        e->description = row->col[PCOL_PROTOCOL];
        e->reference = row->col[PCOL_REFERENCE];
        e->row = row;
        sum->deprecated += e->deprecated;
        sum->hyphenated += hyphenated != 0;
    }
    sum->entries = set->nentries;
    rc = 0;
out:
    hdestroy_r(&names);
    if (rc < 0)
        protocol_set_free(set);
    return rc;
}

void protocol_set_free(struct protocol_set *set)
{
    table_text_free(&set->text);
    free(set->entries);
    free(set->alias_store);
    memset(set, 0, sizeof *set);
}

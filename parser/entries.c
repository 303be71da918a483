/* Rows -> served entries: the registry's serving rules in one place.  */
#define _GNU_SOURCE
#include "registry.h"

#include <search.h>
#include <stdlib.h>
#include <string.h>

/* One (row, protocol) pair before folding; `target` is the name an alias or
 * duplicate row points at, or NULL.  */
struct candidate {
    const struct registry_row *row;
    uint8_t proto;
    char *target;
    long folded_into;         /* entry this alias went into, or -1 */
    const char **aliases;
    size_t nalias;
};

/* "This entry is an alias to "X"" or "This is a duplicate of the "X"
 * service", in the notes or the description.  */
static char *alias_target(const struct registry_row *row)
{
    static const char *const marks[] = {
        "This entry is an alias to \"",
        "This is a duplicate of the \"",
    };
    const char *fields[] = {row->col[COL_NOTES], row->col[COL_DESCRIPTION]};
    for (size_t f = 0; f < 2; f++)
        for (size_t m = 0; m < 2; m++) {
            const char *s = strstr(fields[f], marks[m]);
            if (!s)
                continue;
            s += strlen(marks[m]);
            const char *q = strchr(s, '"');
            if (q && q > s)
                return strndup(s, (size_t)(q - s));
        }
    return NULL;
}

static char *target_key(const char *name, unsigned proto, unsigned port)
{
    char *key;
    return asprintf(&key, "%u/%u/%s", proto, port, name) < 0 ? NULL : key;
}

/* The database keeps an entry's name and aliases in one block of at most
 * 255 bytes.  An alias that would not fit is not dropped (it would answer
 * nothing): its row stays an entry of its own, which answers by its name.  */
#define MAX_NAMES_BLOCK 255

enum { ALIAS_ERROR = -1, ALIAS_PRESENT, ALIAS_ADDED, ALIAS_NO_ROOM };

static int add_alias(struct candidate *c, const char *alias)
{
    size_t block = strlen(c->row->col[COL_NAME]) + 1 + strlen(alias) + 1;
    if (strcmp(c->row->col[COL_NAME], alias) == 0)
        return ALIAS_PRESENT;
    for (size_t i = 0; i < c->nalias; i++) {
        if (strcmp(c->aliases[i], alias) == 0)
            return ALIAS_PRESENT;
        block += strlen(c->aliases[i]) + 1;
    }
    if (block > MAX_NAMES_BLOCK)
        return ALIAS_NO_ROOM;
    const char **a = reallocarray(c->aliases, c->nalias + 1, sizeof *a);
    if (!a)
        return ALIAS_ERROR;
    a[c->nalias++] = alias;
    c->aliases = a;
    return ALIAS_ADDED;
}

static int warn_range_overlaps(const struct entry_set *set, FILE *warn,
                               const char *path, struct entry_summary *sum)
{
    /* A range listed before a single-port entry on one of its ports: by port
     * the single-port entry answers, but nss_files reading our export would
     * take the range's earlier line.  Say so; IANA's file has none.  */
    uint32_t *first_single = calloc(65536, sizeof *first_single);
    if (!first_single)
        return -1;
    for (size_t i = 0; i < set->nentries; i++) {
        const struct service_entry *e = &set->entries[i];
        if (e->port_lo == e->port_hi && !first_single[e->port_lo])
            first_single[e->port_lo] = (uint32_t)i + 1;
    }
    for (size_t i = 0; i < set->nentries; i++) {
        const struct service_entry *e = &set->entries[i];
        for (unsigned p = e->port_lo; e->port_lo != e->port_hi && p <= e->port_hi; p++) {
            if (first_single[p] > i + 1) {
                sum->range_overlaps++;
                if (warn)
                    fprintf(warn, "%s:%u: warning: range %s %u-%u comes before "
                            "single-port entry %s on port %u\n", path, e->row->line,
                            e->name, e->port_lo, e->port_hi,
                            set->entries[first_single[p] - 1].name, p);
                break;
            }
        }
    }
    free(first_single);
    return 0;
}

int registry_entries(const struct registry *reg, struct entry_set *set, FILE *warn)
{
    struct entry_summary *sum = &set->summary;
    struct candidate *cand = calloc(reg->nrows * 2 + 1, sizeof *cand);
    struct hsearch_data targets = {0};
    char **keys = calloc(reg->nrows * 2 + 1, sizeof *keys);
    size_t ncand = 0, nkeys = 0;
    int rc = -1;

    memset(set, 0, sizeof *set);
    set->portless = calloc(reg->nrows + 1, sizeof *set->portless);
    if (!cand || !keys || !set->portless || !hcreate_r(reg->nrows * 4 + 16, &targets))
        goto out;
    sum->rows = reg->nrows;

    for (size_t i = 0; i < reg->nrows; i++) {
        const struct registry_row *row = &reg->rows[i];
        const char *name = row->col[COL_NAME];
        if (!*name) {
            sum->skipped_unnamed++;
            continue;
        }
        const char *problem = registry_name_problem(name);
        if (problem) {
            sum->skipped_bad_name++;
            if (warn)
                fprintf(warn, "%s:%u: warning: service name \"%s\" %s; row skipped\n",
                        reg->path, row->line, name, problem);
            continue;
        }
        if (!row->has_port) {
            set->portless[set->nportless++] = row;
            continue;
        }
        uint8_t protos[2] = {IANA_TCP, IANA_UDP};
        size_t np = 2;
        if (row->proto != PROTO_BLANK)
            protos[0] = (uint8_t)row->proto, np = 1;
        for (size_t k = 0; k < np; k++) {
            struct candidate *c = &cand[ncand++];
            c->row = row;
            c->proto = protos[k];
            c->folded_into = -1;
            c->target = alias_target(row);
        }
    }
    sum->portless = set->nportless;

    /* Index the rows that are entries in their own right, first one wins.  */
    for (size_t i = 0; i < ncand; i++) {
        if (cand[i].target)
            continue;
        ENTRY item, *found;
        if (!(keys[nkeys] = target_key(cand[i].row->col[COL_NAME], cand[i].proto,
                                       cand[i].row->port_lo)))
            goto out;
        item.key = keys[nkeys++];
        item.data = &cand[i];
        if (!hsearch_r(item, ENTER, &found, &targets))
            goto out;
    }
    /* Fold alias and duplicate rows, in file order, into their targets.  */
    for (size_t i = 0; i < ncand; i++) {
        if (!cand[i].target)
            continue;
        ENTRY item = {0}, *found = NULL;
        if (!(item.key = target_key(cand[i].target, cand[i].proto, cand[i].row->port_lo)))
            goto out;
        hsearch_r(item, FIND, &found, &targets);
        free(item.key);
        if (!found)
            continue; /* no such entry: this row stays one of its own */
        struct candidate *t = found->data;
        const char *alias = cand[i].row->col[COL_NAME];
        int added = add_alias(t, alias);
        if (added == ALIAS_ERROR)
            goto out;
        if (added == ALIAS_NO_ROOM) {
            sum->aliases_unfolded++;
            if (warn)
                fprintf(warn, "%s:%u: warning: alias \"%s\" of \"%s\" served as an entry of "
                        "its own: the names of one entry take at most %d bytes\n", reg->path,
                        cand[i].row->line, alias, t->row->col[COL_NAME], MAX_NAMES_BLOCK);
            continue;
        }
        sum->aliases_folded += added == ALIAS_ADDED;
        cand[i].folded_into = t - cand;
    }

    if (!(set->entries = calloc(ncand + 1, sizeof *set->entries)))
        goto out;
    for (size_t i = 0; i < ncand; i++) {
        if (cand[i].folded_into >= 0)
            continue;
        struct service_entry *e = &set->entries[set->nentries++];
        e->name = cand[i].row->col[COL_NAME];
        e->aliases = cand[i].aliases;
        e->nalias = cand[i].nalias;
        cand[i].aliases = NULL;
        e->port_lo = cand[i].row->port_lo;
        e->port_hi = cand[i].row->port_hi;
        e->proto = cand[i].proto;
        e->row = cand[i].row;
        sum->per_proto[e->proto]++;
        sum->ranges += e->port_lo != e->port_hi;
    }
    sum->entries = set->nentries;
    if (warn_range_overlaps(set, warn, reg->path, sum) < 0)
        goto out;
    rc = 0;
out:
    for (size_t i = 0; cand && i < ncand; i++) {
        free(cand[i].target);
        free(cand[i].aliases);
    }
    for (size_t i = 0; i < nkeys; i++)
        free(keys[i]);
    hdestroy_r(&targets);
    free(keys);
    free(cand);
    if (rc < 0)
        entry_set_free(set);
    return rc;
}

void entry_set_free(struct entry_set *set)
{
    for (size_t i = 0; set->entries && i < set->nentries; i++)
        free(set->entries[i].aliases);
    free(set->entries);
    free(set->portless);
    memset(set, 0, sizeof *set);
}

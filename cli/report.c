/* The change report of `update`: see report.h.  */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_LIMIT 20u   /* lines listed per kind of change */

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
    uint32_t count = db->entry_count;
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

void report(const char *db, const char *url, const struct iana_db *old,
            const struct iana_db *fresh)
{
    struct changes ch;
    printf("updated %s from %s\n", db, url);
    if (!old) {
        printf("  %u entries (no previous database to compare with)\n", fresh->entry_count);
        return;
    }
    if (diff(old, fresh, &ch) < 0) {
        printf("  %u entries (was %u); not enough memory to list the changes\n",
               fresh->entry_count, old->entry_count);
        return;
    }
    printf("  %u entries (was %u): %zu added, %zu removed, %zu changed\n",
           fresh->entry_count, old->entry_count, ch.nadded, ch.nremoved,
           ch.nchanged);
    print_added_removed('+', fresh, ch.added, ch.nadded);
    print_more(ch.nadded);
    print_added_removed('-', old, ch.removed, ch.nremoved);
    print_more(ch.nremoved);
    print_changed(old, fresh, ch.changed, ch.nchanged);
    print_more(ch.nchanged);
    changes_free(&ch);
}

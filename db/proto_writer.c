/* The protocols sections: see proto_writer.h and db/format.h.  */
#define _GNU_SOURCE
#include "proto_writer.h"

#include <stdlib.h>
#include <string.h>

#include "writer_parts.h"

/* A string section: byte 0 NUL (offset 0 = none), appended to.  */
struct text {
    char *buf;
    size_t len, cap;
};

static int text_add(struct text *t, const void *bytes, size_t n, uint32_t *off)
{
    if (t->len == 0) {
        if (!(t->buf = malloc(t->cap = 4096)))
            return -1;
        t->buf[t->len++] = '\0';
    }
    if (n > UINT32_MAX - t->len)
        return -1;
    if (t->len + n > t->cap) {
        size_t cap = t->cap;
        while (cap < t->len + n)
            cap *= 2;
        char *bigger = realloc(t->buf, cap);
        if (!bigger)
            return -1;
        t->buf = bigger;
        t->cap = cap;
    }
    *off = (uint32_t)t->len;
    memcpy(t->buf + t->len, bytes, n);
    t->len += n;
    return 0;
}

/* A string with its NUL; "" is offset 0.  */
static int text_string(struct text *t, const char *s, uint32_t *off)
{
    if (!s || !*s) {
        *off = 0;
        return 0;
    }
    return text_add(t, s, strlen(s) + 1, off);
}

/* name, then aliases, back to back: the entry's block.  */
static int add_names(struct text *t, const char *name, const char *const *aliases, size_t n,
                     struct iana_proto_entry *e)
{
    uint32_t at;
    if (text_add(t, name, strlen(name) + 1, &at) < 0)
        return -1;
    size_t len = strlen(name) + 1;
    for (size_t i = 0; i < n; i++) {
        uint32_t ignored;
        size_t l = strlen(aliases[i]) + 1;
        if (text_add(t, aliases[i], l, &ignored) < 0 || l > UINT32_MAX - len)
            return -1;
        len += l;
    }
    if (n >= UINT32_MAX)
        return -1;
    e->names = at;
    e->names_len = (uint32_t)len;
    e->nalias = (uint32_t)n;
    return 0;
}

struct key {
    uint64_t hash;
    uint32_t bucket, entry, spelling;
    const char *s;
};

static int by_bucket(const void *pa, const void *pb)
{
    const struct key *a = pa, *b = pb;
    if (a->bucket != b->bucket)
        return a->bucket < b->bucket ? -1 : 1;
    if (a->entry != b->entry)
        return a->entry < b->entry ? -1 : 1;
    return strcmp(a->s, b->s);
}

struct number_key {
    uint32_t number, entry;
};

static int by_number(const void *pa, const void *pb)
{
    const struct number_key *a = pa, *b = pb;
    if (a->number != b->number)
        return a->number < b->number ? -1 : 1;
    return a->entry < b->entry ? -1 : a->entry > b->entry;
}

/* PROTO_NAMES: one key per entry and distinct spelling, bucketed.  */
static int build_names(struct proto_layer *P, const struct text *strings)
{
    size_t nkeys = 0;
    for (uint32_t i = 0; i < P->count; i++)
        nkeys += (size_t)P->entries[i].nalias + 1;
    if (nkeys >= UINT32_MAX / 4)
        return -1;
    struct key *keys = malloc((nkeys ? nkeys : 1) * sizeof *keys);
    if (!keys)
        return -1;
    uint32_t nb = nkeys ? (uint32_t)nkeys : 1;
    size_t k = 0;
    for (uint32_t i = 0; i < P->count; i++) {
        const struct iana_proto_entry *e = &P->entries[i];
        uint32_t at = e->names;
        for (uint32_t a = 0; a <= e->nalias; a++) {
            const char *s = strings->buf + at;
            size_t len = strlen(s);
            keys[k].hash = iana_spelling_hash(s, len);
            keys[k].bucket = iana_proto_name_bucket(keys[k].hash, nb);
            keys[k].entry = i;
            keys[k].spelling = at;
            keys[k].s = s;
            k++;
            at += (uint32_t)len + 1;
        }
    }
    qsort(keys, nkeys, sizeof *keys, by_bucket);
    /* A spelling twice on one line ("dup 21 dup"): one key.  */
    size_t kept = 0;
    for (size_t i = 0; i < nkeys; i++)
        if (!kept || keys[kept - 1].entry != keys[i].entry || strcmp(keys[kept - 1].s, keys[i].s))
            keys[kept++] = keys[i];
    P->name_buckets = nb;
    P->name_keys = (uint32_t)kept;
    P->names_size = ((size_t)nb + 1) * 4 + kept * sizeof(struct iana_proto_key);
    if (!(P->names = calloc(1, P->names_size))) {
        free(keys);
        return -1;
    }
    uint32_t *start = P->names;
    struct iana_proto_key *out = (struct iana_proto_key *)(void *)(start + nb + 1);
    for (size_t i = 0; i < kept; i++) {
        start[keys[i].bucket + 1]++;
        out[i] = (struct iana_proto_key){
            .tag = (uint32_t)(keys[i].hash >> 32),
            .entry = keys[i].entry,
            .spelling = keys[i].spelling,
        };
    }
    for (uint32_t b = 0; b < nb; b++)
        start[b + 1] += start[b];
    free(keys);
    return 0;
}

/* PROTO_NUMBERS: the registry's first entry per number, then the file's
 * first line per number it has.  */
static int build_numbers(struct proto_layer *P)
{
    struct number_key *keys = malloc((P->file_count ? P->file_count : 1) * sizeof *keys);
    if (!keys)
        return -1;
    for (uint32_t i = 0; i < P->file_count; i++)
        keys[i] = (struct number_key){P->entries[i].number, i};
    qsort(keys, P->file_count, sizeof *keys, by_number);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < P->file_count; i++)
        if (!kept || keys[kept - 1].number != keys[i].number)
            keys[kept++] = keys[i];
    P->number_keys = kept;
    P->numbers_size = 256 * 4 + (size_t)kept * sizeof(struct iana_proto_number);
    if (!(P->numbers = malloc(P->numbers_size))) {
        free(keys);
        return -1;
    }
    for (int n = 0; n < 256; n++)
        P->numbers[n] = IANA_NO_ENTRY;
    for (uint32_t i = P->count; i-- > P->file_count;)
        P->numbers[P->entries[i].number & 255] = i; /* the first in registry order stays */
    memcpy(P->numbers + 256, keys, (size_t)kept * sizeof *keys);
    free(keys);
    return 0;
}

int proto_layer_build(struct proto_layer *P, const struct protocol_set *set,
                      const struct protocols_file *pf, const char *source_path,
                      const char *protocols_path, char *err, size_t errlen)
{
    struct text strings = {0}, meta = {0};
    size_t nfile = pf ? pf->nlines : 0, nreg = set ? set->nentries : 0;
    memset(P, 0, sizeof *P);
    if (nfile + nreg >= (1u << 29)) {
        db_seterr(err, errlen, "%zu protocols: more than the format holds", nfile + nreg);
        return -1;
    }
    P->count = (uint32_t)(nfile + nreg);
    P->file_count = (uint32_t)nfile;
    if (!(P->entries = calloc(P->count ? P->count : 1, sizeof *P->entries)))
        goto nomem;
    for (size_t i = 0; i < nfile; i++) {
        const struct protocols_line *l = &pf->lines[i];
        struct iana_proto_entry *e = &P->entries[i];
        if (add_names(&strings, l->name, l->aliases, l->nalias, e) < 0)
            goto nomem;
        e->number = (uint32_t)l->number;
        e->line = l->line;
    }
    for (size_t i = 0; i < nreg; i++) {
        const struct protocol_entry *r = &set->entries[i];
        struct iana_proto_entry *e = &P->entries[nfile + i];
        if (add_names(&strings, r->name, r->aliases, r->nalias, e) < 0 ||
            text_string(&meta, r->description, &e->description) < 0 ||
            text_string(&meta, r->reference, &e->reference) < 0)
            goto nomem;
        e->number = r->number;
        e->line = r->row ? r->row->line : 0;
        e->flags = (r->ipv6_ext ? IANA_PROTO_IPV6_EXT : 0) |
                   (r->deprecated ? IANA_PROTO_DEPRECATED : 0);
    }
    if (text_string(&meta, source_path, &P->source_path) < 0 ||
        text_string(&meta, protocols_path, &P->protocols_path) < 0)
        goto nomem;
    /* A string section is never empty: byte 0 is NUL.  */
    uint32_t ignored;
    if ((strings.len == 0 && text_add(&strings, "", 0, &ignored) < 0) ||
        (meta.len == 0 && text_add(&meta, "", 0, &ignored) < 0))
        goto nomem;
    if (build_names(P, &strings) < 0 || build_numbers(P) < 0)
        goto nomem;
    P->strings = strings.buf;
    P->strings_len = strings.len;
    P->meta = meta.buf;
    P->meta_len = meta.len;
    return 0;
nomem:
    free(strings.buf);
    free(meta.buf);
    proto_layer_free(P);
    db_seterr(err, errlen, "protocols: out of memory, or a section over 4 GiB");
    return -1;
}

void proto_layer_free(struct proto_layer *P)
{
    free(P->strings);
    free(P->entries);
    free(P->names);
    free(P->numbers);
    free(P->meta);
    memset(P, 0, sizeof *P);
}

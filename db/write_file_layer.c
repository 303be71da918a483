/* The services file's layer: its lines and their FILE_NAMES and FILE_PORTS
 * indexes.  See db/format.h for the layout.  */
#define _GNU_SOURCE
#include "writer_parts.h"

#include <stdlib.h>
#include <string.h>

/* A FILE_NAMES or FILE_PORTS section: keys (tag, entry) in file order,
 * each with its bucket, into start[nbuckets + 1] and the keys grouped by
 * bucket, file order kept within each (a counting sort, stable).  */
static uint32_t *file_index(const uint32_t *bucket, const struct iana_file_key *keys,
                            uint32_t nkeys, uint32_t nbuckets, size_t *size)
{
    *size = ((size_t)nbuckets + 1) * 4 + (size_t)nkeys * sizeof *keys;
    uint32_t *sec = calloc(1, *size);
    if (!sec)
        return NULL;
    uint32_t *start = sec;
    struct iana_file_key *out = (struct iana_file_key *)(void *)(start + nbuckets + 1);
    for (uint32_t k = 0; k < nkeys; k++)
        start[bucket[k] + 1]++;
    for (uint32_t b = 0; b < nbuckets; b++)
        start[b + 1] += start[b];
    uint32_t *fill = malloc(((size_t)nbuckets + 1) * sizeof *fill);
    if (!fill) {
        free(sec);
        return NULL;
    }
    memcpy(fill, start, ((size_t)nbuckets + 1) * sizeof *fill);
    for (uint32_t k = 0; k < nkeys; k++)
        out[fill[bucket[k]]++] = keys[k];
    free(fill);
    return sec;
}

/* Bytes of a line's name, aliases and protocol with their NULs.  */
static size_t line_bytes(const struct services_line *l)
{
    size_t n = strlen(l->name) + 1 + strlen(l->proto) + 1;
    for (size_t a = 0; a < l->nalias; a++)
        n += strlen(l->aliases[a]) + 1;
    return n;
}

int db_build_file_layer(struct file_layer *F, const struct services_file *sf, char *err,
                            size_t errlen)
{
    size_t nlines = sf ? sf->nlines : 0, bytes = 1, nnames = 0;
    for (size_t i = 0; i < nlines; i++) {
        bytes += line_bytes(&sf->lines[i]);
        nnames += 1 + sf->lines[i].nalias;
    }
    if (nlines >= (1u << 29) || bytes > UINT32_MAX || nnames >= UINT32_MAX) {
        db_seterr(err, errlen, "%s: more lines or names than the format holds", sf->path);
        return -2;
    }
    size_t nkeys_max = nnames > nlines ? nnames : nlines;
    F->count = (uint32_t)nlines;
    F->strings_len = bytes;
    F->strings = calloc(1, bytes);
    F->entries = calloc(nlines + 1, sizeof *F->entries);
    struct iana_file_key *keys = calloc(nkeys_max + 1, sizeof *keys);
    uint32_t *bucket = calloc(nkeys_max + 1, sizeof *bucket);
    uint64_t *hash = calloc(nnames + 1, sizeof *hash); /* of each key */
    int rc = -1;
    if (!F->strings || !F->entries || !keys || !bucket || !hash)
        goto out;
    size_t at = 1, nkeys = 0;
    for (size_t i = 0; i < nlines; i++) {
        const struct services_line *l = &sf->lines[i];
        size_t start = at, first_key = nkeys;
        for (size_t a = 0; a <= l->nalias; a++) {
            const char *name = a ? l->aliases[a - 1] : l->name;
            size_t len = strlen(name);
            uint64_t h = iana_spelling_hash(name, len);
            memcpy(F->strings + at, name, len + 1);
            at += len + 1;
            /* One key per distinct hash of the line's names: on a tag
             * match a lookup compares all of the line's names anyway.  */
            size_t k = first_key;
            while (k < nkeys && hash[k] != h)
                k++;
            if (k == nkeys) {
                hash[nkeys] = h;
                keys[nkeys++] = (struct iana_file_key){iana_file_name_tag(h), (uint32_t)i};
            }
        }
        memcpy(F->strings + at, l->proto, strlen(l->proto) + 1);
        at += strlen(l->proto) + 1;
        F->entries[i] = (struct iana_file_entry){
            .names = (uint32_t)start,
            .names_len = (uint32_t)(at - start),
            .nalias = (uint32_t)l->nalias,
            .line = l->line,
            .port = l->port,
        };
    }
    /* About one key a bucket: a lookup reads one or two keys.  */
    F->name_keys = (uint32_t)nkeys;
    F->name_buckets = (uint32_t)nkeys + 1;
    for (size_t k = 0; k < nkeys; k++)
        bucket[k] = iana_file_name_bucket(hash[k], F->name_buckets);
    if (!(F->names = file_index(bucket, keys, F->name_keys, F->name_buckets, &F->names_size)))
        goto out;
    F->port_buckets = F->count + 1;
    for (uint32_t i = 0; i < F->count; i++) {
        keys[i] = (struct iana_file_key){sf->lines[i].port, i};
        bucket[i] = iana_file_port_bucket(sf->lines[i].port, F->port_buckets);
    }
    if (!(F->ports = file_index(bucket, keys, F->count, F->port_buckets, &F->ports_size)))
        goto out;
    rc = 0;
out:
    free(keys);
    free(bucket);
    free(hash);
    return rc;
}

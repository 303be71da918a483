/* The protocols sections of a database (db/format.h, PROTO_*), built in
 * host order for db_build to lay down: for writer.c only.  */
#ifndef NSS_IANA_DB_PROTO_WRITER_H
#define NSS_IANA_DB_PROTO_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "../parser/protocols.h"
#include "../parser/protocols_file.h"
#include "format.h"

struct proto_layer {
    char *strings;                     /* PROTO_STRINGS */
    size_t strings_len;
    struct iana_proto_entry *entries;  /* PROTO_ENTRIES */
    uint32_t count, file_count;
    uint32_t *names;                   /* PROTO_NAMES: start[], then keys */
    size_t names_size;
    uint32_t name_buckets, name_keys;
    uint32_t *numbers;                 /* PROTO_NUMBERS: first[256], then keys */
    size_t numbers_size;
    uint32_t number_keys;
    char *meta;                        /* PROTO_META */
    size_t meta_len;
    uint32_t source_path, protocols_path;
};

/* From the registry's entries (NULL: none) and the protocols file's lines
 * (NULL: none merged).  Returns 0, or -1 with a message in err.  */
int proto_layer_build(struct proto_layer *P, const struct protocol_set *set,
                      const struct protocols_file *pf, const char *source_path,
                      const char *protocols_path, char *err, size_t errlen);
void proto_layer_free(struct proto_layer *P);

#endif

/* The writer's parts (db_build in writer.c, the indexes in
 * write_index.c, the services file's layer in write_file_layer.c, the
 * file written in write_file.c): what they share.  Not an interface
 * outside db/.  */
#ifndef NSS_IANA_DB_WRITER_PARTS_H
#define NSS_IANA_DB_WRITER_PARTS_H

#include <search.h>
#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "proto_writer.h"
#include "writer.h"

/* A byte pool whose items are interned by a caller-given text key.  */
struct pool {
    char *buf;
    size_t len, cap;
    struct hsearch_data index;
    char **keys;
    size_t nkeys, maxkeys;
};

/* The services file's lines: the FILE_* sections.  */
struct file_layer {
    char *strings;
    size_t strings_len;
    struct iana_file_entry *entries;
    uint32_t count;
    uint32_t *names;      /* start[], then the keys: the FILE_NAMES section */
    size_t names_size;
    uint32_t name_buckets, name_keys;
    uint32_t *ports;
    size_t ports_size;
    uint32_t port_buckets;
};

/* What db_build lays out, section by section.  */
struct layout {
    struct pool strings, meta;
    uint32_t *names;          /* per entry: STRINGS offset of its names */
    struct iana_name_bucket *name_index;
    uint32_t nbuckets, nkeys;
    struct iana_port_index *port_index; /* followed by the records */
    uint32_t nports;
    uint32_t *meta_entry;
    struct iana_meta_tuple *tuples;
    uint32_t ntuples;
    struct iana_portless *portless;
    uint32_t source_path, services_path;
    uint64_t enum_count;
    struct file_layer file;   /* the services file's lines */
    struct proto_layer proto; /* the protocols sections */
};

__attribute__((format(printf, 3, 4)))
void db_seterr(char *err, size_t errlen, const char *fmt, ...);

/* The NAME_INDEX and PORT_INDEX sections of the entries (L->names set).  */
int db_build_name_index(struct layout *L, const struct entry_set *set, char *err,
                        size_t errlen);
int db_build_port_index(struct layout *L, const struct entry_set *set);
/* The FILE_* sections of a services file (NULL: none).  */
int db_build_file_layer(struct file_layer *F, const struct services_file *sf, char *err,
                        size_t errlen);

#endif

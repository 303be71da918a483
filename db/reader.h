/* Reading the database: validation on open, lookups, enumeration and the
 * metadata the CLI shows.  The only lookup logic in the project; the NSS
 * module and the CLI both call it.  Nothing here allocates or locks: a
 * struct iana_db is a read-only view of bytes that every call bounds-checks
 * before it trusts them.  */
#ifndef NSS_IANA_DB_READER_H
#define NSS_IANA_DB_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "format.h"

struct iana_db {
    const uint8_t *base;
    size_t size;
    const struct iana_header *hdr; /* for the checksums and provenance */
    uint32_t entry_count, enum_count, name_buckets, name_keys, port_count, tuple_count,
        portless_count, local_file;
    const char *strings;
    uint32_t strings_size;
    const struct iana_entry *entries;
    const struct iana_name_bucket *name_index;
    const struct iana_port_index *port_index;
    const struct iana_port_record *port_records;
    const char *meta_strings;
    uint32_t meta_strings_size;
    const uint32_t *meta_entry;
    const struct iana_meta_tuple *tuples;
    const struct iana_portless *portless;
    bool mapped;              /* base came from mmap: unmap on close */
    dev_t dev;                /* iana_db_open: the file mapped, as fstat */
    ino_t ino;                /* saw it (zero for iana_db_view) */
    struct timespec mtime;
};

/* Validates `size` bytes as a database (header, section bounds and sizes;
 * not the checksum) and fills *db to read them in place.  Returns 0, or -1
 * with a static reason in *why.  */
int iana_db_view(const void *data, size_t size, struct iana_db *db, const char **why);

/* open(O_RDONLY|O_CLOEXEC) + mmap(PROT_READ) + iana_db_view.  Returns 0, or
 * -1 with errno set (EINVAL with *why when the file is not valid).  */
int iana_db_open(const char *path, struct iana_db *db, const char **why);
void iana_db_close(struct iana_db *db);

/* Protocol code of a name, case-insensitive; NULL gives IANA_ANY_PROTO;
 * unknown names (udplite, ...) give -1.  */
int iana_proto_code(const char *proto);
const char *iana_proto_name(unsigned code); /* "tcp" ... or NULL */

/* One entry, checked: every string inside STRINGS, ports in order.  */
struct iana_view {
    const char *names;        /* name, then aliases, NUL-separated */
    size_t names_len;         /* bytes of all of them with their NULs; the
                               * block holds exactly 1 + nalias strings */
    unsigned nalias;
    uint16_t port_lo, port_hi;
    uint8_t proto;
    uint8_t flags;
};
int iana_db_entry(const struct iana_db *db, uint32_t index, struct iana_view *v);
/* The same without counting the strings of the block: it lies inside
 * STRINGS, starts with a name and ends with a NUL, but may hold fewer than
 * 1 + nalias strings, so a caller that walks the aliases must stop at
 * names_len.  For the NSS module, which walks them anyway as it fills the
 * caller's buffer.  */
int iana_db_entry_bounded(const struct iana_db *db, uint32_t index, struct iana_view *v);

/* Lookups: the entry index that answers, or -1.  `proto` is an enum
 * iana_proto or IANA_ANY_PROTO.  By name: exact case first, then ASCII
 * case-insensitive; the first entry in registry order wins.  By port (host
 * order): single-port entries before ranges, then registry order.  */
int64_t iana_db_by_name(const struct iana_db *db, const char *name, int proto);
int64_t iana_db_by_port(const struct iana_db *db, uint16_t port, int proto);

/* Enumeration in registry order, range entries once per port.  */
struct iana_cursor {
    uint32_t entry;
    uint32_t port_offset;
};
/* The line under the cursor: false at the end (or on a damaged entry).  */
bool iana_db_cursor_get(const struct iana_db *db, const struct iana_cursor *c,
                        uint32_t *entry, uint16_t *port);
void iana_db_cursor_next(const struct iana_db *db, struct iana_cursor *c);

/* Metadata: "" when absent or out of bounds.  */
const char *iana_db_meta(const struct iana_db *db, uint32_t entry, enum iana_meta_field f);
/* The site file compile --local merged (absolute path), or "".  */
const char *iana_db_local_file(const struct iana_db *db);
/* Names registered without a port: index of the first ASCII case-
 * insensitive match in PORTLESS, or -1; and its fields.  */
int64_t iana_db_portless(const struct iana_db *db, const char *name);
const char *iana_db_portless_name(const struct iana_db *db, uint32_t index);
const char *iana_db_portless_meta(const struct iana_db *db, uint32_t index,
                                  enum iana_meta_field f);

#endif

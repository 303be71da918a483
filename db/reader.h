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
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "format.h"

struct iana_db {
    /* What the lookups read (by name, by port, an answer, the cursor), kept
     * together at the start: the NSS module copies just this part for
     * every lookup (see nss_iana_mapping.h).  */
    struct {
        const char *strings;
        const struct iana_entry *entries;
        const struct iana_name_bucket *name_index;
        const struct iana_port_index *port_index;
        const struct iana_port_record *port_records;
        /* The services file's lines (none unless one was merged).  */
        const char *file_strings;
        const struct iana_file_entry *file_entries;
        const uint32_t *file_name_start, *file_port_start;
        const struct iana_file_key *file_name_keys_at, *file_port_keys_at;
        uint32_t strings_size, entry_count, name_buckets, port_count;
        uint32_t file_count, file_strings_size, file_name_buckets, file_name_keys,
            file_port_buckets;
        /* The protocols answers (PROTO_*): the protocols file's lines,
         * then the registry's; answers start at proto_from, which is
         * proto_file_count when the file's lines are not to be used.  */
        const char *proto_strings;
        const struct iana_proto_entry *proto_entries;
        const uint32_t *proto_name_start, *proto_first;
        const struct iana_proto_key *proto_keys;
        const struct iana_proto_number *proto_numbers;
        uint32_t proto_strings_size, proto_count, proto_file_count, proto_from,
            proto_name_buckets, proto_name_keys, proto_number_keys;
    };
    const uint8_t *base;      /* the first field after the lookups' part */
    size_t size;
    const struct iana_header *hdr; /* as in the file, for its byte arrays (the
                                    * checksums); its integers are little-
                                    * endian: the fields here hold them */
    uint32_t enum_count, name_keys, tuple_count, portless_count, source_path, services_path;
    const char *meta_strings;
    uint32_t meta_strings_size;
    const uint32_t *meta_entry;
    const struct iana_meta_tuple *tuples;
    const struct iana_portless *portless;
    struct iana_file_id services;  /* header.services, as validated */
    struct iana_file_id protocols; /* header.protocols, likewise */
    const char *proto_meta;
    uint32_t proto_meta_size, proto_source_path, protocols_path;
    bool mapped;              /* base came from mmap: unmap on close */
    dev_t dev;                /* iana_db_open: the file mapped, as fstat */
    ino_t ino;                /* saw it (zero for iana_db_view) */
    struct timespec mtime;
    struct timespec ctime;    /* moves with a chattr too, and cannot be set
                               * back from user space */
};
/* The bytes of a struct iana_db that lookups read.  */
#define IANA_DB_LOOKUP_BYTES offsetof(struct iana_db, base)

/* Validates `size` bytes as a database (header, section bounds and sizes;
 * not the checksum) and fills *db to read them in place.  Returns 0, or -1
 * with a static reason in *why.  */
int iana_db_view(const void *data, size_t size, struct iana_db *db, const char **why);

/* open(O_RDONLY|O_CLOEXEC) + mmap(PROT_READ) + iana_db_view.  Returns 0, or
 * -1 with errno set (EINVAL with *why when the file is not valid).  */
int iana_db_open(const char *path, struct iana_db *db, const char **why);
/* For the NSS module, which runs in setuid programs and root daemons: the
 * file opened without blocking (a FIFO at the path is refused at once,
 * never waited on), and refused (EPERM, with *why) unless it is a regular
 * file that neither group nor others may write, owned by root or by the
 * process's effective user; with `check_dir`, its directory likewise.  A
 * descriptor of the file, with *sb its fstat, or -1 (errno, and *why when a
 * check failed).  */
int iana_db_open_fd_trusted(const char *path, bool check_dir, struct stat *sb,
                            const char **why);
/* How many bytes from the start of a database NSS lookups read (the
 * sections before META_STRINGS), from its header; 0 if `header` (of
 * `size` bytes in all, IANA_HEADER_SIZE of them here) cannot be one.  */
size_t iana_db_lookup_bytes(const void *header, size_t size);
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
    const char *proto_name;   /* "tcp", or a services file line's own */
    size_t proto_len;         /* its bytes with the NUL */
    uint16_t port_lo, port_hi;
    uint8_t proto;            /* enum iana_proto; IANA_NPROTO for a file line */
    uint32_t line;            /* a file line's number in its file, else 0 */
};
int iana_db_entry(const struct iana_db *db, uint32_t index, struct iana_view *v);
/* The same without counting the strings of the block: it lies inside
 * STRINGS, starts with a name and ends with a NUL, but may hold fewer than
 * 1 + nalias strings, so a caller that walks the aliases must stop at
 * names_len.  For the NSS module, which walks them anyway as it fills the
 * caller's buffer.  */
int iana_db_entry_bounded(const struct iana_db *db, uint32_t index, struct iana_view *v);

/* The answers as NSS sees them, in one numbering: 0 .. file_count - 1 are
 * the services file's lines, then file_count + i is registry entry i.  */
static inline int64_t iana_db_registry_entry(const struct iana_db *db, uint32_t answer)
{
    return answer >= db->file_count ? (int64_t)(answer - db->file_count) : -1;
}
/* The answer as a view: a registry entry, or a file line (iana_db_entry
 * and iana_db_entry_bounded's rules either way).  */
int iana_db_answer(const struct iana_db *db, uint32_t answer, struct iana_view *v);
int iana_db_answer_bounded(const struct iana_db *db, uint32_t answer, struct iana_view *v);

/* What `services: files iana` answers: the first line of the services
 * file with the name (or alias) and protocol string, exactly (NULL: any
 * protocol); else the registry's answer, whose names are matched exact
 * case first, then ASCII case-insensitive, and whose protocol is one of
 * the four in any case.  By port (host order): the first line with the
 * port and protocol, else the registry's.  `wide` says the caller's port
 * had bits above the low 16, which no line of a file can match (the
 * registry answers the low 16 bits, as it always has).  An answer, or -1.  */
int64_t iana_db_service_by_name(const struct iana_db *db, const char *name, const char *proto);
int64_t iana_db_service_by_port(const struct iana_db *db, uint16_t port, bool wide,
                                const char *proto);

/* An identity of the services (or protocols) file found to hold the bytes
 * a database merged, with its ctime: what a same-size edit cannot put
 * back, where it can put back the mtime.  */
struct iana_file_seen {
    struct iana_file_id id;
    int64_t ctime_sec;
    uint32_t ctime_nsec;
};

/* Whether the services file at `path` (IANA_SERVICES_FILE, in the module)
 * is still the one merged.  Its identity is compared with the one the
 * database recorded, which holds only while the file's ctime is older than
 * the database's mtime (a same-size edit that put the mtime back moved the
 * ctime), and with *known, an identity with its ctime already found to
 * hold the merged bytes; else, when the size is the same, the file is
 * read and hashed, and *known updated if its bytes are the merged ones.
 * Never blocks: a file that is not a regular file has changed.  */
enum iana_services_state {
    IANA_SERVICES_CURRENT, /* the file merged (or none was): answer */
    IANA_SERVICES_GONE,    /* merged, and deleted since: `files iana` is
                            * the registry alone now (iana_db_registry_only) */
    IANA_SERVICES_CHANGED, /* edited, replaced or created: step aside */
};
enum iana_services_state iana_db_services_state(const struct iana_db *db, const char *path,
                                                struct iana_file_seen *known);
/* *out: `db` without its services file's lines, answering as the
 * registry-only database would.  */
void iana_db_registry_only(const struct iana_db *db, struct iana_db *out);

/* The same for the protocols file (IANA_PROTOCOLS_FILE in the module)
 * and header.protocols: independent of the services file.  */
enum iana_services_state iana_db_protocols_state(const struct iana_db *db, const char *path,
                                                 struct iana_file_seen *known);
/* *out: `db` without its protocols file's lines.  */
void iana_db_protocols_registry_only(const struct iana_db *db, struct iana_db *out);

/* A protocols answer, checked: the block inside PROTO_STRINGS.  */
struct iana_proto_view {
    const char *names;        /* name, then aliases, NUL-separated */
    size_t names_len;         /* bytes of them all with their NULs */
    unsigned nalias;
    int32_t number;           /* p_proto */
    uint32_t line;            /* in the protocols file, or the CSV's */
    uint32_t flags;           /* IANA_PROTO_* */
    bool from_file;           /* a line of the protocols file */
};
/* As iana_db_answer: every string counted; _bounded, for the module, as
 * iana_db_entry_bounded (a caller walking the aliases stops at
 * names_len).  0, or -1 for an index that is no answer.  */
int iana_db_proto(const struct iana_db *db, uint32_t index, struct iana_proto_view *v);
int iana_db_proto_bounded(const struct iana_db *db, uint32_t index, struct iana_proto_view *v);
/* What `protocols: files iana` answers (format.h): an answer, or -1.  */
int64_t iana_db_proto_by_name(const struct iana_db *db, const char *name);
int64_t iana_db_proto_by_number(const struct iana_db *db, int number);
/* Enumeration: the answer `cursor` places after the first (the file's
 * lines, then the registry's); false at the end.  */
bool iana_db_proto_cursor_get(const struct iana_db *db, uint32_t cursor, uint32_t *answer);
/* The same, with the answer's view (_bounded), for the module.  */
bool iana_db_proto_cursor_view(const struct iana_db *db, uint32_t cursor, uint32_t *answer,
                               struct iana_proto_view *v);
/* For the tool: "" when absent.  */
const char *iana_db_proto_description(const struct iana_db *db, uint32_t answer);
const char *iana_db_proto_reference(const struct iana_db *db, uint32_t answer);
const char *iana_db_proto_source_path(const struct iana_db *db);
const char *iana_db_protocols_path(const struct iana_db *db);

/* Registry lookups: the entry index that answers, or -1.  `proto` is an enum
 * iana_proto or IANA_ANY_PROTO.  By name: exact case first, then ASCII
 * case-insensitive; the first entry in registry order wins.  By port (host
 * order): single-port entries before ranges, then registry order.  */
int64_t iana_db_by_name(const struct iana_db *db, const char *name, int proto);
int64_t iana_db_by_port(const struct iana_db *db, uint16_t port, int proto);

/* Enumeration of the answers: the file's lines, then the registry's
 * entries in registry order, range entries once per port.  */
struct iana_cursor {
    uint32_t entry;
    uint32_t port_offset;
};
/* The line under the cursor (an answer and its port): false at the end
 * (or on a damaged entry).  */
bool iana_db_cursor_get(const struct iana_db *db, const struct iana_cursor *c,
                        uint32_t *answer, uint16_t *port);
void iana_db_cursor_next(const struct iana_db *db, struct iana_cursor *c);

/* An enumeration that outlives a replacement of the database (the NSS
 * module's): "the same place" in the new file is just after the line given
 * last, found there by what it says (its names, protocol and ports, or
 * number), whatever lines were added or removed before or after it; if
 * the new file no longer has that line, the enumeration goes on from the
 * same answer number.  The module looks the place up again only after a
 * replacement; in between a step costs no more than a plain cursor.  */
struct iana_place {
    uint64_t head;      /* the first 8 bytes of its names, zero-padded */
    uint32_t answer;    /* its number in the database it was given from */
    uint32_t what;      /* port_lo | port_hi << 16, or the protocol number */
    uint16_t names_len;
    uint8_t kind;       /* enum iana_proto, IANA_NPROTO for a file line;
                         * protocols: whether a line of the file */
    bool set;           /* a line was given */
};
/* The line under the cursor, as the module copies it out (bounded views,
 * as iana_db_answer_bounded), and its place: false at the end.  The place
 * is taken with the view, from the same snapshot of the database, so that
 * what the module checks is still current checks it too.  */
bool iana_db_cursor_view(const struct iana_db *db, const struct iana_cursor *c,
                         struct iana_view *v, uint16_t *port, struct iana_place *here);
/* Past the line at `here` (from iana_db_cursor_view).  */
void iana_db_cursor_step(struct iana_cursor *c, const struct iana_place *here);
/* After a replacement: the cursor on, in `db`, just after *given.  */
void iana_db_cursor_resync(const struct iana_db *db, struct iana_cursor *c,
                           const struct iana_place *given);
/* The same for the protocols enumeration, whose cursor counts the answers
 * given (iana_db_proto_cursor_get): the place of answer `answer`.  */
void iana_db_proto_place(const struct iana_proto_view *v, uint32_t answer, struct iana_place *p);
void iana_db_proto_resync(const struct iana_db *db, uint32_t *cursor, const struct iana_place *given);

/* Metadata: "" when absent or out of bounds.  */
const char *iana_db_meta(const struct iana_db *db, uint32_t entry, enum iana_meta_field f);
/* The paths the database was compiled from (absolute), or "": the
 * registry CSV, and the services file merged.  */
const char *iana_db_source_path(const struct iana_db *db);
const char *iana_db_services_path(const struct iana_db *db);
/* Names registered without a port: index of the first ASCII case-
 * insensitive match in PORTLESS, or -1; and its fields.  */
int64_t iana_db_portless(const struct iana_db *db, const char *name);
const char *iana_db_portless_name(const struct iana_db *db, uint32_t index);
const char *iana_db_portless_meta(const struct iana_db *db, uint32_t index,
                                  enum iana_meta_field f);

#endif

/* The module's database in memory: what nss_iana.c answers from, kept
 * current (the database and the services file it merged are looked at
 * again at most twice a second), in memory that nothing done to the file
 * can take away, and bounded for the life of the process.
 *
 * Lookups take a snapshot (a copy of the view, under a generation count),
 * answer from it, and ask whether it still holds: if the database was
 * replaced meanwhile, what they read may be a mix, and they answer again.
 * A lookup writes no shared memory and takes no lock; it never waits for
 * another but a replacement in progress, for a few microseconds.  */
#ifndef NSS_IANA_MAPPING_H
#define NSS_IANA_MAPPING_H

#include <stdbool.h>
#include <stdint.h>

#include "db/reader.h"

/* The words of a view's lookups' part, as the mapping copies them.  */
#define MAPPING_VIEW_WORDS (IANA_DB_LOOKUP_BYTES / sizeof(uintptr_t))

struct snapshot {
    union {
        struct iana_db db; /* the view to answer from: of its first
                            * IANA_DB_LOOKUP_BYTES, the part's (the
                            * services or the protocols fields) */
        uintptr_t words[MAPPING_VIEW_WORDS];
    };
    uint64_t gen;
};

/* Which answers a lookup wants: each has its own file to be current
 * with (/etc/services, /etc/protocols), and a changed one makes only its
 * own lookups step aside.  */
enum mapping_part { MAPPING_SERVICES, MAPPING_PROTOCOLS };

/* The database to answer from, in *s: true, or false for UNAVAIL (none,
 * a damaged one, or one whose services file, or protocols file for
 * MAPPING_PROTOCOLS, is no longer the one on disk).  */
bool mapping_get(struct snapshot *s, enum mapping_part part);
/* Whether an answer computed from *s can be given: the database was not
 * replaced while it was being read.  */
bool mapping_still(const struct snapshot *s);

/* The module's locks: the reload's, and each enumeration cursor's.  The
 * reload's is taken with cancellation disabled (open, read and close are
 * cancellation points), and is robust: a thread that dies holding it
 * (cancelled asynchronously, which glibc 2.36 may do even just after the
 * thread disabled cancellation) passes it to the next, which mends what
 * the dead one left half done; it is made on first use (pthread_once, not
 * a constructor: no other thread can see it half made).  All are made
 * anew in a child after fork().  */
enum mapping_lock { MAPPING_RELOAD, MAPPING_SERVICES_CURSOR, MAPPING_PROTOCOLS_CURSOR,
                    MAPPING_NLOCKS };

/* An enumeration (getservent, getprotoent): its cursor, kept under its
 * lock, and the database it is over, kept current.  The two differ only
 * in what a line is, which `ops` says.  A replaced database is enumerated
 * on from just after the line given last (ops->resync).  */
struct mapping_cursor {
    uint64_t gen;            /* of the database the last line was given from */
    union {
        uint8_t bytes[96];   /* the part's own cursor (ops) */
        uint64_t align;
    } at;
};
struct mapping_enum_ops {
    enum mapping_part part;
    enum mapping_lock lock;
    /* After a replacement: the cursor on in `db`.  */
    void (*resync)(const struct iana_db *db, void *at);
    /* The line under the cursor into the caller's buffer, without moving:
     * SUCCESS, NOTFOUND at the end, TRYAGAIN with ERANGE (the retry gets
     * the same line), UNAVAIL.  */
    int (*give)(const struct iana_db *db, void *at, void *result, char *buffer, size_t buflen,
                int *errnop);
    /* Past the line just given.  */
    void (*step)(void *at);
};
/* One line, as nss's getXXent_r wants it (an enum nss_status).  */
int mapping_enumerate(const struct mapping_enum_ops *ops, struct mapping_cursor *c, void *result,
                      char *buffer, size_t buflen, int *errnop);
/* setXXent: the cursor back to the start, and its status (UNAVAIL
 * without a database); endXXent: the cursor back to the start only.  */
int mapping_rewind(const struct mapping_enum_ops *ops, struct mapping_cursor *c);
void mapping_end(const struct mapping_enum_ops *ops, struct mapping_cursor *c);

/* The database's path: $NSS_IANA_DB (not under AT_SECURE), or the
 * default, which *is_default says (its directory is checked too).  */
const char *mapping_db_path(bool *is_default);
/* In nscd: look at the files on every call (nscd flushes its cache when
 * they change, and would otherwise cache an old answer for hours).  */
void mapping_in_nscd(void);

#endif

/* Writing the database (format in db/format.h) from parsed entries.  */
#ifndef NSS_IANA_DB_WRITER_H
#define NSS_IANA_DB_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../parser/registry.h"
#include "../parser/protocols.h"
#include "../parser/protocols_file.h"
#include "../parser/services.h"
#include "format.h"

/* The registry column each metadata field is taken from.  */
extern const enum registry_column db_meta_column[IANA_NMETA];

/* What a database is built from: the registry's entries, the CSV they
 * came from, and the services file merged before them (NULL: none, the
 * registry alone, for use after `files`).  */
struct db_sources {
    const struct entry_set *set;
    const uint8_t *source_sha256;      /* [32], of the CSV */
    const char *source_path;           /* absolute, or NULL */
    const struct services_file *services;
    const char *services_path;         /* absolute, or NULL */
    /* The protocols answers: the protocol numbers registry's entries
     * (NULL: none) and the CSV they came from, and the protocols file
     * merged before them (NULL: none).  */
    const struct protocol_set *protocols;
    const uint8_t *protocols_sha256;   /* [32], or NULL */
    const char *protocols_source_path; /* absolute, or NULL */
    const struct protocols_file *protocols_file;
    const char *protocols_path;        /* absolute, or NULL */
};

/* Lays out the whole file in memory: *out is malloc'd.  Returns 0, or -1
 * with a message in err (too large for the format, out of memory).  */
int db_build(const struct db_sources *src, uint8_t **out, size_t *outlen, char *err,
             size_t errlen);

/* Replaces `path` atomically with `len` bytes: a temporary file in the same
 * directory, written, fsync'd, mode 0644 whatever the umask, renamed over
 * `path`, directory fsync'd.  On failure `path` is untouched and the temporary file removed.
 * Returns 0, or -1 with "PATH: reason" in err.  */
int db_write_file(const char *path, const uint8_t *data, size_t len,
                  char *err, size_t errlen);
/* The same; with DB_WRITE_IMMUTABLE the new file gets the immutable
 * attribute where the file system has it (root only), which the NSS
 * module takes as leave to map it shared.  A target that has it is
 * replaced all the same (cleared just before the rename).  */
#define DB_WRITE_IMMUTABLE 1u
/* FS_IMMUTABLE_FL of `path` set or cleared; false where it could not be
 * (a file system without it, not root, no such file).  */
bool db_set_immutable(const char *path, bool on);
/* FS_IMMUTABLE_FL of `path`: 1 set, 0 not set, -1 the file system has no
 * such attribute or `path` cannot be opened (errno says which).  */
int db_immutable_state(const char *path);
int db_write_file_flags(const char *path, const uint8_t *data, size_t len, unsigned flags,
                        char *err, size_t errlen);

/* A file beside the database, replaced in the same swap (DB.sources, the
 * registries update keeps): see db_write_files.  */
struct db_side_file {
    const char *path;
    const uint8_t *data;
    size_t len;
};
#define DB_MAX_SIDE_FILES 4
/* db_write_file_flags, and with it up to DB_MAX_SIDE_FILES files beside
 * it: every file written to a temporary file first; then the database's
 * immutable attribute cleared (where it fails, for want of
 * CAP_LINUX_IMMUTABLE, nothing has been replaced); then each side file
 * renamed into place, its previous version kept under a second name, and
 * the database renamed last; if that fails, every side file is put back
 * as it was.  So a failure leaves the database and every file beside it
 * as they were, and success replaces them all.  SIGTERM, SIGINT and
 * SIGHUP wait for the swap.  *attr_errno (if not NULL): 0, or why the
 * DB_WRITE_IMMUTABLE asked for could not be set (ENOTTY, EOPNOTSUPP: the
 * file system has no such attribute; EPERM: no CAP_LINUX_IMMUTABLE).
 * Returns 0, or -1 with "PATH: reason" in err.  */
int db_write_files(const char *path, const uint8_t *data, size_t len, unsigned flags,
                   const struct db_side_file *side, size_t nside, int *attr_errno, char *err,
                   size_t errlen);

/* From now on, a SIGTERM, SIGINT or SIGHUP that comes while db_write_file
 * has a temporary file removes that file before the process dies of the
 * signal as it would have (signals the caller ignores stay ignored).  For
 * a single-threaded program that writes one file at a time: the tool.  A
 * SIGKILL leaves the file; the tool's lock (cli/lock.h) sweeps it.  */
void db_write_cleanup_on_signals(void);

#endif

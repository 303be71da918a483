/* What a database is compiled from, kept beside it in DB.sources so that
 * the next `compile` with no CSV, `update` and the package's scripts build
 * from the same inputs even when the database itself cannot be read (it
 * fails verify, was cut short, or is of a format this version does not
 * know).  The database header records the same paths; it is the fallback
 * for a database written before DB.sources existed.
 *
 * The file is text, one "KEY VALUE" line each, '#' comments:
 *   registry PATH     the CSV compiled (absolute)
 *   services PATH     the services file merged, or "services none"
 *                     (compile --no-services)
 *   site PATH         a file of services(5) lines merged after the
 *                     services file's, as if appended to it: what an
 *                     iana-services 0.1.0 database held from `compile
 *                     --local PATH`, kept on upgrade so that no name is
 *                     lost (compile --no-site drops it)
 *   protocols PATH    the protocol numbers CSV compiled (absolute)
 *   protocols-file PATH
 *                     the protocols file merged, or "protocols-file none"
 *                     (compile --no-protocols-file)
 * Written with each database, in the same swap (db_write_files, under the
 * writers' lock): renamed into place just before the database, and put
 * back if the database's rename fails, so it is never behind the
 * database, nor ahead of one that was not installed.  */
#ifndef NSS_IANA_CLI_SOURCES_H
#define NSS_IANA_CLI_SOURCES_H

#include <stddef.h>

#include "../db/reader.h"

struct sources {
    char *registry;           /* NULL: not known */
    char *services;           /* NULL: none merged (when services_known) */
    int services_known;       /* 0: not known, use the default */
    char *site;               /* NULL: none */
    char *protocols;          /* the protocols CSV; NULL: not known */
    char *protocols_file;     /* NULL: none merged (when protocols_known) */
    int protocols_known;      /* 0: protocols-file not known, use the default */
};

/* DB.sources for `db`: malloc'd, or NULL (out of memory).  */
char *sources_path(const char *db);

/* What `db` was compiled from: DB.sources if it is there; else what the
 * database `cur` records (NULL: it could not be read); else, for a
 * database of iana-services 0.1.0 compiled with --local FILE, FILE as the
 * site.  A DB.sources that cannot be read or parsed is warned of, naming
 * it, and the database's record used instead.  Returns 0, or -1 (out of
 * memory).  */
int sources_load(const char *db, const struct iana_db *cur, struct sources *s, const char *who);

/* DB.sources's text for `db` (malloc'd, *len bytes), for a swap that
 * writes it with the database (db_write_files).  NULL with "PATH: reason"
 * in err.  */
char *sources_text(const char *db, const struct sources *s, size_t *len, char *err,
                   size_t errlen);

/* Writes DB.sources atomically.  Returns 0, or -1 with "PATH: reason" in
 * err.  */
int sources_save(const char *db, const struct sources *s, char *err, size_t errlen);

void sources_free(struct sources *s);

#endif

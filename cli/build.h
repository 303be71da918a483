/* What `compile` and `update` share: the registry's entries and the
 * services file merged before them, built into database bytes, checked,
 * and written in place of the old database.  */
#ifndef NSS_IANA_CLI_BUILD_H
#define NSS_IANA_CLI_BUILD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../db/reader.h"
#include "../parser/registry.h"
#include "../parser/protocols.h"
#include "../parser/protocols_file.h"
#include "../parser/services.h"

struct build {
    struct registry reg;          /* filled by the caller */
    struct entry_set set;
    struct services_file sf;
    int merged;                   /* sf holds a services file (maybe absent) */
    char *source_path;            /* absolute: recorded for rebuilds; set by
                                   * the caller for a registry read from
                                   * memory (the copy kept beside DB) */
    char *services_path;
    char *site_path;              /* lines merged after the services file's
                                   * (sources.h), or NULL */
    /* The protocols answers (build_protocols): the protocol numbers
     * registry, and the protocols file merged before it.  */
    struct protocol_registry preg;
    struct protocol_set pset;
    int preg_given;               /* preg filled by the caller (a download,
                                   * a pipe), proto_source_path too */
    int proto_read;               /* preg and pset hold the registry */
    struct protocols_file pf;
    int proto_merged;             /* pf holds a protocols file (maybe absent) */
    char *proto_source_path;      /* absolute */
    char *protocols_path;
    uint8_t *bytes;
    size_t len;
};

/* The services file a rebuild of `cur` merges: the one it merged (NULL if
 * it merged none, `compile --no-services`), or IANA_SERVICES_FILE for a
 * first build (cur NULL).  */
const char *build_services_of(const struct iana_db *cur);

/* The protocols file a rebuild of `cur` merges, as build_services_of:
 * the one it merged, NULL for none (--no-protocols-file), or
 * IANA_PROTOCOLS_FILE for a first build or a database that had none.  */
const char *build_protocols_of(const struct iana_db *cur);

/* What a rebuild compiles for the protocols, by DB.sources (sources.h):
 * the protocol numbers CSV recorded if it is still there, else the
 * bundled snapshot (in a source tree, SOURCE_TREE_PROTO_CSV); and the
 * protocols file recorded (NULL: none), else IANA_PROTOCOLS_FILE.  */
struct sources;
const char *build_protocols_csv_of(const struct sources *src);
const char *build_protocols_file_of(const struct sources *src);

#ifndef NSS_IANA_DEFAULT_PROTO_CSV
#define NSS_IANA_DEFAULT_PROTO_CSV "/usr/share/nss_iana/protocol-numbers-1.csv"
#endif
#define SOURCE_TREE_PROTO_CSV "data/protocol-numbers-1.csv"

/* The protocol numbers registry `csv` and the protocols file `file`
 * (NULL: none), read into b for build_database.  Messages on stderr, as
 * build_database's.  Returns 0, or -1.  */
int build_protocols(struct build *b, const char *csv, const char *file, const char *who);

/* `path` made absolute as given (from the working directory), symbolic
 * links kept: malloc'd, or NULL.  */
char *build_absolute(const char *path);

/* From b->reg (read from `csv`, recorded as the source when it names a
 * file): its entries (unless b->set has them already), the services file
 * `services` (NULL: none) with the lines of `site` after its own (NULL:
 * none; sources.h), and the database bytes, read back and verified.
 * Messages on stderr, prefixed "iana-services: WHO: ".  Returns 0, or -1.  */
int build_database(struct build *b, const char *csv, const char *services, const char *site,
                   const char *who);

/* Writes b->bytes to `db`, and beside it DB.sources (what b was built
 * from, sources.h) and the `nmore` files `more` (registries kept), in one
 * swap (db_write_files: a failure leaves them all as they were; a missing
 * directory is made, 0755).  The system's database is made immutable
 * where it can be; where it cannot, build_say_mutable says so.  Returns 0,
 * or -1 having said why.  */
struct db_side_file;
int build_write(const struct build *b, const char *db, const struct db_side_file *more,
                size_t nmore, const char *who);

/* One note on `out`: `db` is not immutable, why (`why`, an errno from
 * FS_IOC_GETFLAGS or FS_IOC_SETFLAGS), what that costs every process and
 * what to do.  */
void build_say_mutable(FILE *out, const char *db, int why, const char *who);

/* Warns on stderr when the registry or services file b records lies under
 * /home, /root, /tmp or /var/tmp and `db` does not: the systemd units
 * that update and rebuild the database run with ProtectHome=yes and
 * PrivateTmp=yes, so they would not see that file.  */
void build_warn_unseen(const struct build *b, const char *db, const char *who);

void build_free(struct build *b);

#endif

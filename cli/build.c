/* The shared end of compile and update: see build.h.  */
#define _GNU_SOURCE
#include "build.h"

#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../db/verify.h"
#include "../db/writer.h"
#include "sources.h"

#ifndef NSS_IANA_DEFAULT_DB
#define NSS_IANA_DEFAULT_DB "/var/lib/nss_iana/services.db"
#endif

const char *build_services_of(const struct iana_db *cur)
{
    if (!cur)
        return IANA_SERVICES_FILE;
    if (cur->services.state == IANA_FILE_NONE)
        return NULL;
    const char *p = iana_db_services_path(cur);
    return *p ? p : IANA_SERVICES_FILE;
}

const char *build_protocols_of(const struct iana_db *cur)
{
    if (!cur || !cur->proto_count)
        return IANA_PROTOCOLS_FILE;
    if (cur->protocols.state == IANA_FILE_NONE)
        return NULL;
    const char *p = iana_db_protocols_path(cur);
    return *p ? p : IANA_PROTOCOLS_FILE;
}

const char *build_protocols_csv_of(const struct sources *src)
{
    if (src->protocols && access(src->protocols, R_OK) == 0)
        return src->protocols;
    return access(NSS_IANA_DEFAULT_PROTO_CSV, R_OK) != 0 && access(SOURCE_TREE_PROTO_CSV, R_OK) == 0
               ? SOURCE_TREE_PROTO_CSV
               : NSS_IANA_DEFAULT_PROTO_CSV;
}

const char *build_protocols_file_of(const struct sources *src)
{
    return src->protocols_known ? src->protocols_file : IANA_PROTOCOLS_FILE;
}

/* An absolute spelling of `path` for the database, which later runs read
 * from another directory: as given, symbolic links kept.  A services or
 * protocols file is recorded so, and followed at each read: with
 * /etc/services a link (/etc/static/services, config management), the
 * next rebuild merges what it points at then, as nss_files reads it and
 * the module watches it.  */
char *build_absolute(const char *path)
{
    if (path[0] == '/')
        return strdup(path);
    while (path[0] == '.' && path[1] == '/')
        path += 2;
    char cwd[PATH_MAX], *abs = NULL;
    if (!getcwd(cwd, sizeof cwd) || asprintf(&abs, "%s/%s", cwd, path) < 0)
        return NULL;
    return abs;
}

/* A registry's path, resolved (/dev/stdin redirected from a file names
 * that file, not whatever stdin is at the next rebuild); a file that does
 * not exist keeps its name.  */
static char *resolved(const char *path)
{
    char *real = realpath(path, NULL);
    if (real || errno == ENOMEM)
        return real;
    return build_absolute(path);
}

/* The site's lines (sources.h) read and put after the services file's.
 * Unlike the services file, the site file must be there: it holds names
 * nothing else has.  */
static int merge_site(struct build *b, const char *site, const char *who)
{
    char err[512];
    struct services_file more;
    if (!b->merged) {
        fprintf(stderr, "iana-services: %s: %s: a site file is merged after a services file, "
                        "and none is (--no-services): compile --no-site, or --services FILE\n",
                who, site);
        return -1;
    }
    if (services_read(site, &more, stderr, err, sizeof err) < 0) {
        fprintf(stderr, "iana-services: %s: %s\n", who, err);
        return -1;
    }
    int rc = -1;
    if (!more.present)
        fprintf(stderr, "iana-services: %s: %s: %s (the site's names, merged since "
                        "iana-services 0.1.0's --local): put it back, or compile --no-site\n",
                who, site, strerror(ENOENT));
    else if (!b->sf.present)
        fprintf(stderr, "iana-services: %s: %s: the site's lines go after %s's, which does "
                        "not exist: create it (it may be empty)\n", who, site, b->sf.path);
    else if (!(b->site_path = build_absolute(site)) || services_append(&b->sf, &more) < 0)
        fprintf(stderr, "iana-services: %s: %s: %s\n", who, site, strerror(ENOMEM));
    else
        rc = 0;
    /* Every time, so that the journal keeps saying it.  */
    if (rc == 0)
        fprintf(stderr, "iana-services: %s: note: %s's lines are merged after %s's (the site "
                        "file of iana-services 0.1.0's --local); to have one file, move them "
                        "into %s and compile --no-site\n",
                who, site, b->sf.path, b->sf.path);
    services_free(&more);
    return rc;
}

int build_protocols(struct build *b, const char *csv, const char *file, const char *who)
{
    char err[512];
    if (!b->preg_given && protocols_read(csv, &b->preg, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    if (protocol_entries(&b->preg, &b->pset, stderr) < 0) {
        fprintf(stderr, "iana-services: %s: %s: %s\n", who, csv, strerror(ENOMEM));
        return -1;
    }
    b->proto_read = 1;
    struct stat sb;
    if (!b->proto_source_path && stat(csv, &sb) == 0 && S_ISREG(sb.st_mode) &&
        !(b->proto_source_path = resolved(csv))) {
        fprintf(stderr, "iana-services: %s: %s: %s\n", who, csv, strerror(errno));
        return -1;
    }
    if (!file)
        return 0;
    if (protocols_file_read(file, &b->pf, stderr, err, sizeof err) < 0) {
        fprintf(stderr, "iana-services: %s: %s\n", who, err);
        return -1;
    }
    b->proto_merged = 1;
    if (!(b->protocols_path = build_absolute(file))) {
        fprintf(stderr, "iana-services: %s: %s: %s\n", who, file, strerror(errno));
        return -1;
    }
    return 0;
}

int build_database(struct build *b, const char *csv, const char *services, const char *site,
                   const char *who)
{
    char err[512];
    if (!b->set.entries && registry_entries(&b->reg, &b->set, stderr) < 0) {
        fprintf(stderr, "iana-services: %s: %s: %s\n", who, csv, strerror(ENOMEM));
        return -1;
    }
    struct stat sb;
    if (!b->source_path && stat(csv, &sb) == 0 && S_ISREG(sb.st_mode) &&
        !(b->source_path = resolved(csv))) {
        fprintf(stderr, "iana-services: %s: %s: %s\n", who, csv, strerror(errno));
        return -1;
    }
    if (services) {
        if (services_read(services, &b->sf, stderr, err, sizeof err) < 0) {
            fprintf(stderr, "iana-services: %s: %s\n", who, err);
            return -1;
        }
        b->merged = 1;
        if (!(b->services_path = build_absolute(services))) {
            fprintf(stderr, "iana-services: %s: %s: %s\n", who, services, strerror(errno));
            return -1;
        }
    }
    if (site && merge_site(b, site, who) < 0)
        return -1;
    const struct db_sources src = {
        .set = &b->set,
        .source_sha256 = b->reg.sha256,
        .source_path = b->source_path,
        .services = b->merged ? &b->sf : NULL,
        .services_path = b->services_path,
        .protocols = b->proto_read ? &b->pset : NULL,
        .protocols_sha256 = b->proto_read ? b->preg.sha256 : NULL,
        .protocols_source_path = b->proto_source_path,
        .protocols_file = b->proto_merged ? &b->pf : NULL,
        .protocols_path = b->protocols_path,
    };
    if (db_build(&src, &b->bytes, &b->len, err, sizeof err) < 0) {
        fprintf(stderr, "iana-services: %s: %s: %s\n", who, csv, err);
        return -1;
    }
    /* Read back and verified before it replaces anything: a compiler bug
     * must not reach every process on the system.  */
    struct iana_db fresh;
    const char *why = NULL;
    if (iana_db_view(b->bytes, b->len, &fresh, &why) < 0 || iana_db_verify(&fresh, &why) < 0) {
        fprintf(stderr, "iana-services: %s: compiled database does not verify: %s\n", who,
                why ? why : "?");
        return -1;
    }
    return 0;
}

int build_write(const struct build *b, const char *db, const struct db_side_file *more,
                size_t nmore, const char *who)
{
    char err[512];
    /* The system's database is made immutable (where it can be), so that
     * every process shares its pages instead of a private copy each; a
     * database anywhere else is left as an ordinary file.  */
    bool system_db = strcmp(db, NSS_IANA_DEFAULT_DB) == 0;
    unsigned flags = system_db ? DB_WRITE_IMMUTABLE : 0;
    /* Its directory may not be there yet on a new system: made 0755
     * whatever the umask (with umask 077 it would be 0700, and every other
     * user's lookups would quietly find nothing).  */
    if (system_db) {
        char *dir = strdup(db), *slash = dir ? strrchr(dir, '/') : NULL;
        if (slash && slash != dir) {
            *slash = '\0';
            if (mkdir(dir, 0755) == 0)
                chmod(dir, 0755);
        }
        free(dir);
    }
    /* What it was built from first: a database is never ahead of the
     * record the next rebuild reads.  */
    const struct sources rec = {
        .registry = b->source_path,
        .services = b->merged ? b->services_path : NULL,
        .services_known = 1,
        .site = b->site_path,
        .protocols = b->proto_source_path,
        .protocols_file = b->proto_merged ? b->protocols_path : NULL,
        .protocols_known = b->proto_read,
    };
    char *spath = sources_path(db), *text = NULL;
    size_t tlen = 0;
    struct db_side_file side[DB_MAX_SIDE_FILES];
    int attr_errno = 0, rc = -1;
    if (!spath) {
        fprintf(stderr, "iana-services: %s: %s: %s\n", who, db, strerror(ENOMEM));
        return -1;
    }
    if (nmore + 1 > DB_MAX_SIDE_FILES) {
        fprintf(stderr, "iana-services: %s: %s: too many files beside it\n", who, db);
        goto out;
    }
    if (!(text = sources_text(db, &rec, &tlen, err, sizeof err))) {
        fprintf(stderr, "iana-services: %s: %s\n", who, err);
        goto out;
    }
    /* The files beside it and the database in one swap (db_write_files):
     * DB.sources and the registries kept are replaced only if the
     * database is, so a writer that fails (a unit without
     * CAP_LINUX_IMMUTABLE) leaves every file as it was.  */
    for (size_t i = 0; i < nmore; i++)
        side[i] = more[i];
    side[nmore] = (struct db_side_file){spath, (const uint8_t *)text, tlen};
    if (db_write_files(db, b->bytes, b->len, flags, side, nmore + 1, &attr_errno, err,
                       sizeof err) < 0) {
        fprintf(stderr, "iana-services: %s: %s\n", who, err);
        goto out;
    }
    if (system_db && attr_errno)
        build_say_mutable(stderr, db, attr_errno, who);
    rc = 0;
out:
    free(text);
    free(spath);
    return rc;
}

void build_say_mutable(FILE *out, const char *db, int why, const char *who)
{
    const char *reason = why == EPERM || why == EACCES
                             ? "it was written without CAP_LINUX_IMMUTABLE, or a writer "
                               "was stopped before it could set it again"
                             : "its file system has no immutable attribute (tmpfs, overlayfs, "
                               "some network file systems)";
    fprintf(out, "iana-services: %s: note: %s is not immutable: %s (%s).  The module then keeps "
                 "a private copy of it in every process that looks up a service or protocol, "
                 "about 450 KiB each, where an immutable one is shared; to share it, keep %s on "
                 "a file system with the attribute (ext4, xfs, btrfs) and compile it as root "
                 "with CAP_LINUX_IMMUTABLE (the systemd units keep it)\n",
            who, db, reason, strerror(why), db);
}

/* The directories the units' sandbox hides (or replaces by an empty
 * private one); NULL if `path` is under none of them.  */
static const char *hidden_from_units(const char *path)
{
    static const char *const hidden[] = {"/home", "/root", "/tmp", "/var/tmp"};
    for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++) {
        size_t n = strlen(hidden[i]);
        if (strncmp(path, hidden[i], n) == 0 && (path[n] == '/' || path[n] == '\0'))
            return hidden[i];
    }
    return NULL;
}

void build_warn_unseen(const struct build *b, const char *db, const char *who)
{
    /* A database there is not one the units keep: nothing to warn of.  */
    char *db_abs = resolved(db);
    if (!db_abs || hidden_from_units(db_abs)) {
        free(db_abs);
        return;
    }
    free(db_abs);
    const char *const files[] = {b->source_path, b->services_path, b->proto_source_path,
                                 b->protocols_path};
    for (size_t i = 0; i < 4; i++) {
        const char *dir = files[i] ? hidden_from_units(files[i]) : NULL;
        if (dir)
            fprintf(stderr, "iana-services: %s: warning: %s is under %s, which the systemd "
                            "units hide (ProtectHome=yes, PrivateTmp=yes): the weekly update "
                            "and the rebuild when /etc/services changes will not see it\n",
                    who, files[i], dir);
    }
}

void build_free(struct build *b)
{
    free(b->bytes);
    free(b->source_path);
    free(b->services_path);
    free(b->site_path);
    services_free(&b->sf);
    free(b->proto_source_path);
    free(b->protocols_path);
    protocols_file_free(&b->pf);
    protocol_set_free(&b->pset);
    protocols_free(&b->preg);
    entry_set_free(&b->set);
    registry_free(&b->reg);
    memset(b, 0, sizeof *b);
}

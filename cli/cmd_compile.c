/* iana-services compile: the registry, the services and protocols files
 * and the site's entries into the database, and its summary.  */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../db/reader.h"
#include "../db/verify.h"
#include "../db/writer.h"
#include "../parser/registry.h"
#include "../parser/table.h"
#include "build.h"
#include "export.h"
#include "lock.h"
#include "nsswitch.h"
#include "protocols.h"
#include "sources.h"
#include "commands.h"
#include "update.h"


static void print_summary(const char *csv, const char *db, const struct build *b)
{
    const struct entry_summary *s = &b->set.summary;
    printf("compiled %s -> %s (%zu bytes)\n", csv, db, b->len);
    if (!b->merged)
        printf("  services file         none (--no-services): the registry alone, for "
               "\"services: files iana\"\n");
    else if (!b->sf.present)
        printf("  services file         %s: none there; the registry alone until one "
               "appears\n", b->sf.path);
    else
        printf("  services file         %s: %zu lines answer first, as nss_files reads "
               "them; %zu lines it skips\n", b->sf.path, b->sf.nlines, b->sf.rejected);
    printf("  rows read             %zu\n", s->rows);
    printf("  entries               %zu (tcp %zu, udp %zu, sctp %zu, dccp %zu)\n", s->entries,
           s->per_proto[IANA_TCP], s->per_proto[IANA_UDP], s->per_proto[IANA_SCTP],
           s->per_proto[IANA_DCCP]);
    printf("  aliases folded        %zu", s->aliases_folded);
    if (s->aliases_unfolded)
        printf(", and %zu served as entries of their own (an entry's names take at most "
               "255 bytes)", s->aliases_unfolded);
    putchar('\n');
    printf("  port ranges           %zu\n", s->ranges);
    printf("  names without a port  %zu (DNS-SD; kept for lookup, not served)\n", s->portless);
    printf("  rows skipped          %zu without a service name, %zu with a name that is "
           "not a printable-ASCII token\n", s->skipped_unnamed, s->skipped_bad_name);
    if (s->range_overlaps)
        printf("  warnings              %zu ranges before a single-port entry on their ports\n",
               s->range_overlaps);
    protocols_summary(stdout, b);
}

/* The registry to compile when none is named: the one the database was
 * compiled from (after an update, the download it kept; DB.sources says,
 * sources.h), if that file is still there; else the bundled snapshot.
 * Returns the path, owned, or NULL (out of memory).  */
static char *registry_to_rebuild(const char *db, const struct sources *src)
{
    const char *bundled = access(NSS_IANA_DEFAULT_CSV, R_OK) != 0 &&
                                  access(SOURCE_TREE_CSV, R_OK) == 0
                              ? SOURCE_TREE_CSV
                              : NSS_IANA_DEFAULT_CSV;
    if (!src->registry || access(src->registry, R_OK) != 0)
        return strdup(bundled);
    const char *recorded = src->registry;
    /* A package upgrade may ship a snapshot newer than the download an
     * update once kept: the newer of the two, by the newest date in each.  */
    struct registry kept, ship;
    char err[512];
    const char *pick = recorded;
    char *real_bundled = realpath(bundled, NULL);
    if (real_bundled && strcmp(real_bundled, recorded) != 0 &&
        registry_read(recorded, &kept, err, sizeof err) == 0) {
        if (registry_read(bundled, &ship, err, sizeof err) == 0) {
            if (strcmp(registry_newest_date(&ship), registry_newest_date(&kept)) > 0) {
                fprintf(stderr, "iana-services: compile: %s (newest entry %s) is newer than %s "
                                "(newest entry %s), which %s was compiled from: compiling it\n",
                        bundled, registry_newest_date(&ship), recorded,
                        registry_newest_date(&kept), db);
                pick = bundled;
            }
            registry_free(&ship);
        }
        registry_free(&kept);
    }
    free(real_bundled);
    return strdup(pick);
}

/* Whether `path` names something that is read once (a pipe: compile
 * /dev/stdin, <(curl ...); a terminal), not a file a rebuild can read
 * again.  */
static int read_once(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode);
}

/* A registry named on the command line that is read once: its bytes read
 * to the end (*data, *len, malloc'd), and where they will be kept beside
 * the database, DB`suffix` (*kept, malloc'd), in the swap that installs it
 * (build_write), so that the next rebuild, which compiles what DB.sources
 * names, compiles this registry again and not the bundled snapshot;
 * say_kept says so once it parses.  */
static int keep_read_once(const char *path, const char *db, const char *suffix, size_t max,
                          char **data, size_t *len, char **kept)
{
    char err[512];
    if (table_slurp_stream(path, max, data, len, err, sizeof err) < 0) {
        fprintf(stderr, "iana-services: compile: %s\n", err);
        return -1;
    }
    if (asprintf(kept, "%s%s", db, suffix) < 0) {
        *kept = NULL;
        fprintf(stderr, "iana-services: compile: %s\n", strerror(ENOMEM));
        return -1;
    }
    return 0;
}

static void say_kept(const char *path, const char *kept, const char *db)
{
    fprintf(stderr, "iana-services: compile: note: %s can be read only once (a pipe), and the "
                    "next rebuild could not read it again: kept as %s, which %s.sources names\n",
            path, kept, db);
}

int cmd_compile(int argc, char **argv)
{
    static const char usage[] = "[--output DB] [--services FILE | --no-services] [--no-site]\n"
                                "       [--protocols CSV] [--protocols-file FILE | --no-protocols-file] [CSV]";
    static const char help[] =
        "Compile IANA's Service Name and Transport Protocol Port Number Registry\n"
        "(CSV) and the services file into the nss-iana database, replacing DB\n"
        "atomically.  The database then answers every query exactly as glibc does\n"
        "with \"services: files iana\": the services file's lines first, read as\n"
        "nss_files reads them, then the registry; the module steps aside (UNAVAIL)\n"
        "whenever the services file is no longer the one merged, until the next\n"
        "compile, so \"services: iana [!UNAVAIL=return] files\" stays exact.\n\n"
        "  CSV            default: the registry DB was compiled from, if it is still\n"
        "                 there (after update, the download it keeps),\n"
        "                 else " NSS_IANA_DEFAULT_CSV ",\n"
        "                 or " SOURCE_TREE_CSV " in a source tree\n"
        "  --output DB, --db DB\n"
        "                 default: $NSS_IANA_DB, else " NSS_IANA_DEFAULT_DB "\n"
        "  --services FILE\n"
        "                 merge FILE (default: the file DB merged, else " IANA_SERVICES_FILE ");\n"
        "                 a missing file is recorded as missing\n"
        "  --no-services  the registry alone, for \"services: files iana\"\n"
        "  --no-site      stop merging the site file: the lines of the file an\n"
        "                 iana-services 0.1.0 database was compiled with --local,\n"
        "                 merged after the services file's since the upgrade\n"
        "  --protocols CSV\n"
        "                 IANA's Assigned Internet Protocol Numbers registry\n"
        "                 (default: the one DB was compiled from, if still there,\n"
        "                 else " NSS_IANA_DEFAULT_PROTO_CSV ",\n"
        "                 or " SOURCE_TREE_PROTO_CSV " in a source tree)\n"
        "  --protocols-file FILE\n"
        "                 merge FILE into the protocols answers, as --services does\n"
        "                 for services (default: the file DB merged, else\n"
        "                 " IANA_PROTOCOLS_FILE "): \"protocols: files iana\" exactly\n"
        "  --no-protocols-file\n"
        "                 the protocols registry alone, for \"protocols: files iana\"\n\n"
        "What DB was compiled from is kept in DB.sources, which compile with no\n"
        "CSV and update read, so a rebuild uses the same inputs even when DB\n"
        "itself cannot be read.\n\n"
        "A malformed CSV stops it with FILE:LINE: message and exit status 1, and\n"
        "DB is left as it was.  Lines of the services file that nss_files skips\n"
        "are skipped too, with a warning naming FILE:LINE.\n\n"
        "One writer at a time: compile holds the lock DB.lock (as update does)\n"
        "from reading DB to replacing it, and waits, saying for whom, while\n"
        "another writer holds it.  A registry or services file under /home,\n"
        "/root, /tmp or /var/tmp is warned of: the systemd units do not see it.\n";
    struct common o;
    int rc = parse_common(argc, argv, "compile", usage, help, TAKES_SERVICES, &o);
    if (rc >= 0)
        return rc;
    if (argc - optind > 1)
        return usage_error("compile", usage);

    /* From reading the current database (which registry, which services
     * file) to the rename: another writer's result is never lost.  */
    int lock = db_lock(o.db, "compile");
    if (lock < 0)
        return EXIT_FAILURE;
    struct iana_db cur;
    const char *why;
    int have_cur = iana_db_open(o.db, &cur, &why) == 0;
    struct sources src;
    struct build b = {0};
    char err[512], *owned_csv = NULL;
    char *piped = NULL, *ppiped = NULL, *kept_csv = NULL, *kept_pcsv = NULL;
    size_t piped_len = 0, ppiped_len = 0, nkeep = 0;
    struct db_side_file keep[2];
    rc = EXIT_FAILURE;
    if (sources_load(o.db, have_cur ? &cur : NULL, &src, "compile") < 0 ||
        !(owned_csv = registry_to_rebuild(o.db, &src))) {
        fprintf(stderr, "iana-services: compile: %s\n", strerror(ENOMEM));
        goto out;
    }
    const char *csv = optind < argc ? argv[optind] : owned_csv;
    const char *services = src.services_known ? src.services : IANA_SERVICES_FILE;
    if (o.services || o.no_services)
        services = o.no_services ? NULL : o.services;
    const char *site = o.no_site ? NULL : src.site;
    const char *proto_csv = o.protocols_csv ? o.protocols_csv : build_protocols_csv_of(&src);
    const char *proto_file = build_protocols_file_of(&src);
    if (o.protocols_file || o.no_protocols_file)
        proto_file = o.no_protocols_file ? NULL : o.protocols_file;
    /* A registry given on a pipe is kept beside the database (DB.csv,
     * DB.protocols.csv, as update keeps its downloads).  */
    if (optind < argc && read_once(csv)) {
        if (keep_read_once(csv, o.db, ".csv", REGISTRY_MAX_BYTES, &piped, &piped_len,
                           &kept_csv) < 0)
            goto out;
        if (registry_parse(csv, piped, piped_len, &b.reg, err, sizeof err) < 0) {
            fprintf(stderr, "%s\n", err);
            goto out;
        }
        if (!(b.source_path = build_absolute(kept_csv))) {
            fprintf(stderr, "iana-services: compile: %s\n", strerror(ENOMEM));
            goto out;
        }
        say_kept(csv, kept_csv, o.db);
        keep[nkeep++] = (struct db_side_file){kept_csv, (const uint8_t *)piped, piped_len};
    } else if (registry_read(csv, &b.reg, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        if (optind == argc)
            fprintf(stderr, "iana-services: compile: %s is the registry %s.sources names: "
                            "compile CSV names another\n", csv, o.db);
        goto out;
    }
    if (o.protocols_csv && read_once(proto_csv)) {
        if (keep_read_once(proto_csv, o.db, ".protocols.csv", PROTOCOLS_MAX_BYTES, &ppiped,
                           &ppiped_len, &kept_pcsv) < 0)
            goto out;
        if (protocols_parse(proto_csv, ppiped, ppiped_len, &b.preg, err, sizeof err) < 0) {
            fprintf(stderr, "%s\n", err);
            goto out;
        }
        b.preg_given = 1;
        if (!(b.proto_source_path = build_absolute(kept_pcsv))) {
            fprintf(stderr, "iana-services: compile: %s\n", strerror(ENOMEM));
            goto out;
        }
        say_kept(proto_csv, kept_pcsv, o.db);
        keep[nkeep++] = (struct db_side_file){kept_pcsv, (const uint8_t *)ppiped, ppiped_len};
    }
    if (build_protocols(&b, proto_csv, proto_file, "compile") < 0 ||
        build_database(&b, csv, services, site, "compile") < 0 ||
        build_write(&b, o.db, keep, nkeep, "compile") < 0)
        goto out;
    build_warn_unseen(&b, o.db, "compile");
    print_summary(csv, o.db, &b);
    rc = EXIT_SUCCESS;
out:
    build_free(&b);
    sources_free(&src);
    free(owned_csv);
    free(piped);
    free(ppiped);
    free(kept_csv);
    free(kept_pcsv);
    if (have_cur)
        iana_db_close(&cur);
    db_unlock(lock);
    return rc;
}

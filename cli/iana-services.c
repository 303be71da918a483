/* iana-services: compile, look up, export and verify the nss-iana database,
 * and switch the module on and off in nsswitch.conf.  Lookups go through
 * db/ exactly as the NSS module's do.  */
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
#include "update.h"

#ifndef NSS_IANA_DEFAULT_DB
#define NSS_IANA_DEFAULT_DB "/var/lib/nss_iana/services.db"
#endif
#ifndef NSS_IANA_DEFAULT_CSV
#define NSS_IANA_DEFAULT_CSV "/usr/share/nss_iana/service-names-port-numbers.csv"
#endif
#define SOURCE_TREE_CSV "data/service-names-port-numbers.csv"

/* 2 for usage, as getopt tools have it; a miss gets a code of its own so
 * that a script can tell "not registered" from "called wrongly".  */
enum { EXIT_USAGE = 2, EXIT_NOTFOUND = 3 };

static const char *default_db(void)
{
    const char *env = secure_getenv("NSS_IANA_DB");
    return env && *env ? env : NSS_IANA_DEFAULT_DB;
}

static int usage_error(const char *cmd, const char *usage)
{
    fprintf(stderr, "usage: iana-services %s %s\nTry 'iana-services %s --help'.\n", cmd, usage, cmd);
    return EXIT_USAGE;
}

/* Options every subcommand shares: --db DB (and --output DB), --help,
 * and -v where it means something; and those only some take, named in
 * `takes`.  Returns -1 to go on, else an exit code. */
enum { TAKES_SERVICES = 1, TAKES_NSSWITCH = 2, TAKES_PROTOCOL = 4, TAKES_PROTOCOLS = 8,
       TAKES_PORTABLE = 16 };

struct common {
    const char *db;
    int verbose;
    const char *services;     /* compile --services FILE */
    int no_services;          /* compile --no-services */
    int no_site;              /* compile --no-site */
    const char *nsswitch;     /* enable/disable --nsswitch FILE */
    const char *only;         /* enable/disable --only services|protocols */
    const char *protocols_csv;   /* compile --protocols CSV */
    const char *protocols_file;  /* compile --protocols-file FILE */
    int no_protocols_file;       /* compile --no-protocols-file */
    int protocol;                /* lookup --protocol: QUERYs are protocols */
    int protocols;               /* export --protocols */
    int portable;                /* export --portable */
};

static int parse_common(int argc, char **argv, const char *cmd, const char *usage,
                        const char *help, unsigned takes, struct common *o)
{
    const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},
        {"output", required_argument, NULL, 'o'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"services", required_argument, NULL, 's'},
        {"no-services", no_argument, NULL, 'S'},
        {"no-site", no_argument, NULL, 'L'},
        {"local", required_argument, NULL, 'l'},
        {"nsswitch", required_argument, NULL, 'n'},
        {"only", required_argument, NULL, 'O'},
        /* compile's --protocols takes the CSV; export's is a switch.  */
        {"protocols", (takes & TAKES_SERVICES) ? required_argument : no_argument, NULL, 'P'},
        {"protocols-file", required_argument, NULL, 'F'},
        {"no-protocols-file", no_argument, NULL, 'N'},
        {"protocol", no_argument, NULL, 'p'},
        {"portable", no_argument, NULL, 'R'},
        {0},
    };
    int c;
    o->db = default_db();
    o->verbose = 0;
    o->services = NULL;
    o->no_services = 0;
    o->no_site = 0;
    o->nsswitch = NSSWITCH_CONF;
    o->only = NULL;
    o->protocols_csv = o->protocols_file = NULL;
    o->no_protocols_file = o->protocol = o->protocols = o->portable = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
        case 'o':
            o->db = optarg;
            break;
        case 'v':
            o->verbose = 1;
            break;
        case 's':
            /* One file: a second would silently replace the first.  */
            if (!(takes & TAKES_SERVICES) || o->services || o->no_services)
                return usage_error(cmd, usage);
            o->services = optarg;
            break;
        case 'S':
            if (!(takes & TAKES_SERVICES) || o->services)
                return usage_error(cmd, usage);
            o->no_services = 1;
            break;
        case 'L':
            if (!(takes & TAKES_SERVICES))
                return usage_error(cmd, usage);
            o->no_site = 1;
            break;
        case 'l':
            /* compile --local, before the services file was merged.  */
            fprintf(stderr, "iana-services: %s: --local is gone: put the site's lines in "
                            "/etc/services, which compile merges (see --services)\n", cmd);
            return EXIT_USAGE;
        case 'n':
            if (!(takes & TAKES_NSSWITCH))
                return usage_error(cmd, usage);
            o->nsswitch = optarg;
            break;
        case 'O':
            if (!(takes & TAKES_NSSWITCH) || o->only ||
                (strcmp(optarg, "services") != 0 && strcmp(optarg, "protocols") != 0))
                return usage_error(cmd, usage);
            o->only = optarg;
            break;
        case 'P':
            if (takes & TAKES_SERVICES) {
                if (o->protocols_csv)
                    return usage_error(cmd, usage);
                o->protocols_csv = optarg;
            } else if (takes & TAKES_PROTOCOLS) {
                o->protocols = 1;
            } else {
                return usage_error(cmd, usage);
            }
            break;
        case 'R':
            if (!(takes & TAKES_PORTABLE))
                return usage_error(cmd, usage);
            o->portable = 1;
            break;
        case 'F':
            if (!(takes & TAKES_SERVICES) || o->protocols_file || o->no_protocols_file)
                return usage_error(cmd, usage);
            o->protocols_file = optarg;
            break;
        case 'N':
            if (!(takes & TAKES_SERVICES) || o->protocols_file)
                return usage_error(cmd, usage);
            o->no_protocols_file = 1;
            break;
        case 'p':
            if (!(takes & TAKES_PROTOCOL))
                return usage_error(cmd, usage);
            o->protocol = 1;
            break;
        case 'h':
            printf("usage: iana-services %s %s\n\n%s", cmd, usage, help);
            return EXIT_SUCCESS;
        default:
            return usage_error(cmd, usage);
        }
    }
    return -1;
}

static int open_db(const char *path, struct iana_db *db)
{
    const char *why = NULL;
    if (iana_db_open(path, db, &why) < 0) {
        fprintf(stderr, "iana-services: %s: %s\n", path, why ? why : strerror(errno));
        return -1;
    }
    return 0;
}

/* Whitespace and control characters folded to single spaces, so a
 * description fits on one services(5) line.  */
static void print_flat(FILE *out, const char *s)
{
    int space = 0, started = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c == 0x7f) {
            space = started;
            continue;
        }
        if (space)
            fputc(' ', out);
        fputc(c, out);
        space = 0;
        started = 1;
    }
}

/* One services(5) line: name port/proto aliases [# description], for an
 * answer (a services file line, or a registry entry).  */
static void print_line(FILE *out, const struct iana_db *db, uint32_t answer, uint16_t port,
                       int with_description)
{
    struct iana_view v;
    if (iana_db_answer(db, answer, &v) < 0)
        return;
    fprintf(out, "%-15s %u/%s", v.names, port, v.proto_name);
    const char *a = v.names;
    for (unsigned i = 0; i < v.nalias; i++) {
        a += strlen(a) + 1;
        fprintf(out, " %s", a);
    }
    int64_t entry = iana_db_registry_entry(db, answer);
    const char *desc = entry < 0 ? "" : iana_db_meta(db, (uint32_t)entry, IANA_META_DESCRIPTION);
    if (with_description && *desc) {
        fputs("  # ", out);
        print_flat(out, desc);
    }
    fputc('\n', out);
}

static void print_meta(const char *(*get)(const struct iana_db *, uint32_t, enum iana_meta_field),
                       const struct iana_db *db, uint32_t index)
{
    static const char *const label[IANA_NMETA] = {
        [IANA_META_DESCRIPTION] = "description",
        [IANA_META_ASSIGNEE] = "assignee",
        [IANA_META_CONTACT] = "contact",
        [IANA_META_REGISTERED] = "registered",
        [IANA_META_MODIFIED] = "modified",
        [IANA_META_REFERENCE] = "reference",
    };
    for (int f = 0; f < IANA_NMETA; f++) {
        const char *s = get(db, index, (enum iana_meta_field)f);
        if (!*s)
            continue;
        printf("    %-12s ", label[f]);
        print_flat(stdout, s);
        putchar('\n');
    }
}

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

static int cmd_compile(int argc, char **argv)
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

/* "http", "http/tcp", "443", "443/udp", "cl/1": the part after the last '/'
 * is a protocol only if it names one.  */
static int lookup_one(const struct iana_db *db, const char *query, int verbose)
{
    char *q = strdup(query);
    if (!q)
        return -1;
    int proto = IANA_ANY_PROTO;
    char *slash = strrchr(q, '/');
    if (slash && iana_proto_code(slash + 1) >= 0 && slash[1]) {
        proto = iana_proto_code(slash + 1);
        *slash = '\0';
    }
    int is_port = *q != '\0' && strspn(q, "0123456789") == strlen(q) && strlen(q) <= 5 &&
                  atol(q) <= 65535;
    int found = 0;
    /* Without a protocol, answer for each protocol, in registry order.  */
    int64_t hits[IANA_NPROTO];
    int nhits = 0;
    for (int p = 0; p < IANA_NPROTO; p++) {
        if (proto != IANA_ANY_PROTO && p != proto)
            continue;
        const char *pn = iana_proto_name((unsigned)p);
        int64_t h = is_port ? iana_db_service_by_port(db, (uint16_t)atol(q), false, pn)
                            : iana_db_service_by_name(db, q, pn);
        if (h >= 0)
            hits[nhits++] = h;
    }
    for (int i = 1; i < nhits; i++) /* few: insertion sort */
        for (int k = i; k > 0 && hits[k] < hits[k - 1]; k--) {
            int64_t t = hits[k];
            hits[k] = hits[k - 1];
            hits[k - 1] = t;
        }
    for (int i = 0; i < nhits; i++) {
        struct iana_view v;
        if (iana_db_answer(db, (uint32_t)hits[i], &v) < 0)
            continue;
        print_line(stdout, db, (uint32_t)hits[i], is_port ? (uint16_t)atol(q) : v.port_lo, 0);
        if (verbose) {
            if (v.port_lo != v.port_hi)
                printf("    %-12s %u-%u\n", "ports", v.port_lo, v.port_hi);
            int64_t entry = iana_db_registry_entry(db, (uint32_t)hits[i]);
            if (entry < 0)
                printf("    %-12s %s line %u\n", "from", iana_db_services_path(db), v.line);
            else
                print_meta(iana_db_meta, db, (uint32_t)entry);
        }
        found = 1;
    }
    if (!found && !is_port) {
        int64_t pl = iana_db_portless(db, q);
        if (pl >= 0) {
            printf("%s: registered without a port (DNS-SD service name); "
                   "not served through NSS\n", iana_db_portless_name(db, (uint32_t)pl));
            if (verbose)
                print_meta(iana_db_portless_meta, db, (uint32_t)pl);
            found = 1;
        }
    }
    if (!found)
        fprintf(stderr, "iana-services: %s: not found\n", query);
    free(q);
    return found;
}

static int cmd_lookup(int argc, char **argv)
{
    static const char usage[] = "[-v] [--db DB] [--protocol] QUERY...";
    static const char help[] =
        "Look up services as the NSS module answers them.  QUERY is a name (http),\n"
        "name/protocol (http/tcp), port (443) or port/protocol (443/udp); the part\n"
        "after the last '/' is a protocol only if it is one (cl/1 is a name).\n"
        "Without a protocol, the answer for each protocol is shown.\n"
        "With --protocol, QUERYs are IP protocols as getprotobyname and\n"
        "getprotobynumber answer them: a name (sctp, in any case) or a number (132).\n\n"
        "  -v, --verbose  also description, assignee, contact, dates, reference,\n"
        "                 or, for a line of the services file, which line;\n"
        "                 for a protocol, its description, whether it is an IPv6\n"
        "                 extension header, and its reference\n"
        "  --db DB        default: $NSS_IANA_DB, else " NSS_IANA_DEFAULT_DB "\n\n"
        "Exit status: 0 all found, 1 error (such as an unreadable database),\n"
        "2 usage error, 3 some query not found.\n";
    struct common o;
    int rc = parse_common(argc, argv, "lookup", usage, help, TAKES_PROTOCOL, &o);
    if (rc >= 0)
        return rc;
    if (optind == argc)
        return usage_error("lookup", usage);
    struct iana_db db;
    if (open_db(o.db, &db) < 0)
        return EXIT_FAILURE;
    rc = EXIT_SUCCESS;
    for (int i = optind; i < argc; i++) {
        int found = o.protocol ? protocols_lookup(&db, argv[i], o.verbose)
                               : lookup_one(&db, argv[i], o.verbose);
        if (found < 0)
            rc = EXIT_FAILURE;
        else if (!found && rc == EXIT_SUCCESS)
            rc = EXIT_NOTFOUND;
    }
    iana_db_close(&db);
    return rc;
}

static int cmd_export(int argc, char **argv)
{
    static const char usage[] = "[--db DB] [--protocols] [--portable]";
    static const char help[] =
        "Write the database as services(5) text, in the order getservent gives\n"
        "it: the services file's lines as nss_files read them, then every\n"
        "registry entry in registry order, range entries once per port,\n"
        "description as a comment.  glibc's files backend reading it answers\n"
        "every exact-case query as the module does.\n\n"
        "  --protocols    the protocols answers instead, as protocols(5) text in\n"
        "                 getprotoent's order: the protocols file's lines, then the\n"
        "                 registry's entries, description as a comment\n"
        "  --portable     for programs that read the file themselves (Go's own\n"
        "                 resolver, musl, static binaries; images and chroots):\n"
        "                 no comments, no line over 126 bytes, then a line for each\n"
        "                 name whose last line or lower-case spelling would give\n"
        "                 another port than the module's\n"
        "  --db DB        default: $NSS_IANA_DB, else " NSS_IANA_DEFAULT_DB "\n";
    struct common o;
    int rc = parse_common(argc, argv, "export", usage, help, TAKES_PROTOCOLS | TAKES_PORTABLE, &o);
    if (rc >= 0)
        return rc;
    if (optind != argc)
        return usage_error("export", usage);
    struct iana_db db;
    if (open_db(o.db, &db) < 0)
        return EXIT_FAILURE;
    if (o.protocols)
        rc = o.portable ? export_portable_protocols(stdout, &db) : protocols_export(stdout, &db, 1);
    else if (o.portable)
        rc = export_portable(stdout, &db);
    else {
        struct iana_cursor c = {0};
        uint32_t entry;
        uint16_t port;
        printf("# services(5) exported by nss-iana from IANA's Service Name and Transport\n"
               "# Protocol Port Number Registry.\n");
        for (; iana_db_cursor_get(&db, &c, &entry, &port); iana_db_cursor_next(&db, &c))
            print_line(stdout, &db, entry, port, 1);
        rc = ferror(stdout) ? -1 : 0;
    }
    iana_db_close(&db);
    if (rc < 0 || fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "iana-services: export: %s\n", strerror(errno));
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}

static int cmd_verify(int argc, char **argv)
{
    static const char usage[] = "[--db DB]";
    static const char help[] =
        "Check the database completely: header, every section, entry and index\n"
        "slot, and the checksum.  Exit status 0 if it is exactly what compile\n"
        "wrote, 1 otherwise.\n\n"
        "  --db DB        default: $NSS_IANA_DB, else " NSS_IANA_DEFAULT_DB "\n";
    struct common o;
    int rc = parse_common(argc, argv, "verify", usage, help, 0, &o);
    if (rc >= 0)
        return rc;
    if (optind != argc)
        return usage_error("verify", usage);
    struct iana_db db;
    const char *why;
    if (open_db(o.db, &db) < 0)
        return EXIT_FAILURE;
    if (iana_db_verify(&db, &why) < 0) {
        fprintf(stderr, "iana-services: %s: %s\n", o.db, why);
        iana_db_close(&db);
        return EXIT_FAILURE;
    }
    printf("%s: OK: %u entries, %u lines, source SHA-256 ", o.db, db.entry_count,
           db.enum_count);
    for (int i = 0; i < 32; i++)
        printf("%02x", db.hdr->source_sha256[i]);
    /* Last on the line, as a path may hold anything: install scripts read
     * it to compile with the same site file.  */
    putchar('\n');
    if (*iana_db_source_path(&db))
        printf("  registry %s\n", iana_db_source_path(&db));
    static const char *const verdict[] = {
        [IANA_SERVICES_CURRENT] = IANA_SERVICES_FILE " is that file: the module answers",
        [IANA_SERVICES_GONE] = IANA_SERVICES_FILE " is gone since: the module answers from "
                               "the registry alone until the next compile",
        [IANA_SERVICES_CHANGED] = IANA_SERVICES_FILE " has changed since: the module steps "
                                  "aside (UNAVAIL) until the next compile",
    };
    if (db.services.state == IANA_FILE_NONE)
        printf("  services file: none merged (--no-services)\n");
    else
        printf("  services file %s: %s; %s\n", iana_db_services_path(&db),
               db.services.state == IANA_FILE_ABSENT ? "absent when merged" : "merged",
               verdict[iana_db_services_state(&db, IANA_SERVICES_FILE, NULL)]);
    printf("  protocols: %u answers, %u of them lines of the protocols file\n", db.proto_count,
           db.proto_file_count);
    if (*iana_db_proto_source_path(&db))
        printf("  protocol numbers %s\n", iana_db_proto_source_path(&db));
    static const char *const pverdict[] = {
        [IANA_SERVICES_CURRENT] = IANA_PROTOCOLS_FILE " is that file: the module answers",
        [IANA_SERVICES_GONE] = IANA_PROTOCOLS_FILE " is gone since: protocol lookups are "
                               "answered from the registry alone until the next compile",
        [IANA_SERVICES_CHANGED] = IANA_PROTOCOLS_FILE " has changed since: protocol lookups "
                                  "step aside (UNAVAIL) until the next compile",
    };
    if (db.protocols.state == IANA_FILE_NONE)
        printf("  protocols file: none merged (--no-protocols-file)\n");
    else
        printf("  protocols file %s: %s; %s\n", iana_db_protocols_path(&db),
               db.protocols.state == IANA_FILE_ABSENT ? "absent when merged" : "merged",
               pverdict[iana_db_protocols_state(&db, IANA_PROTOCOLS_FILE, NULL)]);
    iana_db_close(&db);
    /* The system's database is shared by every process only if immutable
     * (the module maps any other privately): where it is not, once, why
     * and what it costs.  */
    if (strcmp(o.db, NSS_IANA_DEFAULT_DB) == 0) {
        int st = db_immutable_state(o.db);
        if (st == 1)
            printf("  immutable: every process shares it\n");
        else
            build_say_mutable(stdout, o.db, st == 0 ? EPERM : errno, "verify");
    }
    return EXIT_SUCCESS;
}

/* The database's immutable attribute, cleared or set by the tool itself
 * (FS_IOC_SETFLAGS), for the package's scripts and `make uninstall`: a
 * system without chattr (e2fsprogs is not Essential) must still be able
 * to remove the database.  */
static int cmd_immutable(int argc, char **argv)
{
    static const char usage[] = "[--db DB] on|off";
    static const char help[] =
        "Set (on) or clear (off) the immutable attribute of the database, as\n"
        "chattr +i / -i would, without needing chattr: the package's scripts clear\n"
        "it before the database is removed (an immutable file cannot be).  compile\n"
        "and update set it on the system's database where they can, so that every\n"
        "process shares its pages.  off succeeds where there is nothing to clear (no\n"
        "database, a file system without the attribute).  Waits for DB.lock, as a\n"
        "writer does.  Needs CAP_LINUX_IMMUTABLE (root).\n\n"
        "  --db DB        default: $NSS_IANA_DB, else " NSS_IANA_DEFAULT_DB "\n";
    struct common o;
    int rc = parse_common(argc, argv, "immutable", usage, help, 0, &o);
    if (rc >= 0)
        return rc;
    if (argc - optind != 1 || (strcmp(argv[optind], "on") && strcmp(argv[optind], "off")))
        return usage_error("immutable", usage);
    bool on = strcmp(argv[optind], "on") == 0;
    struct stat sb;
    if (lstat(o.db, &sb) < 0 && errno == ENOENT && !on)
        return EXIT_SUCCESS; /* nothing to clear */
    int lock = db_lock(o.db, "immutable");
    if (lock < 0)
        return EXIT_FAILURE;
    int st = db_immutable_state(o.db), e = errno;
    bool no_attribute = st < 0 && (e == ENOTTY || e == EOPNOTSUPP || e == ENOSYS || e == EINVAL);
    rc = EXIT_SUCCESS;
    if (st < 0 && !no_attribute) {
        fprintf(stderr, "iana-services: immutable: %s: %s\n", o.db, strerror(e));
        rc = EXIT_FAILURE;
    } else if (no_attribute && on) {
        build_say_mutable(stderr, o.db, e, "immutable");
        rc = EXIT_FAILURE;
    } else if (st >= 0 && (st == 1) != on && !db_set_immutable(o.db, on)) {
        fprintf(stderr, "iana-services: immutable: %s: cannot %s its immutable attribute: %s\n",
                o.db, on ? "set" : "clear", strerror(errno));
        rc = EXIT_FAILURE;
    }
    db_unlock(lock);
    return rc;
}

/* enable and disable: the same edit either way.  */
static int nsswitch_command(int argc, char **argv, int enable)
{
    static const char usage[] = "[--nsswitch FILE] [--only services|protocols]";
    static const char enable_help[] =
        "Put \"iana [!UNAVAIL=return]\" first on the services line of nsswitch.conf\n"
        "(the last one, which glibc reads), before the sources that were there:\n"
        "iana answers every query, and glibc asks those sources only when iana is\n"
        "unavailable (no valid database, or /etc/services changed since it was\n"
        "compiled).  An iana elsewhere on the line (an older \"files iana\") is\n"
        "moved to the front; a file without a services line gets\n"
        "\"services: iana [!UNAVAIL=return]<tab>files\".  Nothing else in the file\n"
        "changes, and it is replaced atomically with the same mode, owner and\n"
        "extended attributes (ACL, SELinux label); a symbolic link is followed, and\n"
        "the file it points at edited.  If the line starts with\n"
        "iana [!UNAVAIL=return] already, nothing is done.  A warning says when glibc\n"
        "would still not ask iana: a block it cannot parse on any line (it then\n"
        "reads none of the file), or a file other users cannot read.\n\n"
        "  --nsswitch FILE  default: " NSSWITCH_CONF "\n"
        "  --only services|protocols\n"
        "                   that database's line alone (default: both)\n"
        "  --db DB          a note is added if DB is not there yet\n"
        "                   default: $NSS_IANA_DB, else " NSS_IANA_DEFAULT_DB "\n";
    static const char disable_help[] =
        "Take iana, with its [STATUS=action] block, off every services line of\n"
        "nsswitch.conf, with the blank enable put after it, undoing enable byte\n"
        "for byte; the line enable adds to a file without one is removed whole.\n"
        "Not byte for byte where enable moved an iana that was on the line\n"
        "already: \"files iana\" comes back as \"files\" (iana is taken off, not put\n"
        "back after files); and a line left with no source gets files, glibc's\n"
        "default.  Nothing else in the file changes, and it is replaced atomically\n"
        "with the same mode, owner and extended attributes.  If iana is not\n"
        "there, nothing is done.\n\n"
        "  --nsswitch FILE  default: " NSSWITCH_CONF "\n"
        "  --only services|protocols\n"
        "                   that database's line alone (default: both)\n";
    const char *cmd = enable ? "enable" : "disable";
    struct common o;
    int rc = parse_common(argc, argv, cmd, usage, enable ? enable_help : disable_help,
                          TAKES_NSSWITCH, &o);
    if (rc >= 0)
        return rc;
    if (optind != argc)
        return usage_error(cmd, usage);
    char err[1024];
    if (nsswitch_update_only(o.nsswitch, enable, o.only, stdout, err, sizeof err) < 0) {
        fprintf(stderr, "iana-services: %s\n", err);
        return EXIT_FAILURE;
    }
    /* Harmless (the module says UNAVAIL and glibc goes on), but likely
     * not what was meant.  */
    if (enable && access(o.db, R_OK) != 0)
        printf("note: %s: %s; until compile writes it, iana answers nothing and glibc "
               "goes on to the next source\n", o.db, strerror(errno));
    return EXIT_SUCCESS;
}

static int cmd_enable(int argc, char **argv)
{
    return nsswitch_command(argc, argv, 1);
}

static int cmd_disable(int argc, char **argv)
{
    return nsswitch_command(argc, argv, 0);
}

static const struct {
    const char *name;
    int (*run)(int, char **);
    const char *what;
} commands[] = {
    {"compile", cmd_compile, "compile IANA's CSV into the database"},
    {"lookup", cmd_lookup, "look up names and ports"},
    {"export", cmd_export, "write the database as services(5) text"},
    {"verify", cmd_verify, "validate the database and its checksum"},
    {"enable", cmd_enable, "put iana first on the services line of /etc/nsswitch.conf"},
    {"disable", cmd_disable, "remove iana from the services line of /etc/nsswitch.conf"},
    {"update", update_main, "download IANA's registry and update the database"},
    {"immutable", cmd_immutable, "set or clear the database's immutable attribute"},
};

int main(int argc, char **argv)
{
    /* A killed compile or update leaves no half-written file behind.  */
    db_write_cleanup_on_signals();
    if (argc >= 2) {
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (strcmp(argv[1], commands[i].name) == 0)
                return commands[i].run(argc - 1, argv + 1);
    }
    FILE *out = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) ? stdout : stderr;
    fprintf(out, "usage: iana-services COMMAND [OPTION]... [ARG]...\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].what);
    fprintf(out, "\n'iana-services COMMAND --help' tells more.\n");
    return out == stdout ? EXIT_SUCCESS : EXIT_USAGE;
}

/* iana-services lookup and export: the database's answers, as a query
 * gives them and as services(5) text.  Lookups go through db/ exactly as
 * the NSS module's do.  */
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

int cmd_lookup(int argc, char **argv)
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

int cmd_export(int argc, char **argv)
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

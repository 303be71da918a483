/* iana-services verify, immutable, enable and disable: the database
 * checked and protected, the module switched on and off in
 * nsswitch.conf.  */
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


/* What verify says of the file a database merged, and of that file now.  */
static const char *const verdict_services[] = {
    [IANA_SERVICES_CURRENT] = IANA_SERVICES_FILE " is that file: the module answers",
    [IANA_SERVICES_GONE] = IANA_SERVICES_FILE " is gone since: the module answers from "
                           "the registry alone until the next compile",
    [IANA_SERVICES_CHANGED] = IANA_SERVICES_FILE " has changed since: the module steps "
                              "aside (UNAVAIL) until the next compile",
};
static const char *const verdict_protocols[] = {
    [IANA_SERVICES_CURRENT] = IANA_PROTOCOLS_FILE " is that file: the module answers",
    [IANA_SERVICES_GONE] = IANA_PROTOCOLS_FILE " is gone since: protocol lookups are "
                           "answered from the registry alone until the next compile",
    [IANA_SERVICES_CHANGED] = IANA_PROTOCOLS_FILE " has changed since: protocol lookups "
                              "step aside (UNAVAIL) until the next compile",
};

static void file_report(const char *what, const char *none_option, const char *path,
                        uint32_t state, enum iana_services_state now,
                        const char *const verdict[])
{
    if (state == IANA_FILE_NONE)
        printf("  %s file: none merged (%s)\n", what, none_option);
    else
        printf("  %s file %s: %s; %s\n", what, path,
               state == IANA_FILE_ABSENT ? "absent when merged" : "merged", verdict[now]);
}

int cmd_verify(int argc, char **argv)
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
    file_report("services", "--no-services", iana_db_services_path(&db), db.services.state,
                iana_db_services_state(&db, IANA_SERVICES_FILE, NULL), verdict_services);
    printf("  protocols: %u answers, %u of them lines of the protocols file\n", db.proto_count,
           db.proto_file_count);
    if (*iana_db_proto_source_path(&db))
        printf("  protocol numbers %s\n", iana_db_proto_source_path(&db));
    file_report("protocols", "--no-protocols-file", iana_db_protocols_path(&db),
                db.protocols.state, iana_db_protocols_state(&db, IANA_PROTOCOLS_FILE, NULL),
                verdict_protocols);
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
int cmd_immutable(int argc, char **argv)
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

int cmd_enable(int argc, char **argv)
{
    return nsswitch_command(argc, argv, 1);
}

int cmd_disable(int argc, char **argv)
{
    return nsswitch_command(argc, argv, 0);
}

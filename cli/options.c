/* What every subcommand of iana-services shares: the options parsed the
 * same way, the usage message, the database opened for reading.  */
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


static const char *default_db(void)
{
    const char *env = secure_getenv("NSS_IANA_DB");
    return env && *env ? env : NSS_IANA_DEFAULT_DB;
}

int usage_error(const char *cmd, const char *usage)
{
    fprintf(stderr, "usage: iana-services %s %s\nTry 'iana-services %s --help'.\n", cmd, usage, cmd);
    return EXIT_USAGE;
}

int parse_common(int argc, char **argv, const char *cmd, const char *usage,
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

int open_db(const char *path, struct iana_db *db)
{
    const char *why = NULL;
    if (iana_db_open(path, db, &why) < 0) {
        fprintf(stderr, "iana-services: %s: %s\n", path, why ? why : strerror(errno));
        return -1;
    }
    return 0;
}

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
#include "commands.h"
#include "update.h"


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

/* The subcommands of iana-services (cmd_*.c) and what they share
 * (options.c): the defaults, the exit codes, the options every
 * subcommand parses the same way, the database opened for reading.  */
#ifndef NSS_IANA_CLI_COMMANDS_H
#define NSS_IANA_CLI_COMMANDS_H

#include "../db/reader.h"

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

int parse_common(int argc, char **argv, const char *cmd, const char *usage,
                 const char *help, unsigned takes, struct common *o);
/* "usage: iana-services CMD USAGE" on stderr; EXIT_USAGE.  */
int usage_error(const char *cmd, const char *usage);
/* iana_db_open, saying why not on stderr; 0 or -1.  */
int open_db(const char *path, struct iana_db *db);

/* Each subcommand: argv[0] is its name; returns the exit code.  */
int cmd_compile(int argc, char **argv);   /* cmd_compile.c */
int cmd_lookup(int argc, char **argv);    /* cmd_lookup.c */
int cmd_export(int argc, char **argv);    /* cmd_lookup.c */
int cmd_verify(int argc, char **argv);    /* cmd_admin.c */
int cmd_immutable(int argc, char **argv); /* cmd_admin.c */
int cmd_enable(int argc, char **argv);    /* cmd_admin.c */
int cmd_disable(int argc, char **argv);   /* cmd_admin.c */

#endif

/* bench: the command line, and which mode it asks for (bench.h lists them):
 * the orchestrator, or one of the children it runs.  */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

__attribute__((noreturn)) static void usage(void)
{
    fputs("usage: bench [--build DIR] [--db DB] [--tool TOOL] [--csv CSV] [--rounds N] [--queries N]\n"
          "       bench --backend NAME[:LABEL][,...] --export FILE [--queries N] [--rounds N]\n"
          "             [--threads] [--check-http] [--nsswitch FILE] [--gai SERVICES]\n"
          "                                         NAME: floor iana noindex direct files db\n"
          "                                               files-iana iana-files\n"
          "       bench --first-call floor|iana|files|db\n"
          "       bench --first-lookups\n"
          "       bench --profile floor|iana|direct byname|byport N --export FILE\n"
          "       bench --protocols-child NETBASE_PROTOCOLS REGISTRY_EXPORT [--rounds N]\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *build = "build", *dbp = NULL, *tool = NULL;
    const char *csv = "data/service-names-port-numbers.csv";
    const char *exp = NULL, *pkind = NULL, *first = NULL, *gai = NULL;
    char *backend = NULL, *pbackend = NULL;
    const char *pchild_file = NULL, *pchild_export = NULL;
    size_t pn = 0;
    bool threads = false, check_http = false, first_only = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
#define ARG() (i + 1 < argc ? argv[++i] : (usage(), argv[0]))
        if (strcmp(a, "--build") == 0) build = ARG();
        else if (strcmp(a, "--db") == 0) dbp = ARG();
        else if (strcmp(a, "--tool") == 0) tool = ARG();
        else if (strcmp(a, "--csv") == 0) csv = ARG();
        else if (strcmp(a, "--rounds") == 0) settings.rounds = (unsigned)strtoul(ARG(), NULL, 10);
        else if (strcmp(a, "--queries") == 0) settings.queries = strtoul(ARG(), NULL, 10);
        else if (strcmp(a, "--backend") == 0) backend = ARG();
        else if (strcmp(a, "--export") == 0) exp = ARG();
        else if (strcmp(a, "--threads") == 0) threads = true;
        else if (strcmp(a, "--check-http") == 0) check_http = true;
        else if (strcmp(a, "--nsswitch") == 0) nsswitch_file = ARG();
        else if (strcmp(a, "--gai") == 0) gai = ARG();
        else if (strcmp(a, "--first-call") == 0) first = ARG();
        else if (strcmp(a, "--first-lookups") == 0) first_only = true;
        else if (strcmp(a, "--protocols-child") == 0 && i + 2 < argc) {
            pchild_file = argv[++i];
            pchild_export = argv[++i];
        } else if (strcmp(a, "--profile") == 0 && i + 3 < argc) {
            pbackend = argv[++i];
            pkind = argv[++i];
            pn = strtoul(argv[++i], NULL, 10);
        } else usage();
#undef ARG
    }
    if (settings.rounds == 0 || settings.queries == 0)
        usage();
    if (first)
        return first_call_main(first);
    if (pchild_file)
        return protocols_child_main(pchild_file, pchild_export, settings.rounds);
    if (pbackend) {
        if (!exp)
            usage();
        return profile_main(pbackend, pkind, pn, exp);
    }
    if (backend) {
        if (!exp)
            usage();
        return child_main(backend, exp, settings.queries, settings.rounds, threads, check_http,
                          gai);
    }
    settings.self_exe = absolute("/proc/self/exe");
    if (first_only) { /* a child of orchestrate(): rows on stdout */
        first_lookups();
        for (size_t i = 0; i < nrows; i++)
            print_row(rows[i].label, &rows[i].r);
        return 0;
    }
    char *d = NULL, *t = NULL;
    if (!dbp)
        dbp = d = xasprintf("%s/services.db", build);
    if (!tool)
        tool = t = xasprintf("%s/iana-services", build);
    int rc = orchestrate(build, dbp, tool, csv);
    free(d);
    free(t);
    return rc;
}

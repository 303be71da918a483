/* What a re-executed bench does: measure a group of backends (--backend),
 * time the first lookup of a new process (--first-call), or run one
 * backend's loop for callgrind (--profile).  */
#include <netdb.h>
#include <netinet/in.h>
#include <nss.h>
#include <stdio.h>
#include <string.h>

#include "bench/bench.h"

int child_main(char *spec, const char *export_path, size_t queries, unsigned rounds,
               bool threads, bool check_http, const char *gai_names)
{
    struct backend bs[8];
    size_t nb = parse_backends(spec, bs, 8);
    if (nb == 0)
        die("no backends");
    load_export(export_path);
    for (size_t b = 0; b < nb; b++)
        if (check_http && strcmp(bs[b].name, "floor") != 0 && !answers_http(&bs[b])) {
            printf("SKIP label=%s reason=http/tcp-not-answered-with-80\n", bs[b].label);
            return 3;
        }
    make_queries(queries);
    if (db.base)
        compute_answers();
    measure_group(BYNAME, bs, nb, rounds);
    measure_group(BYPORT, bs, nb, rounds);
    /* noindex enumerates as iana does (no index there), and its answers
     * are one global, not one per thread.  */
    struct backend rest[8];
    size_t nr = 0;
    for (size_t b = 0; b < nb; b++)
        if (strcmp(bs[b].name, "noindex") != 0)
            rest[nr++] = bs[b];
    if (gai_names) { /* getaddrinfo is glibc's: not for the reader alone */
        struct backend viaglibc[8];
        size_t ng = 0;
        for (size_t b = 0; b < nr; b++)
            if (!rest[b].direct)
                viaglibc[ng++] = rest[b];
        make_gai_queries(queries, gai_names);
        if (ng) {
            measure_group(GAI, viaglibc, ng, rounds);
            measure_group(GAI4, viaglibc, ng, rounds);
        }
    }
    if (!nsswitch_file) /* enumeration has no per-call check to show */
        measure_group(ENUM, rest, nr, rounds);
    if (threads)
        measure_threads(rest, nr, rounds);
    return 0;
}

/* The first lookup in this process, in-process: module loading, mapping,
 * parsing; no process start-up.  */
int first_call_main(const char *backend)
{
    if (__nss_configure_lookup("services", backend) != 0)
        die("__nss_configure_lookup(services, %s) failed", backend);
    char buf[BUFLEN];
    struct servent se, *res = NULL;
    double t0 = now_ns();
    int rc = getservbyname_r("http", "tcp", &se, buf, sizeof buf, &res);
    double t = now_ns() - t0;
    printf("FIRST ns=%.0f found=%d\n", t, rc == 0 && res);
    return 0;
}

/* The only code callgrind counts (--toggle-collect=profiled_loop).  */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((noipa))
#else
__attribute__((noinline))
#endif
unsigned long profiled_loop(pass_fn *fn, size_t n);
unsigned long profiled_loop(pass_fn *fn, size_t n)
{
    unsigned long errors = 0;
    return fn(0, n, &errors);
}

int profile_main(char *backend, const char *kind, size_t n, const char *export_path)
{
    struct backend b;
    if (parse_backends(backend, &b, 1) != 1)
        die("one backend to profile");
    select_backend(&b);
    load_export(export_path);
    make_queries(DEFAULT_QUERIES);
    pass_fn *fn = NULL;
    if (strcmp(kind, "byname") == 0)
        fn = direct ? direct_byname : glibc_byname;
    else if (strcmp(kind, "byport") == 0)
        fn = direct ? direct_byport : glibc_byport;
    else
        die("unknown profile kind %s", kind);
    unsigned long errors = 0;
    fn(0, nq, &errors); /* warm: module loaded, pages touched */
    unsigned long hits = n ? profiled_loop(fn, n) : 0;
    printf("PROFILE backend=%s kind=%s ops=%zu hits=%lu\n", b.name, kind, n, hits);
    return 0;
}

/* The nss-iana benchmark (`make bench`): what its parts share.
 *
 * One run measures, on the bundled registry and a fixed-seed set of random
 * queries generated from `iana-services export` (names, aliases, names in
 * upper case, misses; registry ports and uniform ports; every protocol and
 * the null one):
 *
 *   - getservbyname_r, getservbyport_r and setservent/getservent_r through
 *     glibc's NSS dispatch for: the floor (bench/nss_floor.c: one fixed
 *     answer, copied like a real backend copies: what glibc's dispatch
 *     costs), the iana module, nss_files over the export and over the
 *     machine's own /etc/services, and libnss-db over the export;
 *   - the reader without NSS (iana_db_by_name / iana_db_by_port +
 *     iana_db_entry, the cursor);
 *   - the floor, iana and the reader in one thread, two threads, and two
 *     processes (the control: what the machine gives two of anything);
 *   - compiling the full CSV, the database size, and the first lookup in a
 *     new process (getent, and the first getservbyname_r alone);
 *   - as installed (installed.c), with /etc/nsswitch.conf and /etc/services
 *     bind-mounted in `unshare -m`: getaddrinfo, getservbyname_r and
 *     getservbyport_r under stock Debian's `services: files`, `files` over
 *     a full-registry /etc/services, `files iana`, and `iana
 *     [!UNAVAIL=return] files` with a database merged with netbase's file;
 *   - getprotobyname_r and getprotobynumber_r (protocols.c): nss_files
 *     over netbase's /etc/protocols against `files iana` and `iana
 *     [!UNAVAIL=return] files`.
 *
 * The orchestrator (orchestrate.c) re-executes this binary once per group
 * of backends (child.c): the floor, iana and the reader share one process
 * and take turns round by round (glibc 2.33+ lets __nss_configure_lookup
 * switch a process's services backend at any time), so their ratios are
 * taken between neighbouring rounds; nss_files and libnss-db over the
 * export run inside `unshare -m` with the export bind-mounted over
 * /etc/services, or a makedb directory over /var/lib/misc.  A child prints
 * one ROW line per measurement (timing.c), the orchestrator collects them
 * and report.c prints the table, the BENCH lines and the targets.  Times
 * are CLOCK_MONOTONIC; every figure is a median of several rounds.
 *
 *   bench [--build DIR] [--db DB] [--tool TOOL] [--csv CSV] [--rounds N] [--queries N]
 *   bench --backend NAME[:LABEL][,...] --export FILE [--threads] [--check-http]
 *         [--nsswitch FILE] [--gai SERVICES]
 *   bench --first-call floor|iana|files|db
 *   bench --first-lookups    (the getent and first-call rows, for the parent)
 *   bench --profile floor|iana|direct byname|byport N --export FILE
 *   bench --protocols-child NETBASE_PROTOCOLS REGISTRY_EXPORT --rounds N
 */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/reader.h"

#define SEED UINT64_C(0x1a4a5eed2024)
#define DEFAULT_QUERIES 30000
#define MIN_SLOW_QUERIES 2000     /* the fewest queries a slow backend gets */
#define MIN_SLOW_GAI 300          /* ... getaddrinfo calls: six or seven lookups each */
#define SLOW_BUDGET_NS 3e8        /* ... unless a pass fits in this */
#define ROUND_TARGET_NS 2e7       /* a round repeats passes up to this */
#define THREAD_ROUND_NS 6e7
#define PROCESS_RUNS 101          /* getent runs per backend */
#define COMPILE_RUNS 7
#define BUFLEN 4096

/* ------------------------------------------- util.c: errors, memory, processes */

__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
__attribute__((format(printf, 1, 2))) char *xasprintf(const char *fmt, ...);
__attribute__((format(printf, 1, 0))) char *xvasprintf(const char *fmt, va_list ap);
char *absolute(const char *p);
bool in_path(const char *prog);
/* Run argv with stdout into a string (NULL: to /dev/null); exit status or
 * -1, and the wall time from spawn to reaped.  */
int run(char *const argv[], char **out, double *elapsed_ns);

/* ------------------------------------------------------ queries.c: the query set */

struct line {
    char *name;
    uint16_t port;
    const char *proto;
};
struct alias {
    char *name;
    const char *proto;
};
struct query {
    const char *name;   /* by-name queries */
    int port;           /* by-port queries: network order */
    const char *proto;  /* NULL: any protocol */
    int64_t answer;     /* the reader's entry for it, or -1: for "noindex" */
};

/* What libnss_noindex.so.2 answers (bench/nss_noindex.c): stored before
 * every glibc call, whichever the backend, so every row pays the store.  */
extern int64_t bench_oracle_answer;

extern struct line *lines;      /* the export's services lines */
extern size_t nlines;
extern struct alias *aliases;
extern size_t naliases;
extern struct query *nameq, *portq;
extern size_t nq;

/* getaddrinfo queries (service names only): see make_gai_queries.  */
extern struct query *gaiq;

void load_export(const char *path);
void make_queries(size_t n);
/* n getaddrinfo service names: some of `netbase`'s (a services file),
 * some only the export has, some nobody has.  */
void make_gai_queries(size_t n, const char *netbase);
/* The reader's answer to every query (needs db open), for noindex.  */
void compute_answers(void);

/* ------------------------------------- backends.c: what one pass of lookups calls */

/* The backends one child measures, side by side: "floor", "iana", "files",
 * "db" and services lines of more than one source ("files-iana") through
 * glibc (__nss_configure_lookup, which glibc 2.33 and later let a process
 * change at any time, or a bind-mounted /etc/nsswitch.conf), "direct"
 * through the reader.  */
struct backend {
    const char *name;
    const char *label;
    const char *line;   /* what follows "services:"; NULL for direct */
    bool direct;
    const char *services; /* bound over /etc/services for it, or NULL */
};

/* A pass: queries from..from+n-1 (modulo the set), the hits returned,
 * failures other than not-found counted in *errors.  */
typedef unsigned long pass_fn(size_t from, size_t n, unsigned long *errors);

/* GAI: getaddrinfo(NULL, name, AF_UNSPEC), which asks the backend for
 * tcp, udp, dccp, udplite, sctp (stream) and sctp (seqpacket), and from
 * glibc 2.42 mptcp too.  */
enum kind { BYNAME, BYPORT, ENUM, GAI, GAI4 };
extern const char *const kind_name[];
/* How many lookups this glibc's getaddrinfo makes with no socktype: 6, or
 * 7 with mptcp (found by behaviour, not by version).  */
int gai_lookups(void);

extern bool direct;             /* the selected backend is the reader API */
extern struct iana_db db;       /* the reader's database, when one is open */
extern const char *nsswitch_file;

pass_fn glibc_byname, glibc_byport, glibc_gai, glibc_gai4, direct_byname, direct_byport;
void select_backend(const struct backend *b);
pass_fn *pass_of(enum kind k);
/* "floor:floor.glibc,iana:iana.glibc,direct:iana.direct"; NAME:LABEL:FILE
 * measures NAME with FILE bind-mounted over /etc/services.  */
size_t parse_backends(char *spec, struct backend *bs, size_t max);
bool answers_http(const struct backend *b);

/* ------------------------------------ timing.c: clocks, medians, measure loops */

struct result {
    double med, min, max;   /* ns per op */
    size_t ops;             /* per pass */
    unsigned reps;          /* passes per round */
    unsigned rounds;
    unsigned long hits;     /* per pass */
    unsigned long errors;
    double pair;            /* median of round-by-round ratios to the
                             * group's first backend (ref); < 0: none */
    char ref[64];           /* that backend's row: the floor's, mostly */
};

double now_ns(void);
double median(const double *v, size_t n);
double vmin(const double *v, size_t n);
double vmax(const double *v, size_t n);
void print_row(const char *label, const struct result *r);
void measure_group(enum kind k, const struct backend *bs, size_t nb, unsigned rounds);
void measure_threads(const struct backend *bs, size_t nb, unsigned rounds);

/* ------------------------------------------------------ child.c: the child modes */

int child_main(char *spec, const char *export_path, size_t queries, unsigned rounds,
               bool threads, bool check_http, const char *gai_names);
int first_call_main(const char *backend);
int profile_main(char *backend, const char *kind, size_t n, const char *export_path);

/* ------------------------------ report.c: rows, notes, the table, targets, verdicts */

struct row {
    char *label;
    struct result r;
};
struct scale {
    char label[64];
    double speedup, control;    /* medians of per-round ratios: two threads,
                                 * two processes, against one thread */
    double cpu1, cpu2, cpup;    /* CPU ns per op: 1 thread, 2 threads, 2 processes */
    double parallelism;         /* CPUs the two threads kept busy */
};
#define MAX_SCALES 8

extern struct row *rows;
extern size_t nrows;
extern struct scale scales[MAX_SCALES];
extern size_t nscales;

__attribute__((format(printf, 1, 2))) void add_note(const char *fmt, ...);
void add_row(const char *label, struct result r);
bool parse_row(const char *line, struct row *out);
/* "PAIR a=ROW b=ROW ratio=R": the median of per-round a/b of one group.  */
bool parse_pair(const char *line);

/* What the orchestrator measured besides the rows.  */
struct run_facts {
    double t_start;             /* now_ns() when the run began */
    double load_start, load_end;
    long ncpu;
    double csample[COMPILE_RUNS];
    size_t ncs;                 /* compile runs that succeeded */
    double cmed;                /* their median, ns; NAN if none */
    double dbsize;              /* bytes; NAN if unknown */
};
double loadavg(void);
void report(const struct run_facts *f);

/* ------------------------------------- orchestrate.c: the children and the rest */

struct settings {
    char *self_exe;             /* this binary, re-executed for each child */
    char *export_path;          /* the export the children load */
    size_t queries;
    unsigned rounds;
};
extern struct settings settings;

/* How run_child runs a child (see main.c for the flags).  */
struct child_opts {
    bool threads;           /* --threads: the thread and process rows */
    bool check_http;        /* --check-http: skip a backend that does not answer */
    const char *nsswitch;   /* --nsswitch: the file the child rewrites, or NULL */
    const char *gai;        /* --gai: getaddrinfo rows, names from this file */
};
/* Run a child measuring `spec` (see parse_backends), under `prefix` (e.g.
 * unshare + mount), and collect its rows.  */
void run_child(char *const prefix[], const char *spec, struct child_opts o);
bool write_file(const char *path, const char *text);
void first_lookups(void);
int orchestrate(const char *build, const char *dbp, const char *tool, const char *csv);

/* ------------------------------- installed.c: the as-installed configurations */

/* The inst.* rows: getaddrinfo, getservbyname and getservbyport under
 * services lines and files of real systems, in `unshare -m`.  */
void installed_rows(bool root_ns, const char *rundir, const char *tool, const char *csv);
/* netbase's /etc/NAME (services, protocols) as the package ships it, in
 * the run directory: this machine's if it is unchanged, else taken out of
 * the netbase .deb (apt-get download in a temporary directory, removed
 * after).  Malloc'd path; NULL, with a note, if neither can be had.  */
char *netbase_file(const char *rundir, const char *name);

/* ---------------------------------- protocols.c: getprotobyname / bynumber */

/* The proto.* rows, in `unshare -m` with netbase's /etc/protocols.  */
void protocols_rows(bool root_ns, const char *rundir, const char *tool);
/* The child that measures them.  */
int protocols_child_main(const char *netbase, const char *registry_export, unsigned rounds);

#endif

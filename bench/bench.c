/* The nss-iana benchmark (`make bench`).
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
 *     new process (getent, and the first getservbyname_r alone).
 *
 * The orchestrator re-executes this binary once per group of backends:
 * the floor, iana and the reader share one process and take turns round by
 * round (glibc 2.33+ lets __nss_configure_lookup switch a process's
 * services backend at any time), so their ratios are taken between
 * neighbouring rounds; nss_files and libnss-db over the export run inside
 * `unshare -m` with the export bind-mounted over /etc/services, or a
 * makedb directory over /var/lib/misc.  A child prints one ROW line per
 * measurement.  Times are CLOCK_MONOTONIC; every figure is a median of
 * several rounds.
 *
 *   bench [--build DIR] [--db DB] [--tool TOOL] [--csv CSV] [--rounds N] [--queries N]
 *   bench --backend NAME[:LABEL][,...] --export FILE [--threads] [--check-http]
 *   bench --first-call floor|iana|files|db
 *   bench --first-lookups    (the getent and first-call rows, for the parent)
 *   bench --profile floor|iana|direct byname|byport N --export FILE
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <nss.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db/reader.h"

extern char **environ;

#define SEED UINT64_C(0x1a4a5eed2024)
#define DEFAULT_QUERIES 30000
#define MIN_SLOW_QUERIES 2000     /* the fewest queries a slow backend gets */
#define SLOW_BUDGET_NS 3e8        /* ... unless a pass fits in this */
#define ROUND_TARGET_NS 2e7       /* a round repeats passes up to this */
#define THREAD_ROUND_NS 6e7
#define PROCESS_RUNS 101          /* getent runs per backend */
#define COMPILE_RUNS 7
#define BUFLEN 4096

/* ------------------------------------------------------------------ util */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p)
        die("out of memory");
    return p;
}

__attribute__((format(printf, 1, 2))) static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        die("out of memory");
    va_end(ap);
    return s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, size_t n)
{
    double *c = xmalloc(n * sizeof *c);
    memcpy(c, v, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_double);
    double m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
    free(c);
    return m;
}

static double vmin(const double *v, size_t n)
{
    double m = v[0];
    for (size_t i = 1; i < n; i++)
        m = v[i] < m ? v[i] : m;
    return m;
}

static double vmax(const double *v, size_t n)
{
    double m = v[0];
    for (size_t i = 1; i < n; i++)
        m = v[i] > m ? v[i] : m;
    return m;
}

static uint64_t rng_state = SEED;
static uint64_t rnd(void) /* splitmix64 */
{
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}
static size_t rnd_below(size_t n)
{
    return (size_t)(rnd() % n);
}

/* ------------------------------------------------------- the query set */

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
int64_t bench_oracle_answer;

static const char *const protos[] = {"tcp", "udp", "sctp", "dccp"};

static struct line *lines;
static size_t nlines;
static struct alias *aliases;
static size_t naliases;
static struct query *nameq, *portq;
static size_t nq;

static const char *proto_static(const char *p)
{
    for (size_t i = 0; i < 4; i++)
        if (strcmp(p, protos[i]) == 0)
            return protos[i];
    return NULL;
}

/* services(5) lines of the export: name port/proto aliases... # comment */
static void load_export(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        die("%s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t cap = 0, lcap = 0, acap = 0;
    while (getline(&buf, &cap, f) > 0) {
        char *hash = strchr(buf, '#');
        if (hash)
            *hash = '\0';
        char *save = NULL;
        char *name = strtok_r(buf, " \t\r\n", &save);
        char *pp = name ? strtok_r(NULL, " \t\r\n", &save) : NULL;
        if (!pp)
            continue;
        char *slash = strchr(pp, '/');
        if (!slash)
            continue;
        *slash = '\0';
        const char *proto = proto_static(slash + 1);
        long port = strtol(pp, NULL, 10);
        if (!proto || port < 0 || port > 65535)
            continue;
        if (nlines == lcap)
            lines = xrealloc(lines, (lcap = lcap ? 2 * lcap : 16384) * sizeof *lines);
        lines[nlines++] = (struct line){xstrdup(name), (uint16_t)port, proto};
        for (char *a; (a = strtok_r(NULL, " \t\r\n", &save));) {
            if (naliases == acap)
                aliases = xrealloc(aliases, (acap = acap ? 2 * acap : 256) * sizeof *aliases);
            aliases[naliases++] = (struct alias){xstrdup(a), proto};
        }
    }
    free(buf);
    fclose(f);
    if (nlines == 0)
        die("%s: no services lines", path);
}

/* NULL a quarter of the time, the entry's own protocol a third, else any
 * of the four.  */
static const char *pick_proto(const char *own)
{
    unsigned r = (unsigned)rnd_below(100);
    if (r < 25)
        return NULL;
    if (r < 60 && own)
        return own;
    return protos[rnd_below(4)];
}

/* Name queries: 40% names, 20% aliases, 10% names in upper case (the
 * case-insensitive path), 30% misses (random strings, and real names with a
 * suffix that makes them unknown).  Port queries: half ports from the
 * registry, half uniform over 0-65535.  Fixed seed: every process builds
 * the same set from the same export.  */
static void make_queries(size_t n)
{
    rng_state = SEED;
    nq = n;
    nameq = xmalloc(n * sizeof *nameq);
    portq = xmalloc(n * sizeof *portq);
    for (size_t i = 0; i < n; i++) {
        unsigned r = (unsigned)rnd_below(100);
        const struct line *l = &lines[rnd_below(nlines)];
        char *name;
        const char *own = l->proto;
        if (r < 40) {
            name = xstrdup(l->name);
        } else if (r < 60 && naliases) {
            const struct alias *a = &aliases[rnd_below(naliases)];
            name = xstrdup(a->name);
            own = a->proto;
        } else if (r < 70) {
            name = xstrdup(l->name);
            for (char *p = name; *p; p++)
                *p = (char)toupper((unsigned char)*p);
        } else if (r < 85) {
            size_t len = 4 + rnd_below(9);
            name = xmalloc(len + 1);
            for (size_t k = 0; k < len; k++)
                name[k] = (char)('a' + rnd_below(26));
            name[len] = '\0';
            own = NULL;
        } else {
            name = xasprintf("%s-nx%u", l->name, (unsigned)rnd_below(100));
            own = NULL;
        }
        nameq[i] = (struct query){.name = name, .proto = pick_proto(own), .answer = -1};

        const struct line *pl = &lines[rnd_below(nlines)];
        if (rnd_below(2))
            portq[i] = (struct query){.port = (int)htons(pl->port), .proto = pick_proto(pl->proto),
                                      .answer = -1};
        else
            portq[i] = (struct query){.port = (int)htons((uint16_t)rnd_below(65536)),
                                      .proto = pick_proto(NULL), .answer = -1};
    }
}

/* ------------------------------------------------------------- backends */

static bool direct;           /* the reader API instead of glibc */
static struct iana_db db;
static volatile size_t sink;  /* keeps direct lookups from being optimised out */

/* The reader's answer to every query, for noindex to give.  */
static void compute_answers(void)
{
    for (size_t i = 0; i < nq; i++) {
        int pn = iana_proto_code(nameq[i].proto), pp = iana_proto_code(portq[i].proto);
        nameq[i].answer = pn >= 0 ? iana_db_by_name(&db, nameq[i].name, pn) : -1;
        portq[i].answer = pp >= 0 ? iana_db_by_port(&db, ntohs((uint16_t)portq[i].port), pp) : -1;
    }
}

static unsigned long glibc_byname(size_t from, size_t n, unsigned long *errors)
{
    char buf[BUFLEN];
    struct servent se, *res;
    unsigned long hits = 0;
    for (size_t i = from; i < from + n; i++) {
        const struct query *q = &nameq[i % nq];
        bench_oracle_answer = q->answer;
        int rc = getservbyname_r(q->name, q->proto, &se, buf, sizeof buf, &res);
        if (rc == 0 && res)
            hits++;
        else if (rc != 0 && rc != ENOENT)
            ++*errors;
    }
    return hits;
}

static unsigned long glibc_byport(size_t from, size_t n, unsigned long *errors)
{
    char buf[BUFLEN];
    struct servent se, *res;
    unsigned long hits = 0;
    for (size_t i = from; i < from + n; i++) {
        const struct query *q = &portq[i % nq];
        bench_oracle_answer = q->answer;
        int rc = getservbyport_r(q->port, q->proto, &se, buf, sizeof buf, &res);
        if (rc == 0 && res)
            hits++;
        else if (rc != 0 && rc != ENOENT)
            ++*errors;
    }
    return hits;
}

static unsigned long direct_byname(size_t from, size_t n, unsigned long *errors)
{
    unsigned long hits = 0;
    size_t s = 0;
    for (size_t i = from; i < from + n; i++) {
        const struct query *q = &nameq[i % nq];
        int proto = iana_proto_code(q->proto);
        int64_t hit = proto < 0 ? -1 : iana_db_by_name(&db, q->name, proto);
        struct iana_view v;
        if (hit >= 0) {
            if (iana_db_entry(&db, (uint32_t)hit, &v) == 0) {
                hits++;
                s += v.names_len + v.port_lo;
            } else {
                ++*errors;
            }
        }
    }
    sink += s;
    return hits;
}

static unsigned long direct_byport(size_t from, size_t n, unsigned long *errors)
{
    unsigned long hits = 0;
    size_t s = 0;
    for (size_t i = from; i < from + n; i++) {
        const struct query *q = &portq[i % nq];
        int proto = iana_proto_code(q->proto);
        int64_t hit = proto < 0 ? -1 : iana_db_by_port(&db, ntohs((uint16_t)q->port), proto);
        struct iana_view v;
        if (hit >= 0) {
            if (iana_db_entry(&db, (uint32_t)hit, &v) == 0) {
                hits++;
                s += v.names_len + v.port_lo;
            } else {
                ++*errors;
            }
        }
    }
    sink += s;
    return hits;
}

/* One whole enumeration: the number of lines.  */
static unsigned long enumerate(unsigned long *errors)
{
    unsigned long n = 0;
    if (direct) {
        struct iana_cursor c = {0, 0};
        uint32_t entry;
        uint16_t port;
        size_t s = 0;
        for (; iana_db_cursor_get(&db, &c, &entry, &port); iana_db_cursor_next(&db, &c)) {
            struct iana_view v;
            if (iana_db_entry(&db, entry, &v) == 0)
                s += v.names_len + port;
            n++;
        }
        sink += s;
        return n;
    }
    char buf[BUFLEN];
    struct servent se, *res;
    setservent(0);
    for (;;) {
        int rc = getservent_r(&se, buf, sizeof buf, &res);
        if (rc != 0 || !res) {
            if (rc != 0 && rc != ENOENT)
                ++*errors;
            break;
        }
        n++;
    }
    endservent();
    return n;
}

typedef unsigned long pass_fn(size_t from, size_t n, unsigned long *errors);

struct result {
    double med, min, max;   /* ns per op */
    size_t ops;             /* per pass */
    unsigned reps;          /* passes per round */
    unsigned rounds;
    unsigned long hits;     /* per pass */
    unsigned long errors;
    double pair;            /* median of round-by-round ratios to the
                             * group's first backend (the floor); < 0: none */
};

static void print_row(const char *label, const struct result *r)
{
    printf("ROW label=%s ns=%.3f min=%.3f max=%.3f ops=%zu reps=%u rounds=%u hits=%lu errors=%lu "
           "pair=%.5f\n",
           label, r->med, r->min, r->max, r->ops, r->reps, r->rounds, r->hits, r->errors, r->pair);
    fflush(stdout);
}

/* The backends one child measures, side by side: "floor", "iana", "files"
 * and "db" through glibc (__nss_configure_lookup, which glibc 2.33 and
 * later let a process change at any time), "direct" through the reader.  */
struct backend {
    const char *name;
    const char *label;
    bool direct;
};

/* --nsswitch FILE: the child runs with FILE bind-mounted over
 * /etc/nsswitch.conf and chooses a backend by rewriting its services line,
 * as an installed system is configured, instead of __nss_configure_lookup
 * (which also turns off glibc's check of that file on every call).  glibc
 * looks for a change by size and times, and times can repeat within a
 * clock tick: a rewrite never leaves the file its previous size.  */
static const char *nsswitch_file;

static void select_backend(const struct backend *b)
{
    static int last_len;
    direct = b->direct;
    if (direct)
        return;
    if (nsswitch_file) {
        FILE *f = fopen(nsswitch_file, "we");
        if (!f)
            die("%s: %s", nsswitch_file, strerror(errno));
        int len = fprintf(f, "services: %s\n", b->name);
        if (len == last_len)
            len += fprintf(f, "\n");
        bool bad = len <= 0 || ferror(f);
        if (fclose(f) != 0 || bad)
            die("%s: cannot write", nsswitch_file);
        last_len = len;
    } else if (__nss_configure_lookup("services", b->name) != 0) {
        die("__nss_configure_lookup(services, %s) failed", b->name);
    }
}

enum kind { BYNAME, BYPORT, ENUM };
static const char *const kind_name[] = {"byname", "byport", "enum"};

static unsigned long enum_pass(size_t from, size_t n, unsigned long *errors)
{
    (void)from;
    (void)n;
    return enumerate(errors);
}

static pass_fn *pass_of(enum kind k)
{
    if (k == ENUM)
        return enum_pass;
    if (k == BYNAME)
        return direct ? direct_byname : glibc_byname;
    return direct ? direct_byport : glibc_byport;
}

/* Rounds of `reps` passes over the first `ops` queries (for ENUM: whole
 * enumerations), ns per query or line.  A slow backend (nss_files) gets
 * fewer queries, never under MIN_SLOW_QUERIES; a fast one repeats the pass
 * to fill ROUND_TARGET_NS.  The backends of a group take turns round by
 * round, each after an untimed pass of its own, so that they share the
 * machine's moments: the ratio to the first is taken per round.  */
static void measure_group(enum kind k, const struct backend *bs, size_t nb, unsigned rounds)
{
    struct result *r = xmalloc(nb * sizeof *r);
    double **sample = xmalloc(nb * sizeof *sample);
    unsigned long errors = 0;
    for (size_t b = 0; b < nb; b++) {
        select_backend(&bs[b]);
        pass_fn *fn = pass_of(k);
        size_t probe = k == ENUM ? 1 : nq < 256 ? nq : 256;
        fn(0, probe, &errors); /* the first call loads the module */
        double t0 = now_ns();
        unsigned long seen = fn(0, probe, &errors);
        double est = (now_ns() - t0) / (double)(k == ENUM ? (seen ? seen : 1) : probe);
        size_t n = k == ENUM ? seen : nq;
        if (k != ENUM && est * (double)nq > SLOW_BUDGET_NS) {
            n = (size_t)(SLOW_BUDGET_NS / est);
            n = n < MIN_SLOW_QUERIES ? MIN_SLOW_QUERIES : n;
            n = n > nq ? nq : n;
        }
        double pass = est * (double)n;
        unsigned reps = pass >= ROUND_TARGET_NS ? 1 : (unsigned)ceil(ROUND_TARGET_NS / pass);
        reps = reps > 10000 ? 10000 : reps;
        r[b] = (struct result){.ops = n, .reps = reps, .rounds = rounds, .pair = -1};
        r[b].hits = fn(0, n, &errors); /* warm-up, untimed */
        sample[b] = xmalloc(rounds * sizeof(double));
    }
    for (unsigned j = 0; j < rounds; j++) {
        for (size_t b = 0; b < nb; b++) {
            select_backend(&bs[b]);
            pass_fn *fn = pass_of(k);
            unsigned long e = 0;
            if (nb > 1)
                fn(0, r[b].ops, &e); /* this backend's data back in the caches */
            double t0 = now_ns();
            for (unsigned i = 0; i < r[b].reps; i++)
                fn(0, r[b].ops, &e);
            sample[b][j] = (now_ns() - t0) / ((double)r[b].reps * (double)r[b].ops);
            r[b].errors += e;
        }
    }
    double *pr = xmalloc(rounds * sizeof *pr);
    for (size_t b = 0; b < nb; b++) {
        r[b].med = median(sample[b], rounds);
        r[b].min = vmin(sample[b], rounds);
        r[b].max = vmax(sample[b], rounds);
        if (b > 0) {
            for (unsigned j = 0; j < rounds; j++)
                pr[j] = sample[b][j] / sample[0][j];
            r[b].pair = median(pr, rounds);
        }
        char *l = xasprintf("%s.%s", bs[b].label, kind_name[k]);
        print_row(l, &r[b]);
        free(l);
    }
    for (size_t b = 0; b < nb; b++)
        free(sample[b]);
    free(pr);
    free(sample);
    free(r);
}

/* ---------------------------------------------------------- threads */

struct worker {
    pthread_t tid;
    pthread_barrier_t *start;
    unsigned reps;
    unsigned long errors;
};

static void mixed_passes(unsigned reps, unsigned long *errors)
{
    pass_fn *byname = direct ? direct_byname : glibc_byname;
    pass_fn *byport = direct ? direct_byport : glibc_byport;
    for (unsigned j = 0; j < reps; j++) {
        byname(0, nq, errors);
        byport(0, nq, errors);
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    pthread_barrier_wait(w->start);
    mixed_passes(w->reps, &w->errors);
    return NULL;
}

static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Wall time of `nthreads` threads each doing `reps` mixed passes; the CPU
 * time they used in *cpu.  */
static double run_threads(unsigned nthreads, unsigned reps, unsigned long *errors, double *cpu)
{
    pthread_barrier_t start;
    struct worker w[8];
    pthread_barrier_init(&start, NULL, nthreads + 1);
    for (unsigned t = 0; t < nthreads; t++) {
        w[t] = (struct worker){.start = &start, .reps = reps};
        if (pthread_create(&w[t].tid, NULL, worker_main, &w[t]) != 0)
            die("pthread_create failed");
    }
    pthread_barrier_wait(&start);
    double c0 = cpu_ns(), t0 = now_ns();
    for (unsigned t = 0; t < nthreads; t++) {
        pthread_join(w[t].tid, NULL);
        *errors += w[t].errors;
    }
    double t = now_ns() - t0;
    *cpu = cpu_ns() - c0;
    pthread_barrier_destroy(&start);
    return t;
}

/* The control: the same passes in this process and a fork()ed copy of it
 * at the same time.  Two processes share nothing they write, so whatever
 * keeps them from twice one's throughput is the machine (cores shared with
 * other work, or vCPUs that are hyperthreads of one core), not the code.  */
static double run_processes(unsigned reps, unsigned long *errors, double *cpu)
{
    int go[2];
    if (pipe(go) < 0)
        die("pipe: %s", strerror(errno));
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        char c;
        close(go[1]);
        if (read(go[0], &c, 1) != 1)
            _exit(1);
        unsigned long e = 0;
        mixed_passes(reps, &e);
        _exit(e ? 1 : 0);
    }
    close(go[0]);
    double c0 = cpu_ns(), t0 = now_ns();
    if (write(go[1], "g", 1) != 1)
        die("write: %s", strerror(errno));
    close(go[1]);
    mixed_passes(reps, errors);
    int st;
    struct rusage ru;
    while (wait4(pid, &st, 0, &ru) < 0)
        if (errno != EINTR)
            die("wait4: %s", strerror(errno));
    double t = now_ns() - t0;
    *cpu = cpu_ns() - c0 + (double)ru.ru_utime.tv_sec * 1e9 + (double)ru.ru_utime.tv_usec * 1e3 +
           (double)ru.ru_stime.tv_sec * 1e9 + (double)ru.ru_stime.tv_usec * 1e3;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        ++*errors;
    return t;
}

/* For each backend of the group, the mixed by-name + by-port loop in
 * one thread, in two threads, and in two processes (the control), taking
 * turns round by round with the other backends.  Rows: ns per op of the
 * aggregate throughput.  SCALE lines: medians of the per-round speedups
 * (threads, and the control's), of CPU time per op, and of the CPUs the two
 * threads kept busy.  */
static void measure_threads(const struct backend *bs, size_t nb, unsigned rounds)
{
    enum { ONE, TWO_THREADS, TWO_PROCS, NMODE };
    static const char *const mode_name[] = {"1thread", "2threads", "2processes"};
    unsigned long errors = 0;
    double cpu, ops = 2.0 * (double)nq;
    unsigned *reps = xmalloc(nb * sizeof *reps);
    double *s[NMODE], *c[NMODE], *par = xmalloc(nb * rounds * sizeof *par);
    for (int m = 0; m < NMODE; m++) {
        s[m] = xmalloc(nb * rounds * sizeof(double));
        c[m] = xmalloc(nb * rounds * sizeof(double));
    }
    for (size_t b = 0; b < nb; b++) { /* warm-up, and the estimate */
        select_backend(&bs[b]);
        double t = run_threads(1, 1, &errors, &cpu);
        reps[b] = t >= THREAD_ROUND_NS ? 1 : (unsigned)ceil(THREAD_ROUND_NS / t);
    }
    for (unsigned j = 0; j < rounds; j++)
        for (size_t b = 0; b < nb; b++) {
            select_backend(&bs[b]);
            for (int m = 0; m < NMODE; m++) {
                double total = ops * reps[b] * (m == ONE ? 1 : 2);
                double wall = m == TWO_PROCS ? run_processes(reps[b], &errors, &cpu)
                                             : run_threads(m == ONE ? 1 : 2, reps[b], &errors, &cpu);
                s[m][b * rounds + j] = wall / total;
                c[m][b * rounds + j] = cpu / total;
                if (m == TWO_THREADS)
                    par[b * rounds + j] = cpu / wall;
            }
        }
    double *sp = xmalloc(rounds * sizeof *sp), *ctl = xmalloc(rounds * sizeof *ctl);
    for (size_t b = 0; b < nb; b++) {
        for (int m = 0; m < NMODE; m++) {
            double *v = &s[m][b * rounds];
            struct result r = {median(v, rounds), vmin(v, rounds), vmax(v, rounds), (size_t)ops,
                               reps[b], rounds, 0, errors, -1};
            char *l = xasprintf("%s.mixed.%s", bs[b].label, mode_name[m]);
            print_row(l, &r);
            free(l);
        }
        for (unsigned j = 0; j < rounds; j++) {
            sp[j] = s[ONE][b * rounds + j] / s[TWO_THREADS][b * rounds + j];
            ctl[j] = s[ONE][b * rounds + j] / s[TWO_PROCS][b * rounds + j];
        }
        printf("SCALE label=%s speedup=%.4f control=%.4f cpu1=%.3f cpu2=%.3f cpup=%.3f "
               "parallelism=%.3f\n",
               bs[b].label, median(sp, rounds), median(ctl, rounds),
               median(&c[ONE][b * rounds], rounds), median(&c[TWO_THREADS][b * rounds], rounds),
               median(&c[TWO_PROCS][b * rounds], rounds), median(&par[b * rounds], rounds));
    }
    fflush(stdout);
    for (int m = 0; m < NMODE; m++) {
        free(s[m]);
        free(c[m]);
    }
    free(sp);
    free(ctl);
    free(par);
    free(reps);
}

/* ------------------------------------------------------------ the child */

static void open_direct(void)
{
    const char *path = getenv("NSS_IANA_DB");
    const char *why = NULL;
    if (!path || iana_db_open(path, &db, &why) < 0)
        die("direct: cannot open %s: %s", path ? path : "(NSS_IANA_DB unset)",
            why ? why : strerror(errno));
}

/* "floor:floor.glibc,iana:iana.glibc,direct:iana.direct" */
static size_t parse_backends(char *spec, struct backend *bs, size_t max)
{
    size_t nb = 0;
    for (char *save = NULL, *t = strtok_r(spec, ",", &save); t && nb < max;
         t = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(t, ':');
        if (colon)
            *colon = '\0';
        const char *name = t, *label = colon ? colon + 1 : t;
        if (strcmp(name, "floor") && strcmp(name, "iana") && strcmp(name, "files") &&
            strcmp(name, "db") && strcmp(name, "direct") && strcmp(name, "noindex"))
            die("unknown backend %s", name);
        bs[nb++] = (struct backend){name, label, strcmp(name, "direct") == 0};
        if ((bs[nb - 1].direct || strcmp(name, "noindex") == 0) && !db.base)
            open_direct();
    }
    return nb;
}

/* The backend answers http/tcp with port 80: it is there and reads what
 * it was given.  */
static bool answers_http(const struct backend *b)
{
    select_backend(b);
    if (direct) {
        int64_t hit = iana_db_by_name(&db, "http", IANA_TCP);
        struct iana_view v;
        return hit >= 0 && iana_db_entry(&db, (uint32_t)hit, &v) == 0 && v.port_lo == 80;
    }
    char buf[BUFLEN];
    struct servent se, *res = NULL;
    bench_oracle_answer = db.base ? iana_db_by_name(&db, "http", IANA_TCP) : -1;
    return getservbyname_r("http", "tcp", &se, buf, sizeof buf, &res) == 0 && res &&
           ntohs((uint16_t)se.s_port) == 80;
}

static int child_main(char *spec, const char *export_path, size_t queries, unsigned rounds,
                      bool threads, bool check_http)
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
    if (!nsswitch_file) /* enumeration has no per-call check to show */
        measure_group(ENUM, rest, nr, rounds);
    if (threads)
        measure_threads(rest, nr, rounds);
    return 0;
}

/* The first lookup in this process, in-process: module loading, mapping,
 * parsing; no process start-up.  */
static int first_call_main(const char *backend)
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

/* ------------------------------------------------------ profile mode */

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

static int profile_main(char *backend, const char *kind, size_t n, const char *export_path)
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

/* ------------------------------------------------------- orchestrator */

struct row {
    char *label;
    struct result r;
};
static struct row *rows;
static size_t nrows;
static char **notes;
static size_t nnotes;
struct scale {
    char label[64];
    double speedup, control;    /* medians of per-round ratios: two threads,
                                 * two processes, against one thread */
    double cpu1, cpu2, cpup;    /* CPU ns per op: 1 thread, 2 threads, 2 processes */
    double parallelism;         /* CPUs the two threads kept busy */
};
static struct scale scales[8];
static size_t nscales;

static const struct scale *find_scale(const char *label)
{
    for (size_t i = 0; i < nscales; i++)
        if (strcmp(scales[i].label, label) == 0)
            return &scales[i];
    return NULL;
}

/* The 1-minute load average.  */
static double loadavg(void)
{
    double l = NAN;
    FILE *f = fopen("/proc/loadavg", "re");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = NAN;
        fclose(f);
    }
    return l;
}

__attribute__((format(printf, 1, 2))) static void add_note(const char *fmt, ...)
{
    va_list ap;
    char *s;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        die("out of memory");
    va_end(ap);
    notes = xrealloc(notes, (nnotes + 1) * sizeof *notes);
    notes[nnotes++] = s;
}

static void add_row(const char *label, struct result r)
{
    rows = xrealloc(rows, (nrows + 1) * sizeof *rows);
    rows[nrows++] = (struct row){xstrdup(label), r};
}

static const struct result *find_row(const char *label)
{
    for (size_t i = 0; i < nrows; i++)
        if (strcmp(rows[i].label, label) == 0)
            return &rows[i].r;
    return NULL;
}

static double med_of(const char *label)
{
    const struct result *r = find_row(label);
    return r ? r->med : NAN;
}

/* Run argv with stdout into a string (NULL: to /dev/null); exit status or
 * -1, and the wall time from spawn to reaped.  */
static int run(char *const argv[], char **out, double *elapsed_ns)
{
    int pfd[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (out) {
        if (pipe2(pfd, O_CLOEXEC) < 0)
            die("pipe: %s", strerror(errno));
        posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
    } else {
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    }
    pid_t pid;
    double t0 = now_ns();
    int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e != 0) {
        if (out) {
            close(pfd[0]);
            close(pfd[1]);
            *out = xstrdup("");
        }
        return -1;
    }
    if (out) {
        close(pfd[1]);
        size_t len = 0, cap = 4096;
        char *s = xmalloc(cap);
        ssize_t k;
        while ((k = read(pfd[0], s + len, cap - len - 1)) > 0 || (k < 0 && errno == EINTR)) {
            if (k < 0)
                continue;
            len += (size_t)k;
            if (cap - len < 2)
                s = xrealloc(s, cap *= 2);
        }
        s[len] = '\0';
        close(pfd[0]);
        *out = s;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (elapsed_ns)
        *elapsed_ns = now_ns() - t0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *self_exe;
static char *export_path;
static size_t queries = DEFAULT_QUERIES;
static unsigned rounds = 7;

static bool parse_row(const char *line, struct row *out)
{
    char label[256];
    struct result r = {0};
    if (sscanf(line, "ROW label=%255s ns=%lf min=%lf max=%lf ops=%zu reps=%u rounds=%u hits=%lu "
                     "errors=%lu pair=%lf",
               label, &r.med, &r.min, &r.max, &r.ops, &r.reps, &r.rounds, &r.hits, &r.errors,
               &r.pair) != 10)
        return false;
    out->label = xstrdup(label);
    out->r = r;
    return true;
}

/* For run_child: the file the child rewrites (--nsswitch), or NULL.  */
static char *child_nsswitch;

/* Run a child measuring `spec` (see parse_backends), under `prefix` (e.g.
 * unshare + mount), and collect its rows.  */
static void run_child(char *const prefix[], const char *spec, bool threads, bool check_http)
{
    char *argv[40];
    size_t n = 0;
    for (size_t i = 0; prefix && prefix[i]; i++)
        argv[n++] = prefix[i];
    char qs[32], rs[32];
    snprintf(qs, sizeof qs, "%zu", queries);
    snprintf(rs, sizeof rs, "%u", rounds);
    argv[n++] = self_exe;
    argv[n++] = "--backend";
    argv[n++] = (char *)spec;
    argv[n++] = "--export";
    argv[n++] = export_path;
    argv[n++] = "--queries";
    argv[n++] = qs;
    argv[n++] = "--rounds";
    argv[n++] = rs;
    if (threads)
        argv[n++] = "--threads";
    if (check_http)
        argv[n++] = "--check-http";
    if (child_nsswitch) {
        argv[n++] = "--nsswitch";
        argv[n++] = child_nsswitch;
    }
    argv[n] = NULL;
    fprintf(stderr, "bench: measuring %s ...\n", spec);
    char *out;
    int rc = run(argv, &out, NULL);
    for (char *save = NULL, *ln = strtok_r(out, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        struct row row;
        if (parse_row(ln, &row)) {
            add_row(row.label, row.r);
            free(row.label);
        } else if (strncmp(ln, "SCALE ", 6) == 0 && nscales < sizeof scales / sizeof scales[0]) {
            struct scale *p = &scales[nscales];
            if (sscanf(ln, "SCALE label=%63s speedup=%lf control=%lf cpu1=%lf cpu2=%lf cpup=%lf "
                           "parallelism=%lf",
                       p->label, &p->speedup, &p->control, &p->cpu1, &p->cpu2, &p->cpup,
                       &p->parallelism) == 7)
                nscales++;
        } else if (strncmp(ln, "SKIP ", 5) == 0) {
            add_note("%s: skipped (%s)", spec, ln + 5);
        }
    }
    free(out);
    if (rc != 0 && rc != 3)
        add_note("%s: the child exited with status %d", spec, rc);
}

static bool can_unshare(void)
{
    if (geteuid() != 0)
        return false;
    char *argv[] = {"unshare", "-m", "true", NULL};
    return run(argv, NULL, NULL) == 0;
}

static bool in_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    char *p = xstrdup(path);
    bool found = false;
    for (char *save = NULL, *d = strtok_r(p, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char *f = xasprintf("%s/%s", d, prog);
        found = access(f, X_OK) == 0;
        free(f);
    }
    free(p);
    return found;
}

/* The makedb input the libnss-db package's /var/lib/misc/Makefile writes
 * for services (its awk, FS="[ \t/]+"): "0N line", ".name/proto line",
 * ".name/ line", "=port/proto line", "=port/ line", and the same two for
 * each alias.  */
static bool write_makedb_input(const char *in, const char *out)
{
    FILE *f = fopen(in, "re"), *o = fopen(out, "we");
    if (!f || !o) {
        if (f)
            fclose(f);
        if (o)
            fclose(o);
        return false;
    }
    char *buf = NULL;
    size_t cap = 0;
    unsigned long cnt = 0;
    while (getline(&buf, &cap, f) > 0) {
        buf[strcspn(buf, "\n")] = '\0';
        const char *s = buf + strspn(buf, " \t");
        if (*s == '\0' || *s == '#')
            continue;
        fprintf(o, "0%lu %s\n", cnt++, buf);
        char *copy = xstrdup(buf), *save = NULL;
        char *fld[64];
        size_t nf = 0;
        for (char *t = strtok_r(copy, " \t/", &save); t && nf < 64; t = strtok_r(NULL, " \t/", &save))
            fld[nf++] = t;
        if (nf >= 3) {
            fprintf(o, ".%s/%s %s\n.%s/ %s\n", fld[0], fld[2], buf, fld[0], buf);
            fprintf(o, "=%s/%s %s\n=%s/ %s\n", fld[1], fld[2], buf, fld[1], buf);
            for (size_t i = 3; i < nf && fld[i][0] != '#'; i++)
                fprintf(o, ".%s/%s %s\n.%s/ %s\n", fld[i], fld[2], buf, fld[i], buf);
        }
        free(copy);
    }
    free(buf);
    fclose(f);
    return fclose(o) == 0;
}

/* The floor row a row is compared with.  */
static const char *floor_of(const char *label)
{
    static const char *const kinds[][2] = {
        {".byname", "floor.glibc.byname"},
        {".byport", "floor.glibc.byport"},
        {".enum", "floor.glibc.enum"},
        {".first_call", "floor.first_call"},
        {".first_lookup", "getent.floor.first_lookup"},
        {".mixed.1thread", "floor.glibc.mixed.1thread"},
        {".mixed.2threads", "floor.glibc.mixed.2threads"},
        {".mixed.2processes", "floor.glibc.mixed.2processes"},
    };
    size_t len = strlen(label);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t k = strlen(kinds[i][0]);
        if (len > k && strcmp(label + len - k, kinds[i][0]) == 0)
            return kinds[i][1];
    }
    return NULL;
}

/* Ratio to the floor: measured round by round beside it where it was (the
 * same process, rounds taking turns), else the ratio of the medians.  */
static double ratio_to_floor(const char *label)
{
    const struct result *r = find_row(label);
    const char *f = floor_of(label);
    if (!r)
        return NAN;
    if (r->pair >= 0)
        return r->pair;
    double fm = f ? med_of(f) : NAN;
    return fm > 0 ? r->med / fm : NAN;
}

static void fmt_ns(char *buf, size_t n, double ns)
{
    if (isnan(ns))
        snprintf(buf, n, "-");
    else if (ns >= 1e6)
        snprintf(buf, n, "%.2f ms", ns / 1e6);
    else if (ns >= 1e4)
        snprintf(buf, n, "%.1f us", ns / 1e3);
    else
        snprintf(buf, n, "%.1f ns", ns);
}

struct target {
    const char *name;
    const char *what;
    double value;
    const char *op; /* "<=", ">=" or "<" */
    double limit;
    const char *unit;
    char detail[160];
};

static const char *verdict(const struct target *t)
{
    if (isnan(t->value))
        return "SKIP";
    bool pass = strcmp(t->op, "<=") == 0 ? t->value <= t->limit
              : strcmp(t->op, ">=") == 0 ? t->value >= t->limit
                                         : t->value < t->limit;
    return pass ? "PASS" : "FAIL";
}

static char *absolute(const char *p)
{
    char *r = realpath(p, NULL);
    if (!r)
        die("%s: %s", p, strerror(errno));
    return r;
}

static void detail_vs(struct target *t, double a, double b, const char *suffix)
{
    char x[32], y[32];
    fmt_ns(x, sizeof x, a);
    fmt_ns(y, sizeof y, b);
    snprintf(t->detail, sizeof t->detail, "%s vs %s%s", x, y, suffix);
}

/* First lookups in fresh processes, interleaved: `getent -s B services
 * http` (wall, spawn to exit) and this binary's --first-call B (the first
 * getservbyname_r alone, in-process).  */
static void first_lookups(void)
{
    static const char *const be[] = {"floor", "iana", "files"};
    enum { NB = 3 };
    double *wall[NB], *call[NB];
    size_t nw[NB] = {0}, nc[NB] = {0};
    for (int b = 0; b < NB; b++) {
        wall[b] = xmalloc(PROCESS_RUNS * sizeof(double));
        call[b] = xmalloc(PROCESS_RUNS * sizeof(double));
    }
    for (int i = 0; i <= PROCESS_RUNS; i++) {
        for (int b = 0; b < NB; b++) {
            char *g[] = {"getent", "-s", (char *)be[b], "services", "http", NULL};
            double t;
            int rc = run(g, NULL, &t);
            if (i == 0 && rc != 0) /* the first run of each is untimed: a check */
                add_note("getent -s %s services http exited %d", be[b], rc);
            if (i > 0 && rc == 0)
                wall[b][nw[b]++] = t;
            char *f[] = {self_exe, "--first-call", (char *)be[b], NULL};
            char *out;
            double ns;
            rc = run(f, &out, NULL);
            if (i > 0 && rc == 0 && sscanf(out, "FIRST ns=%lf", &ns) == 1)
                call[b][nc[b]++] = ns;
            free(out);
        }
    }
    for (int b = 0; b < NB; b++) {
        if (nw[b]) {
            char *l = xasprintf("getent.%s.first_lookup", be[b]);
            add_row(l, (struct result){median(wall[b], nw[b]), vmin(wall[b], nw[b]),
                                       vmax(wall[b], nw[b]), 1, 1, (unsigned)nw[b], 1, 0, -1});
            free(l);
        }
        if (nc[b]) {
            char *l = xasprintf("%s.first_call", be[b]);
            add_row(l, (struct result){median(call[b], nc[b]), vmin(call[b], nc[b]),
                                       vmax(call[b], nc[b]), 1, 1, (unsigned)nc[b], 1, 0, -1});
            free(l);
        }
        free(wall[b]);
        free(call[b]);
    }
}

static void print_table(void)
{
    static const char *const sections[][2] = {
        {"by name (random names, aliases, upper case, misses; every protocol and none)", "byname"},
        {"by port (registry ports and uniform 0-65535; every protocol and none)", "byport"},
        {"enumeration: setservent/getservent_r/endservent, per line", "enum"},
        {"one thread, two threads, two processes (mixed name+port), aggregate per op", "thread"},
        {"first lookup in a new process: the first getservbyname_r in-process", "first_call"},
        {"first lookup in a new process: `getent -s B services http`, spawn to exit", "first_lookup"},
    };
    printf("%-30s %12s %8s %9s %5s %22s %7s\n", "row", "per op", "x floor", "ops/pass", "reps",
           "min .. max", "hits");
    for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++) {
        printf("-- %s\n", sections[s][0]);
        for (size_t i = 0; i < nrows; i++) {
            const char *l = rows[i].label, *dot = strrchr(l, '.');
            bool thread = strstr(l, ".mixed.") != NULL;
            bool in = strcmp(sections[s][1], "thread") == 0 ? thread
                                                            : !thread && strcmp(dot + 1, sections[s][1]) == 0;
            if (!in)
                continue;
            const struct result *r = &rows[i].r;
            double x = ratio_to_floor(l);
            char a[32], lo[32], hi[32], mm[80], xs[16], hs[24];
            fmt_ns(a, sizeof a, r->med);
            fmt_ns(lo, sizeof lo, r->min);
            fmt_ns(hi, sizeof hi, r->max);
            snprintf(mm, sizeof mm, "%s .. %s", lo, hi);
            snprintf(xs, sizeof xs, isnan(x) ? "-" : "%.2f", x);
            snprintf(hs, sizeof hs, "%lu", r->hits);
            printf("%-30s %12s %8s %9zu %5u %22s %7s%s\n", l, a, xs, r->ops, r->reps, mm,
                   thread || strstr(l, "first") ? "-" : hs, r->errors ? " ERRORS" : "");
        }
    }
}

/* First lookups as an installed module gets them: found through the
 * dynamic linker's cache, not by searching LD_LIBRARY_PATH (ten failed
 * opens of glibc-hwcaps and tls directories, for libc as well, in every
 * new process, which no installed module pays).  As root: a cache that
 * also lists the build directories, bind-mounted over /etc/ld.so.cache in
 * `unshare -m`, and LD_LIBRARY_PATH unset for every backend alike.  */
static void installed_first_lookups(bool root_ns, const char *rundir, const char *bdir,
                                    const char *bbdir, char *mount_sh)
{
    char *conf = xasprintf("%s/ld.so.conf", rundir), *cache = xasprintf("%s/ld.so.cache", rundir);
    FILE *f = fopen(conf, "we");
    bool ok = root_ns && in_path("ldconfig") && f &&
              fprintf(f, "include /etc/ld.so.conf.d/*.conf\n%s\n%s\n", bbdir, bdir) > 0;
    if (f && fclose(f) != 0)
        ok = false;
    char *ldc[] = {"ldconfig", "-X", "-C", cache, "-f", conf, NULL};
    if (ok && run(ldc, NULL, NULL) == 0) {
        char *argv[] = {"unshare", "-m", "sh", "-c", mount_sh, "sh", cache, "/etc/ld.so.cache",
                        "env", "-u", "LD_LIBRARY_PATH", self_exe, "--first-lookups", NULL};
        char *out;
        int rc = run(argv, &out, NULL);
        size_t got = 0;
        for (char *save = NULL, *ln = strtok_r(out, "\n", &save); ln;
             ln = strtok_r(NULL, "\n", &save)) {
            struct row row;
            if (parse_row(ln, &row)) {
                add_row(row.label, row.r);
                free(row.label);
                got++;
            }
        }
        free(out);
        if (rc == 0 && got) {
            add_note("first lookups: modules found through a dynamic linker cache listing the "
                     "build directories (bind-mounted over /etc/ld.so.cache), no LD_LIBRARY_PATH, "
                     "as when installed");
            free(conf);
            free(cache);
            return;
        }
        add_note("first lookups: the run with a private linker cache failed (status %d); "
                 "measured with LD_LIBRARY_PATH instead", rc);
    } else {
        add_note("first lookups: measured with LD_LIBRARY_PATH (needs root, unshare -m and "
                 "ldconfig for a private linker cache): every new process searches its "
                 "directories, which an installed module does not");
    }
    free(conf);
    free(cache);
    first_lookups();
}

static int orchestrate(const char *build, const char *dbp, const char *tool, const char *csv)
{
    char *bdir = absolute(build), *dbpath = absolute(dbp), *toolpath = absolute(tool);
    char *csvpath = absolute(csv);
    char *bbdir = xasprintf("%s/bench", bdir);
    char *rundir = xasprintf("%s/run", bbdir);
    mkdir(rundir, 0755);
    char *ld = xasprintf("%s:%s", bbdir, bdir);
    setenv("LD_LIBRARY_PATH", ld, 1);
    setenv("NSS_IANA_DB", dbpath, 1);
    double t_start = now_ns(), load_start = loadavg();
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

    /* The export: the query source, nss_files' file and makedb's input.  */
    export_path = xasprintf("%s/services.export", rundir);
    {
        char *argv[] = {toolpath, "export", "--db", dbpath, NULL};
        char *out;
        if (run(argv, &out, NULL) != 0)
            die("%s export failed", toolpath);
        FILE *f = fopen(export_path, "we");
        if (!f || fputs(out, f) == EOF || fclose(f) != 0)
            die("%s: cannot write", export_path);
        free(out);
    }
    load_export(export_path);
    char *enum_n = xasprintf("%zu", nlines);
    setenv("NSS_FLOOR_ENUM", enum_n, 1); /* the floor enumerates as many lines */

    /* The floor, iana through glibc and the reader, side by side.  */
    run_child(NULL, "floor:floor.glibc,iana:iana.glibc,noindex:iana.noindex,direct:iana.direct",
              true, true);

    bool root_ns = can_unshare();
    char *mount_sh = "mount --bind \"$1\" \"$2\" && shift 2 && exec \"$@\"";
    if (root_ns) {
        char *pre[] = {"unshare", "-m", "sh", "-c", mount_sh, "sh", export_path, "/etc/services", NULL};
        run_child(pre, "files:files.export", false, true);
    } else {
        add_note("files.export: skipped (needs root and unshare -m to bind-mount the export over "
                 "/etc/services)");
    }
    run_child(NULL, "files:files.etc", false, false);

    /* As installed: the services line of /etc/nsswitch.conf (a file of the
     * run directory bind-mounted over it), which glibc stats on every call
     * when nothing called __nss_configure_lookup.  */
    if (root_ns) {
        char *conf = xasprintf("%s/nsswitch.conf", rundir);
        FILE *f = fopen(conf, "we");
        if (!f || fputs("services: floor\n", f) == EOF || fclose(f) != 0)
            die("%s: cannot write", conf);
        char *pre[] = {"unshare", "-m", "sh", "-c", mount_sh, "sh", conf, "/etc/nsswitch.conf", NULL};
        child_nsswitch = conf;
        run_child(pre, "floor:floor.installed,iana:iana.installed", false, true);
        child_nsswitch = NULL;
    } else {
        add_note("*.installed: skipped (needs root and unshare -m to bind-mount over "
                 "/etc/nsswitch.conf)");
    }

    /* libnss-db over the export: makedb into run/misc, bind-mounted over
     * /var/lib/misc where libnss_db looks for services.db.  */
    char *misc = xasprintf("%s/misc", rundir);
    char *mdb_in = xasprintf("%s/makedb.in", rundir);
    char *mdb_out = xasprintf("%s/services.db", misc);
    mkdir(misc, 0755);
    unlink(mdb_out);
    struct stat sb;
    if (!in_path("makedb")) {
        add_note("db.export: skipped (no makedb: Debian package libnss-db)");
    } else if (!root_ns) {
        add_note("db.export: skipped (needs root and unshare -m to bind-mount over /var/lib/misc)");
    } else if (stat("/var/lib/misc", &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        add_note("db.export: skipped (/var/lib/misc is not a directory)");
    } else if (!write_makedb_input(export_path, mdb_in)) {
        add_note("db.export: skipped (cannot write %s)", mdb_in);
    } else {
        char *argv[] = {"makedb", "--quiet", "-o", mdb_out, mdb_in, NULL};
        if (run(argv, NULL, NULL) != 0) {
            add_note("db.export: skipped (makedb failed)");
        } else {
            char *pre[] = {"unshare", "-m", "sh", "-c", mount_sh, "sh", misc, "/var/lib/misc", NULL};
            run_child(pre, "db:db.export", false, true);
        }
    }

    /* Compiling the full CSV.  */
    fprintf(stderr, "bench: compile, database size, first lookups ...\n");
    char *cdb = xasprintf("%s/compile.db", rundir);
    double csample[COMPILE_RUNS];
    size_t ncs = 0;
    for (int i = 0; i < COMPILE_RUNS; i++) {
        unlink(cdb);
        char *argv[] = {toolpath, "compile", "--output", cdb, csvpath, NULL};
        double t;
        if (run(argv, NULL, &t) == 0)
            csample[ncs++] = t;
    }
    unlink(cdb);
    if (ncs == 0)
        add_note("compile: every run failed");
    double cmed = ncs ? median(csample, ncs) : NAN;
    struct stat dbst;
    double dbsize = stat(dbpath, &dbst) == 0 ? (double)dbst.st_size : NAN;
    installed_first_lookups(root_ns, rundir, bdir, bbdir, mount_sh);
    double load_end = loadavg();

    /* ---------------------------------------------------------- report */
    printf("\nnss-iana benchmark: %zu name + %zu port queries (seed %#llx) from %zu export lines "
           "(%zu aliases); median of %u rounds\n",
           queries, queries, (unsigned long long)SEED, nlines, naliases, rounds);
    printf("glibc rows: getservbyname_r/getservbyport_r/getservent_r, __nss_configure_lookup(\"services\", B);\n"
           "x floor: per-round ratio to the floor measured in the same process where it was, else of medians\n\n");
    print_table();

    printf("-- whole registry, one enumeration\n");
    for (size_t i = 0; i < nrows; i++) {
        const char *l = rows[i].label, *dot = strrchr(l, '.');
        if (dot && strcmp(dot, ".enum") == 0) {
            char a[32];
            fmt_ns(a, sizeof a, rows[i].r.med * (double)rows[i].r.ops);
            printf("%-30s %12s  %lu lines\n", l, a, rows[i].r.ops);
        }
    }
    printf("-- two threads against one: throughput ratios (medians of per-round ratios)\n");
    printf("   control: the same loop in two processes (fork) at once: what the machine gives two\n"
           "   of anything; threads/control below 1 is the code (shared writes, locks), not the machine\n");
    for (size_t i = 0; i < nscales; i++) {
        const struct scale *p = &scales[i];
        printf("%-14s 2 threads %5.2fx  2 processes %5.2fx  threads/control %.2f  CPU/op %.1f ns "
               "-> %.1f (threads), %.1f (processes)\n",
               p->label, p->speedup, p->control, p->speedup / p->control, p->cpu1, p->cpu2, p->cpup);
    }
    printf("-- build\n");
    if (ncs)
        printf("%-30s %9.1f ms  median of %zu (%.1f .. %.1f)\n", "compile full CSV", cmed / 1e6,
               ncs, vmin(csample, ncs) / 1e6, vmax(csample, ncs) / 1e6);
    printf("%-30s %9.0f B   (%.1f KiB)\n", "database size", dbsize, dbsize / 1024);

    /* Machine-readable: one line per row.  */
    printf("\n");
    for (size_t i = 0; i < nrows; i++) {
        const struct result *r = &rows[i].r;
        printf("BENCH name=%s ns_per_op=%.1f ratio_to_floor=%.3f min=%.1f max=%.1f ops=%zu reps=%u "
               "rounds=%u hits=%lu errors=%lu\n",
               rows[i].label, r->med, ratio_to_floor(rows[i].label), r->min, r->max, r->ops, r->reps,
               r->rounds, r->hits, r->errors);
    }
    for (size_t i = 0; i < nscales; i++)
        printf("BENCH name=scaling.%s speedup_2_threads=%.3f speedup_2_processes=%.3f "
               "threads_over_processes=%.3f cpu_ns_per_op_1_thread=%.1f cpu_ns_per_op_2_threads=%.1f "
               "cpu_ns_per_op_2_processes=%.1f cpus_busy_2_threads=%.2f\n",
               scales[i].label, scales[i].speedup, scales[i].control,
               scales[i].speedup / scales[i].control, scales[i].cpu1, scales[i].cpu2,
               scales[i].cpup, scales[i].parallelism);
    printf("BENCH name=compile.full_csv ms=%.2f runs=%zu\n", cmed / 1e6, ncs);
    printf("BENCH name=db.size bytes=%.0f\n", dbsize);

    /* Sanity: the module and the reader answer the same queries.  */
    const struct result *gn = find_row("iana.glibc.byname"), *dn = find_row("iana.direct.byname");
    const struct result *gp = find_row("iana.glibc.byport"), *dp = find_row("iana.direct.byport");
    const struct result *e_iana = find_row("iana.glibc.enum"), *e_files = find_row("files.export.enum");
    if (gn && dn && gn->ops == dn->ops && gn->hits != dn->hits)
        add_note("iana.glibc.byname and iana.direct.byname found %lu and %lu", gn->hits, dn->hits);
    if (gp && dp && gp->ops == dp->ops && gp->hits != dp->hits)
        add_note("iana.glibc.byport and iana.direct.byport found %lu and %lu", gp->hits, dp->hits);
    if (e_iana && e_iana->ops != nlines)
        add_note("iana.glibc.enum listed %zu lines, the export has %zu", e_iana->ops, nlines);
    for (size_t i = 0; i < nrows; i++)
        if (rows[i].r.errors)
            add_note("%s: %lu calls failed with something other than not-found", rows[i].label,
                     rows[i].r.errors);

    /* Targets.  */
    const struct scale *si = find_scale("iana.glibc"), *sf = find_scale("floor.glibc");
    const struct scale *sd = find_scale("iana.direct");
    double gi = med_of("getent.iana.first_lookup"), gf = med_of("getent.files.first_lookup");
    struct target t[] = {
        {"byname_vs_floor", "by name through glibc / floor", ratio_to_floor("iana.glibc.byname"), "<=", 1.5, "x", ""},
        {"byport_vs_floor", "by port through glibc / floor", ratio_to_floor("iana.glibc.byport"), "<=", 1.5, "x", ""},
        {"enum_vs_files", "enumeration / nss_files over the export",
         e_iana && e_files ? e_iana->med / e_files->med : NAN, "<", 1.0, "x", ""},
        {"compile_ms", "compile the full CSV", cmed / 1e6, "<", 50, "ms", ""},
        {"db_size_mib", "database size", dbsize / 1048576.0, "<", 1.0, "MiB", ""},
        {"first_lookup_vs_files", "first lookup, new process / nss_files over /etc/services",
         gi / gf, "<=", 1.0, "x", ""},
        {"two_threads_speedup", "two threads / one, iana through glibc (throughput)",
         si ? si->speedup : NAN, ">=", 1.8, "x", ""},
    };
    detail_vs(&t[0], med_of("iana.glibc.byname"), med_of("floor.glibc.byname"), "");
    detail_vs(&t[1], med_of("iana.glibc.byport"), med_of("floor.glibc.byport"), "");
    detail_vs(&t[2], e_iana ? e_iana->med * (double)e_iana->ops : NAN,
              e_files ? e_files->med * (double)e_files->ops : NAN, " a pass");
    detail_vs(&t[5], gi, gf, "");
    if (si)
        snprintf(t[6].detail, sizeof t[6].detail,
                 "2 processes %.2fx; 2 threads: floor %.2fx, iana direct %.2fx", si->control,
                 sf ? sf->speedup : NAN, sd ? sd->speedup : NAN);
    printf("\nTargets:\n");
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        printf("  %-4s %-55s %8.3f %-3s (target %s %g)  %s\n", verdict(&t[i]), t[i].what,
               isnan(t[i].value) ? 0.0 : t[i].value, t[i].unit, t[i].op, t[i].limit,
               isnan(t[i].value) ? "not measured" : t[i].detail);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        printf("BENCH_TARGET name=%s value=%.4f unit=%s target=%s%g result=%s\n", t[i].name,
               t[i].value, t[i].unit, t[i].op, t[i].limit, verdict(&t[i]));

    if (si && si->control < 1.8)
        add_note("two processes running the iana loop got %.2fx one thread's throughput, not 2x: "
                 "the machine did not give two of anything two cores' worth during the run (other "
                 "work, or vCPUs that are hyperthreads of one core), so the two-thread target was "
                 "out of reach for any code; threads reached %.2f of what processes did",
                 si->control, si->speedup / si->control);
    double in = ratio_to_floor("iana.installed.byname"), ip = ratio_to_floor("iana.installed.byport");
    if (!isnan(in) && !isnan(ip))
        add_note("as installed (the services line of /etc/nsswitch.conf, which glibc stats on "
                 "every call unless __nss_configure_lookup was called): iana is %.2fx the floor by "
                 "name and %.2fx by port, %.0f ns and %.0f ns a lookup against %.0f ns and %.0f ns; "
                 "the targets above are the module measured without that check",
                 in, ip, med_of("iana.installed.byname"), med_of("iana.installed.byport"),
                 med_of("floor.installed.byname"), med_of("floor.installed.byport"));
    double nn = ratio_to_floor("iana.noindex.byname"), np = ratio_to_floor("iana.noindex.byport");
    if (!isnan(nn) && !isnan(np))
        add_note("the module around its index: iana.noindex (nss_iana.c answering what the index "
                 "would, without looking anything up) is %.2fx the floor by name and %.2fx by port; "
                 "the index adds %.1f ns and %.1f ns a lookup",
                 nn, np, med_of("iana.glibc.byname") - med_of("iana.noindex.byname"),
                 med_of("iana.glibc.byport") - med_of("iana.noindex.byport"));
    if (sf && sd && sf->speedup < 0.9 * sf->control && sd->speedup >= 0.9 * sd->control)
        add_note("glibc's NSS dispatch does not scale: the floor (a module that does nothing) gets "
                 "%.2fx from two threads against %.2fx from two processes, while the reader called "
                 "without glibc gets %.2fx from two threads: a cost every backend pays",
                 sf->speedup, sf->control, sd->speedup);
    if (!(load_start < 0.5 * (double)ncpu) || !(load_end < 0.5 * (double)ncpu))
        add_note("the machine was busy (load average %.2f at the start, %.2f at the end, %ld "
                 "CPUs): absolute times are noisy; ratios taken round by round less so",
                 load_start, load_end, ncpu);
    if (nnotes) {
        printf("\nNotes:\n");
        for (size_t i = 0; i < nnotes; i++)
            printf("  - %s\n", notes[i]);
    }
    printf("\nTimes depend on the machine and its neighbours; `make bench-profile` counts "
           "instructions.\nbench: done in %.1f s\n", (now_ns() - t_start) / 1e9);
    return 0;
}

__attribute__((noreturn)) static void usage(void)
{
    fputs("usage: bench [--build DIR] [--db DB] [--tool TOOL] [--csv CSV] [--rounds N] [--queries N]\n"
          "       bench --backend NAME[:LABEL][,...] --export FILE [--queries N] [--rounds N]\n"
          "             [--threads] [--check-http] [--nsswitch FILE]\n"
          "                                         NAME: floor iana noindex direct files db\n"
          "       bench --first-call floor|iana|files|db\n"
          "       bench --first-lookups\n"
          "       bench --profile floor|iana|direct byname|byport N --export FILE\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *build = "build", *dbp = NULL, *tool = NULL;
    const char *csv = "data/service-names-port-numbers.csv";
    const char *exp = NULL, *pkind = NULL, *first = NULL;
    char *backend = NULL, *pbackend = NULL;
    size_t pn = 0;
    bool threads = false, check_http = false, first_only = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
#define ARG() (i + 1 < argc ? argv[++i] : (usage(), argv[0]))
        if (strcmp(a, "--build") == 0) build = ARG();
        else if (strcmp(a, "--db") == 0) dbp = ARG();
        else if (strcmp(a, "--tool") == 0) tool = ARG();
        else if (strcmp(a, "--csv") == 0) csv = ARG();
        else if (strcmp(a, "--rounds") == 0) rounds = (unsigned)strtoul(ARG(), NULL, 10);
        else if (strcmp(a, "--queries") == 0) queries = strtoul(ARG(), NULL, 10);
        else if (strcmp(a, "--backend") == 0) backend = ARG();
        else if (strcmp(a, "--export") == 0) exp = ARG();
        else if (strcmp(a, "--threads") == 0) threads = true;
        else if (strcmp(a, "--check-http") == 0) check_http = true;
        else if (strcmp(a, "--nsswitch") == 0) nsswitch_file = ARG();
        else if (strcmp(a, "--first-call") == 0) first = ARG();
        else if (strcmp(a, "--first-lookups") == 0) first_only = true;
        else if (strcmp(a, "--profile") == 0 && i + 3 < argc) {
            pbackend = argv[++i];
            pkind = argv[++i];
            pn = strtoul(argv[++i], NULL, 10);
        } else usage();
#undef ARG
    }
    if (rounds == 0 || queries == 0)
        usage();
    if (first)
        return first_call_main(first);
    if (pbackend) {
        if (!exp)
            usage();
        return profile_main(pbackend, pkind, pn, exp);
    }
    if (backend) {
        if (!exp)
            usage();
        return child_main(backend, exp, queries, rounds, threads, check_http);
    }
    self_exe = absolute("/proc/self/exe");
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

/* Clocks, medians and the measure loops: rounds of passes for each backend
 * of a group, taking turns so that they share the machine's moments, and
 * the same mixed loop in one thread, two threads and two processes.  A
 * child prints what it measured as ROW and SCALE lines.  */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"

double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double median(const double *v, size_t n)
{
    double *c = xmalloc(n * sizeof *c);
    memcpy(c, v, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_double);
    double m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
    free(c);
    return m;
}

double vmin(const double *v, size_t n)
{
    double m = v[0];
    for (size_t i = 1; i < n; i++)
        m = v[i] < m ? v[i] : m;
    return m;
}

double vmax(const double *v, size_t n)
{
    double m = v[0];
    for (size_t i = 1; i < n; i++)
        m = v[i] > m ? v[i] : m;
    return m;
}

void print_row(const char *label, const struct result *r)
{
    printf("ROW label=%s ns=%.3f min=%.3f max=%.3f ops=%zu reps=%u rounds=%u hits=%lu errors=%lu "
           "pair=%.5f",
           label, r->med, r->min, r->max, r->ops, r->reps, r->rounds, r->hits, r->errors, r->pair);
    printf(r->ref[0] ? " ref=%s\n" : "\n", r->ref);
    fflush(stdout);
}

/* Rounds of `reps` passes over the first `ops` queries (for ENUM: whole
 * enumerations), ns per query or line.  A slow backend (nss_files) gets
 * fewer queries, never under MIN_SLOW_QUERIES (MIN_SLOW_GAI getaddrinfo
 * calls); a fast one repeats the pass to fill ROUND_TARGET_NS.  The
 * backends of a group ask the same queries, as many as the slowest gets,
 * and take turns round by round, each after an untimed pass of its own,
 * so that they share the machine's moments: the ratio to the first is
 * taken per round.  */
void measure_group(enum kind k, const struct backend *bs, size_t nb, unsigned rounds)
{
    struct result *r = xmalloc(nb * sizeof *r);
    double **sample = xmalloc(nb * sizeof *sample);
    double *est = xmalloc(nb * sizeof *est);
    unsigned long errors = 0;
    size_t fewest = nq;
    for (size_t b = 0; b < nb; b++) {
        select_backend(&bs[b]);
        pass_fn *fn = pass_of(k);
        /* A getaddrinfo call over a big /etc/services takes milliseconds.  */
        size_t probe = k == ENUM ? 1 : nq < 256 ? nq : (k == GAI || k == GAI4) ? 32 : 256;
        fn(0, probe, &errors); /* the first call loads the module */
        double t0 = now_ns();
        unsigned long seen = fn(0, probe, &errors);
        est[b] = (now_ns() - t0) / (double)(k == ENUM ? (seen ? seen : 1) : probe);
        size_t n = k == ENUM ? seen : nq;
        if (k != ENUM && est[b] * (double)nq > SLOW_BUDGET_NS) {
            size_t least = (k == GAI || k == GAI4) ? MIN_SLOW_GAI : MIN_SLOW_QUERIES;
            n = (size_t)(SLOW_BUDGET_NS / est[b]);
            n = n < least ? least : n;
            n = n > nq ? nq : n;
        }
        fewest = n < fewest ? n : fewest;
        r[b] = (struct result){.ops = n, .rounds = rounds, .pair = -1};
    }
    for (size_t b = 0; b < nb; b++) {
        select_backend(&bs[b]);
        pass_fn *fn = pass_of(k);
        if (k != ENUM) /* an enumeration is as long as the backend's list */
            r[b].ops = fewest;
        double pass = est[b] * (double)r[b].ops;
        unsigned reps = pass >= ROUND_TARGET_NS ? 1 : (unsigned)ceil(ROUND_TARGET_NS / pass);
        r[b].reps = reps > 10000 ? 10000 : reps;
        r[b].hits = fn(0, r[b].ops, &errors); /* warm-up, untimed */
        sample[b] = xmalloc(rounds * sizeof(double));
    }
    for (unsigned j = 0; j < rounds; j++) {
        for (size_t b = 0; b < nb; b++) {
            select_backend(&bs[b]);
            pass_fn *fn = pass_of(k);
            unsigned long e = 0;
            /* This backend's data back in the caches, unless a pass is so
             * long that its start does that.  */
            if (nb > 1 && est[b] * (double)r[b].ops * r[b].reps < 10 * ROUND_TARGET_NS)
                fn(0, r[b].ops, &e);
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
            snprintf(r[b].ref, sizeof r[b].ref, "%s.%s", bs[0].label, kind_name[k]);
        }
        char *l = xasprintf("%s.%s", bs[b].label, kind_name[k]);
        print_row(l, &r[b]);
        free(l);
    }
    /* Every other pair of the group, round by round, for ratios between
     * backends that are not the first.  */
    for (size_t b = 2; b < nb; b++)
        for (size_t a = 1; a < b; a++) {
            for (unsigned j = 0; j < rounds; j++)
                pr[j] = sample[b][j] / sample[a][j];
            printf("PAIR a=%s.%s b=%s.%s ratio=%.5f\n", bs[b].label, kind_name[k], bs[a].label,
                   kind_name[k], median(pr, rounds));
        }
    fflush(stdout);
    for (size_t b = 0; b < nb; b++)
        free(sample[b]);
    free(pr);
    free(sample);
    free(est);
    free(r);
}

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
    /* The clocks start before the workers are let go: taken after the
     * barrier, they could start when a worker had already finished, if
     * this thread was not the first to run again on a busy machine.  */
    double c0 = cpu_ns(), t0 = now_ns();
    pthread_barrier_wait(&start);
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
void measure_threads(const struct backend *bs, size_t nb, unsigned rounds)
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
        reps[b] = reps[b] > 10000 ? 10000 : reps[b];
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
                               reps[b], rounds, 0, errors, -1, ""};
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

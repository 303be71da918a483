/* A process's first lookups, made by many threads at once: what a
 * many-threaded server (Go with cgo, Node, Java, nginx workers) does as it
 * starts.  Each run is a new process (forked before this one ever asks
 * NSS anything), whose threads wait on a barrier and then each make their
 * first lookup through glibc's dispatch (__nss_configure_lookup, the
 * module found by the library search).  Every thread must get the answer
 * the same process gets afterwards, warm, from its main thread: a thread
 * that got UNAVAIL or NOTFOUND meanwhile is a failure.
 *
 *   NSS_IANA_DB=DB LD_LIBRARY_PATH=BUILD test_coldstart
 *
 * COLDSTART_SCALE=N divides the run counts (the ThreadSanitizer build,
 * which is ten times slower, runs a tenth of them).  */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <nss.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

enum { MAX_THREADS = 64 };

/* The query each thread makes: a services or a protocols one.  */
struct query {
    const char *database;
    /* 0 and the answer's "name number" in out, or an error number.  */
    int (*ask)(char *out, size_t outlen);
};

static int ask_service(char *out, size_t outlen)
{
    struct servent se, *res = NULL;
    char buf[1024];
    /* x11's range: a port only the registry names.  */
    int rc = getservbyport_r((int)htons(6010), "tcp", &se, buf, sizeof buf, &res);
    if (rc != 0 || !res)
        return rc ? rc : ENOENT;
    snprintf(out, outlen, "%s %d/%s", res->s_name, ntohs((uint16_t)res->s_port), res->s_proto);
    return 0;
}

static int ask_protocol(char *out, size_t outlen)
{
    struct protoent pe, *res = NULL;
    char buf[1024];
    /* A protocol only the registry has: no /etc/protocols lists it.  */
    int rc = getprotobyname_r("homa", &pe, buf, sizeof buf, &res);
    if (rc != 0 || !res)
        return rc ? rc : ENOENT;
    snprintf(out, outlen, "%s %d", res->p_name, res->p_proto);
    return 0;
}

static pthread_barrier_t start;
static const struct query *current;
static char answers[MAX_THREADS][128];
static int errors[MAX_THREADS];

static void *first_lookup(void *arg)
{
    size_t i = (size_t)(uintptr_t)arg;
    pthread_barrier_wait(&start);
    errors[i] = current->ask(answers[i], sizeof answers[i]);
    return NULL;
}

/* In a new process: `threads` first lookups at once, then the warm one.
 * Exits with the number of threads whose answer was not the warm one (or
 * 100 + that count when the warm lookup itself failed).  */
static void one_process(const struct query *q, int threads)
{
    __nss_configure_lookup(q->database, "iana");
    current = q;
    pthread_t t[MAX_THREADS];
    pthread_barrier_init(&start, NULL, (unsigned)threads);
    for (int i = 0; i < threads; i++)
        if (pthread_create(&t[i], NULL, first_lookup, (void *)(uintptr_t)i) != 0)
            _exit(200);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    char warm[128];
    int bad = 0;
    if (q->ask(warm, sizeof warm) != 0)
        bad = 100;
    for (int i = 0; i < threads; i++)
        if (errors[i] != 0 || strcmp(answers[i], warm) != 0)
            bad++;
    _exit(bad > 199 ? 199 : bad);
}

static int scaled(int runs)
{
    const char *s = getenv("COLDSTART_SCALE");
    int scale = s ? atoi(s) : 1;
    return scale > 1 ? (runs + scale - 1) / scale : runs;
}

/* `runs` processes of `threads` threads: every thread's first lookup is
 * answered.  */
static void runs_of(const struct query *q, int runs, int threads)
{
    int failed_threads = 0, failed_runs = 0, warm_failed = 0;
    runs = scaled(runs);
    for (int r = 0; r < runs; r++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            one_process(q, threads);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status))
            fail_msg("run %d: the process died (status %#x)", r, status);
        int bad = WEXITSTATUS(status);
        if (bad == 200)
            fail_msg("run %d: pthread_create failed", r);
        if (bad >= 100) {
            warm_failed++;
            bad -= 100;
        }
        failed_threads += bad;
        failed_runs += bad > 0;
    }
    print_message("%s, %d threads: %d runs, %d of %d first lookups not answered as warm\n",
                  q->database, threads, runs, failed_threads, runs * threads);
    if (warm_failed)
        fail_msg("%d runs could not look up even when warm: no database?", warm_failed);
    if (failed_threads)
        fail_msg("%d of %d first lookups (in %d of %d runs) failed", failed_threads,
                 runs * threads, failed_runs, runs);
}

static const struct query services = {"services", ask_service};
static const struct query protocols = {"protocols", ask_protocol};

static void services_16(void **state) { (void)state; runs_of(&services, 1000, 16); }
static void services_64(void **state) { (void)state; runs_of(&services, 200, 64); }
static void protocols_16(void **state) { (void)state; runs_of(&protocols, 1000, 16); }
static void protocols_64(void **state) { (void)state; runs_of(&protocols, 200, 64); }

int main(void)
{
    if (!getenv("NSS_IANA_DB")) {
        fprintf(stderr, "test_coldstart: set NSS_IANA_DB and LD_LIBRARY_PATH\n");
        return 2;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(services_16),
        cmocka_unit_test(services_64),
        cmocka_unit_test(protocols_16),
        cmocka_unit_test(protocols_64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

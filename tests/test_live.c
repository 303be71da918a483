/* Live replacement, through glibc: threads look up continuously with
 * `services: iana` (__nss_configure_lookup) while the database is replaced
 * by atomic rename again and again.  Every answer must be well formed and
 * come from the old or the new file; the last file must be served within a
 * second of its rename; the file's deletion must not disturb a process that
 * has it mapped; a forked child must answer too; and the module must not
 * stat the file on every call.  */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <nss.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../db/writer.h"
#include "testutil.h"

/* Two versions of one registry: svc moves from port 1000 to 2000, and
 * each has a service of its own so enumeration can tell them apart.  */
static const char version_a[] = TU_HEADER "svc,1000,tcp,A,,,,,,,,\nonly-a,1,udp,,,,,,,,,\n";
static const char version_b[] = TU_HEADER "svc,2000,tcp,B,,,,,,,,\nonly-b,2,udp,,,,,,,,,\n"
                                          "extra,3,sctp,,,,,,,,,\n";

static uint8_t *bytes_a, *bytes_b;
static size_t len_a, len_b;
static char *db_path;
static atomic_int stop, bad_answers;
static atomic_long answers, seen_b;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void install(const uint8_t *bytes, size_t len)
{
    char err[256];
    if (db_write_file(db_path, bytes, len, err, sizeof err) != 0)
        fail_msg("%s", err);
}

/* The port svc answers on by name: 1000 or 2000, or -1 for anything
 * malformed.  By port, each of the two is svc or nothing, depending on the
 * version in force at that moment.  */
static int svc_port(void)
{
    struct servent se, *res = NULL;
    char buf[512];
    if (getservbyname_r("svc", "tcp", &se, buf, sizeof buf, &res) != 0 || !res)
        return -1;
    int port = ntohs((uint16_t)res->s_port);
    if (strcmp(res->s_name, "svc") || strcmp(res->s_proto, "tcp") || res->s_aliases[0] ||
        (port != 1000 && port != 2000))
        return -1;
    for (int p = 1000; p <= 2000; p += 1000) {
        res = NULL;
        if (getservbyport_r((int)htons((uint16_t)p), "tcp", &se, buf, sizeof buf, &res) != 0)
            return -1;
        if (res && (strcmp(res->s_name, "svc") || ntohs((uint16_t)res->s_port) != p))
            return -1;
    }
    return port;
}

static void *reader(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        int port = svc_port();
        if (port < 0)
            atomic_fetch_add(&bad_answers, 1);
        else if (port == 2000)
            atomic_fetch_add(&seen_b, 1);
        atomic_fetch_add(&answers, 1);
    }
    return NULL;
}

static int setup(void **state)
{
    (void)state;
    bytes_a = tu_build(version_a, &len_a);
    bytes_b = tu_build(version_b, &len_b);
    assert_true(asprintf(&db_path, "%s/live.db", tu_tmpdir()) > 0);
    install(bytes_a, len_a);
    setenv("NSS_IANA_DB", db_path, 1);
    return __nss_configure_lookup("services", "iana");
}

static void replaced_under_load(void **state)
{
    (void)state;
    enum { THREADS = 4 };
    pthread_t t[THREADS];
    assert_int_equal(svc_port(), 1000);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, reader, NULL), 0);
    /* Three seconds of replacements, alternating, several per check.  */
    double end = now_s() + 3;
    for (int i = 0; now_s() < end; i++) {
        install(i % 2 ? bytes_a : bytes_b, i % 2 ? len_a : len_b);
        usleep(20000);
    }
    /* The last one must be served within a second of its rename.  */
    install(bytes_b, len_b);
    double renamed = now_s();
    while (svc_port() != 2000 && now_s() - renamed < 5)
        usleep(1000);
    double lag = now_s() - renamed;
    atomic_store(&stop, 1);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    print_message("%ld answers, %d malformed, %ld from the new file; served %.3f s after rename\n",
                  (long)answers, (int)bad_answers, (long)seen_b, lag);
    assert_int_equal(bad_answers, 0);
    assert_true(answers > 1000);
    assert_true(seen_b > 0);
    assert_true(lag <= 1.0);
}

static void deleted_file_keeps_serving(void **state)
{
    (void)state;
    assert_int_equal(svc_port(), 2000);
    assert_int_equal(unlink(db_path), 0);
    usleep(1100000); /* past the next check (and a coarse-clock tick) */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(svc_port(), 2000);
    install(bytes_a, len_a);
}

static void enumeration_survives_a_swap(void **state)
{
    (void)state;
    struct servent se, *res;
    char buf[512];
    /* Start enumerating version A, swap to B mid-way: the enumeration
     * goes on from the same place in B (the module keeps one copy of the
     * database, not one per enumeration), as nss_files does when its file
     * is rewritten under it; never a line made of both.  */
    double t0 = now_s();
    while (svc_port() != 1000 && now_s() - t0 < 3)
        usleep(1000);
    setservent(0);
    assert_int_equal(getservent_r(&se, buf, sizeof buf, &res), 0);
    assert_string_equal(res->s_name, "svc");
    install(bytes_b, len_b);
    usleep(1100000);
    assert_int_equal(svc_port(), 2000);
    assert_int_equal(getservent_r(&se, buf, sizeof buf, &res), 0);
    assert_string_equal(res->s_name, "only-b");
    assert_int_equal(ntohs((uint16_t)res->s_port), 2);
    assert_int_equal(getservent_r(&se, buf, sizeof buf, &res), 0);
    assert_int_not_equal(getservent_r(&se, buf, sizeof buf, &res), 0);
    endservent();
    setservent(0);
    int n = 0;
    while (getservent_r(&se, buf, sizeof buf, &res) == 0)
        n++;
    endservent();
    assert_int_equal(n, 3);
}

/* A registry of `rows` one-port rows s000.. (ports 3000..), a range row
 * (4000-4009) after the first half, with rows left out (skip_from up to
 * skip_to) and new ones put in before row `add_at`.  */
static uint8_t *registry_of(int rows, int skip_from, int skip_to, int add_at, int added, size_t *len)
{
    size_t cap = 64 * (size_t)(rows + added + 2) + sizeof TU_HEADER, n = 0;
    char *csv = malloc(cap);
    assert_non_null(csv);
    n += (size_t)snprintf(csv + n, cap - n, "%s", TU_HEADER);
    for (int i = 0; i < rows; i++) {
        if (i == add_at)
            for (int j = 0; j < added; j++)
                n += (size_t)snprintf(csv + n, cap - n, "new%03d,%d,udp,,,,,,,,,\n", j, 5000 + j);
        if (i == rows / 2)
            n += (size_t)snprintf(csv + n, cap - n, "range,4000-4009,tcp,,,,,,,,,\n");
        if (i >= skip_from && i < skip_to)
            continue;
        n += (size_t)snprintf(csv + n, cap - n, "s%03d,%d,tcp,,,,,,,,,\n", i, 3000 + i);
    }
    uint8_t *bytes = tu_build(csv, len);
    free(csv);
    return bytes;
}

/* Every line of a database's enumeration, "name port/proto", as the
 * reader's own cursor gives them: the oracle.  */
static char **lines_of(const uint8_t *bytes, size_t len, size_t *count)
{
    struct iana_db db;
    tu_view(bytes, len, &db);
    struct iana_cursor c = {0};
    uint32_t answer;
    uint16_t port;
    char **lines = NULL;
    *count = 0;
    for (; iana_db_cursor_get(&db, &c, &answer, &port); iana_db_cursor_next(&db, &c)) {
        struct iana_view v;
        assert_int_equal(iana_db_answer(&db, answer, &v), 0);
        lines = realloc(lines, (*count + 1) * sizeof *lines);
        assert_non_null(lines);
        assert_true(asprintf(&lines[(*count)++], "%s %u/%s", v.names, port, v.proto_name) > 0);
    }
    return lines;
}

static void free_lines(char **lines, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(lines[i]);
    free(lines);
}

/* Enumerates `first` lines of `before`, swaps in `after`, and enumerates
 * on: what follows must be the lines of `after` that follow the line given
 * last, each once (the "same place" of nss-iana(8)).  */
static void enumerate_across(const uint8_t *before, size_t before_len, const uint8_t *after,
                             size_t after_len, size_t first)
{
    struct servent se, *res;
    char buf[512], last[512] = "";
    install(before, before_len);
    usleep(600 * 1000);
    setservent(0);
    for (size_t i = 0; i < first; i++) {
        assert_int_equal(getservent_r(&se, buf, sizeof buf, &res), 0);
        snprintf(last, sizeof last, "%s %d/%s", res->s_name, ntohs((uint16_t)res->s_port), res->s_proto);
    }
    install(after, after_len);
    usleep(600 * 1000);
    size_t count, at = 0;
    char **want = lines_of(after, after_len, &count);
    while (at < count && strcmp(want[at], last) != 0)
        at++;
    assert_true(at < count); /* the line given last is in the new file */
    size_t got = 0;
    for (at++; getservent_r(&se, buf, sizeof buf, &res) == 0; at++, got++) {
        char line[512];
        snprintf(line, sizeof line, "%s %d/%s", res->s_name, ntohs((uint16_t)res->s_port), res->s_proto);
        if (at >= count)
            fail_msg("after the swap, line %zu: %s, past the end of the new file", got, line);
        if (strcmp(line, want[at]) != 0)
            fail_msg("after the swap, line %zu: %s, expected %s", got, line, want[at]);
    }
    endservent();
    if (at != count)
        fail_msg("after the swap: %zu lines, then the end; the new file had %zu more after %s",
                 got, count - (at - got), last);
    free_lines(want, count);
}

/* Lines removed and added before the cursor, after it, and the cursor in
 * the middle of a range; each from a one-port line and from inside the
 * range.  */
static void enumeration_keeps_its_place_across_a_swap(void **state)
{
    (void)state;
    size_t full_len, removed_len, added_len, later_len;
    uint8_t *full = registry_of(100, -1, -1, -1, 0, &full_len);
    uint8_t *removed = registry_of(100, 10, 15, -1, 0, &removed_len);  /* 5 rows before */
    uint8_t *added = registry_of(100, -1, -1, 20, 7, &added_len);      /* 7 rows before */
    uint8_t *later = registry_of(100, 80, 90, 95, 3, &later_len);      /* after */
    enumerate_across(full, full_len, removed, removed_len, 30);  /* at s029 */
    enumerate_across(full, full_len, added, added_len, 30);
    enumerate_across(full, full_len, later, later_len, 30);
    enumerate_across(full, full_len, removed, removed_len, 55); /* inside the range */
    enumerate_across(full, full_len, added, added_len, 55);
    enumerate_across(removed, removed_len, full, full_len, 50);
    free(full);
    free(removed);
    free(added);
    free(later);
}

/* Lines of /proc/self/maps, and those that map `name`.  */
static int count_maps(const char *name)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    int n = 0;
    assert_non_null(f);
    while (fgets(line, sizeof line, f))
        n += !name || strstr(line, name);
    fclose(f);
    return n;
}

static void start_readers(pthread_t *t, int n)
{
    atomic_store(&stop, 0);
    atomic_store(&bad_answers, 0);
    atomic_store(&answers, 0);
    atomic_store(&seen_b, 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(pthread_create(&t[i], NULL, reader, NULL), 0);
}

static void stop_readers(pthread_t *t, int n)
{
    atomic_store(&stop, 1);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

/* Rewritten in place as cp, > and truncate do: a file the module does not
 * map (it is not immutable), so nothing done to it can fault a reader.  */
static void write_in_place(const uint8_t *bytes, size_t len, off_t cut)
{
    int fd = open(db_path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    assert_true(fd >= 0);
    if (cut >= 0) {
        assert_int_equal(write(fd, bytes, len), (ssize_t)len);
        assert_int_equal(ftruncate(fd, cut), 0);
        usleep(2000);
    }
    assert_int_equal(pwrite(fd, bytes, len, 0), (ssize_t)len);
    assert_int_equal(ftruncate(fd, (off_t)len), 0);
    close(fd);
}

static void written_in_place_under_load(void **state)
{
    (void)state;
    enum { THREADS = 4 };
    pthread_t t[THREADS];
    install(bytes_a, len_a);
    usleep(600000);
    assert_int_equal(svc_port(), 1000);
    start_readers(t, THREADS);
    for (int i = 0; i < 200; i++) {
        /* cp of the other version, cp of the same, truncated to a page
         * and written again, cut to nothing and written again.  */
        switch (i % 4) {
        case 0: write_in_place(bytes_b, len_b, -1); break;
        case 1: write_in_place(bytes_b, len_b, -1); break;
        case 2: write_in_place(bytes_a, len_a, 4096); break;
        case 3: write_in_place(bytes_a, len_a, 0); break;
        }
        usleep(5000);
    }
    write_in_place(bytes_b, len_b, -1);
    double written = now_s();
    while (svc_port() != 2000 && now_s() - written < 5)
        usleep(1000);
    double lag = now_s() - written;
    stop_readers(t, THREADS);
    print_message("in place: %ld answers, %d malformed, %ld from B; the last served %.3f s after "
                  "it was written; file mapped %d times\n", (long)answers, (int)bad_answers,
                  (long)seen_b, lag, count_maps(db_path));
    assert_int_equal(bad_answers, 0);
    assert_true(answers > 1000);
    assert_true(lag <= 1.0);
    assert_int_equal(count_maps(db_path), 0); /* a private copy: the file is not mapped */
}

/* Replaced every 20 ms for five seconds (250 times) under load: the
 * process holds no more mappings after than before.  */
static void mappings_stay_bounded(void **state)
{
    (void)state;
    enum { THREADS = 2 };
    pthread_t t[THREADS];
    start_readers(t, THREADS);
    usleep(100000);
    int before = count_maps(NULL);
    double end = now_s() + 5;
    int swaps = 0;
    for (int i = 0; now_s() < end; i++, swaps++) {
        install(i % 2 ? bytes_a : bytes_b, i % 2 ? len_a : len_b);
        usleep(20000);
    }
    usleep(600000);
    int after = count_maps(NULL);
    stop_readers(t, THREADS);
    print_message("%d replacements: %d mappings before, %d after; %ld answers, %d malformed\n",
                  swaps, before, after, (long)answers, (int)bad_answers);
    assert_int_equal(bad_answers, 0);
    assert_true(after - before <= 3);
}

/* An immutable database (as the tools leave the system's, where the file
 * system has the attribute) is mapped shared, not copied: nobody can
 * rewrite it in place.  Root only; skipped where the attribute is not.  */
static void immutable_database_is_shared(void **state)
{
    (void)state;
    char err[256];
    install(bytes_a, len_a);
    if (geteuid() != 0 || !db_set_immutable(db_path, true)) {
        print_message("skipped: no immutable attribute here (needs root and a file system with it)\n");
        skip();
    }
    /* A new immutable file, put in place as the tools do.  */
    assert_int_equal(db_write_file_flags(db_path, bytes_b, len_b, DB_WRITE_IMMUTABLE, err, sizeof err), 0);
    usleep(600000);
    assert_int_equal(svc_port(), 2000);
    assert_int_equal(count_maps(db_path), 1);
    int fd = open(db_path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    int e = errno;
    assert_int_equal(fd, -1);
    assert_int_equal(e, EPERM);
    /* Back to an ordinary file: a private copy again.  */
    assert_int_equal(db_write_file(db_path, bytes_a, len_a, err, sizeof err), 0);
    usleep(600000);
    assert_int_equal(svc_port(), 1000);
    assert_int_equal(count_maps(db_path), 0);
}

static void works_after_fork(void **state)
{
    (void)state;
    install(bytes_b, len_b);
    usleep(600000);
    assert_int_equal(svc_port(), 2000);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(svc_port() == 2000 ? 0 : 1);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replaced_under_load),
        cmocka_unit_test(deleted_file_keeps_serving),
        cmocka_unit_test(enumeration_survives_a_swap),
        cmocka_unit_test(enumeration_keeps_its_place_across_a_swap),
        cmocka_unit_test(written_in_place_under_load),
        cmocka_unit_test(mappings_stay_bounded),
        cmocka_unit_test(immutable_database_is_shared),
        cmocka_unit_test(works_after_fork),
    };
    return cmocka_run_group_tests_name("live replacement", tests, setup, NULL);
}

/* The module as a library inside other programs: fork while another thread
 * is inside a reload, dlopen/dlclose cycles, and which files it agrees to
 * map (a FIFO, a file others may write, one owned by another user, a
 * directory others may write).  Through glibc's dispatch where it matters
 * (__nss_configure_lookup), the module from $NSS_IANA_MODULE's directory.
 *
 * This executable exports open() (and __open_2, its fortified form), so the
 * module's calls to it come here
 * (symbol interposition): a reload of the path in `hold_path` waits inside
 * open() until it is let go, standing for a reload that takes its time (a
 * slow disk, a descheduled thread).  */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <nss.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../db/reader.h"
#include "testutil.h"

static const char *_Atomic hold_path;
static atomic_int holding;       /* a thread waits in open() */
static atomic_int let_go;
/* With hold_close set, the open of hold_path goes through at once, and the
 * close of what it opened waits instead: a reload that replaces the
 * database closes the file in the middle of the replacement.  */
static atomic_bool hold_close;
static atomic_int held_fd = -1;

int open(const char *path, int flags, ...)
{
    static int (*real_open)(const char *, int, ...);
    if (!real_open)
        real_open = (int (*)(const char *, int, ...))(uintptr_t)dlsym(RTLD_NEXT, "open");
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    const char *hold = atomic_load(&hold_path);
    bool held = hold && strcmp(path, hold) == 0;
    if (held && !atomic_load(&hold_close)) {
        atomic_store(&holding, 1);
        while (!atomic_load(&let_go))
            usleep(1000);
    }
    int fd = real_open(path, flags, mode);
    if (held && atomic_load(&hold_close))
        atomic_store(&held_fd, fd);
    return fd;
}

int close(int fd)
{
    static int (*real_close)(int);
    if (!real_close)
        real_close = (int (*)(int))(uintptr_t)dlsym(RTLD_NEXT, "close");
    if (fd >= 0 && atomic_load(&held_fd) == fd) {
        atomic_store(&held_fd, -1);
        atomic_store(&holding, 1);
        while (!atomic_load(&let_go))
            usleep(1000);
    }
    return real_close(fd);
}

/* What _FORTIFY_SOURCE makes of an open() whose flags are not constant.  */
int __open_2(const char *path, int flags);
int __open_2(const char *path, int flags)
{
    return open(path, flags);
}

static char *db_path;

static void write_db(unsigned port)
{
    char csv[512];
    snprintf(csv, sizeof csv, TU_HEADER "svc,%u,tcp,test,,,,,,,,\n", port);
    size_t len;
    uint8_t *bytes = tu_build(csv, &len);
    char *tmp;
    assert_true(asprintf(&tmp, "%s.new", db_path) > 0);
    FILE *f = fopen(tmp, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(tmp, 0644), 0);
    assert_int_equal(rename(tmp, db_path), 0);
    free(tmp);
    free(bytes);
}

static int port_of_svc(void)
{
    struct servent se, *res = NULL;
    char buf[1024];
    return getservbyname_r("svc", "tcp", &se, buf, sizeof buf, &res) == 0 && res
               ? ntohs((uint16_t)res->s_port)
               : -1;
}

static void *reload_in_thread(void *arg)
{
    (void)arg;
    (void)port_of_svc(); /* the recheck is due: it reloads, and waits in open() */
    return NULL;
}

/* A child forked while another thread is inside a reload still reloads:
 * the lock that thread held is not inherited held.  */
static void fork_during_reload(void **state)
{
    (void)state;
    write_db(1000);
    usleep(600 * 1000); /* past the module's half-second recheck */
    assert_int_equal(port_of_svc(), 1000);
    write_db(2000);
    usleep(600 * 1000); /* past the module's half-second recheck */
    atomic_store(&hold_path, db_path);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, reload_in_thread, NULL), 0);
    for (int i = 0; i < 2000 && !atomic_load(&holding); i++)
        usleep(1000);
    assert_true(atomic_load(&holding));
    pid_t pid = fork();
    if (pid == 0) {
        atomic_store(&hold_path, NULL); /* the child's own reloads go through */
        for (int i = 0; i < 300; i++) {
            if (port_of_svc() == 2000)
                _exit(0);
            usleep(10 * 1000);
        }
        _exit(1);
    }
    assert_true(pid > 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    atomic_store(&let_go, 1);
    assert_int_equal(pthread_join(t, NULL), 0);
    atomic_store(&hold_path, NULL);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) != 0)
        fail_msg("the child never served the new database within 3 s");
}

static void *cancellable_reload(void *arg)
{
    (void)arg;
    (void)port_of_svc();
    return NULL;
}

/* A thread cancelled while its reload waits in open() (the first step of
 * a reload), or in close() (in the middle of a replacement, which other
 * threads wait out): the others go on, and get the new database.  The
 * reload finishes first: cancellation waits for it.  */
static void cancelled_in(bool in_close, unsigned old_port, unsigned new_port)
{
    write_db(old_port);
    usleep(600 * 1000);
    assert_int_equal(port_of_svc(), (int)old_port);
    write_db(new_port);
    usleep(600 * 1000); /* the next lookup reloads */
    atomic_store(&holding, 0);
    atomic_store(&let_go, 0);
    atomic_store(&hold_close, in_close);
    atomic_store(&hold_path, db_path);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, cancellable_reload, NULL), 0);
    for (int i = 0; i < 2000 && !atomic_load(&holding); i++)
        usleep(1000);
    assert_true(atomic_load(&holding));
    assert_int_equal(pthread_cancel(t), 0);
    usleep(50 * 1000); /* time for a cancellation to act, if it may */
    atomic_store(&let_go, 1);
    assert_int_equal(pthread_join(t, NULL), 0);
    atomic_store(&hold_path, NULL);
    atomic_store(&hold_close, false);
    /* A lookup that waited for ever would end the test here.  */
    alarm(10);
    int port = -1;
    for (int i = 0; i < 300 && (port = port_of_svc()) != (int)new_port; i++)
        usleep(10 * 1000);
    alarm(0);
    assert_int_equal(port, (int)new_port);
}

static void cancelled_during_reload(void **state)
{
    (void)state;
    cancelled_in(false, 6000, 6001);
    cancelled_in(true, 6002, 6003);
}

/* What a thread with asynchronous cancellation does until cancelled: the
 * module's lookups, every call looking at the files.  (Not the
 * enumeration: glibc's getservent_r holds a lock of its own around the
 * module's, which a thread cancelled asynchronously in there leaves held
 * whatever the module does.)  */
static nss_getservbyname_r *direct_byname;
static nss_getservbyport_r *direct_byport;

static void *async_lookups(void *arg)
{
    (void)arg;
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
    struct servent se;
    char buf[1024];
    int err;
    for (;;) {
        direct_byname("svc", "tcp", &se, buf, sizeof buf, &err);
        direct_byport((int)htons(7000), "tcp", &se, buf, sizeof buf, &err);
    }
    return NULL;
}

static atomic_bool stop_writer;

static void *replace_often(void *arg)
{
    (void)arg;
    for (unsigned i = 0; !atomic_load(&stop_writer); i++) {
        write_db(7000 + i % 100);
        usleep(200);
    }
    return NULL;
}

typedef void nscd_register(size_t, void *);
static void ignore_traced(size_t db, void *traced)
{
    (void)db;
    (void)traced;
}

/* In a child of its own (it puts the module in nscd's mode, a look at the
 * files on every call, for good): threads cancelled asynchronously at
 * random points of lookups by name and by port and of reloads, 1,000
 * times, while the database is replaced every fraction of a millisecond;
 * after each, this thread's own lookup answers, within a bound.  */
static void cancelled_asynchronously(void **state)
{
    (void)state;
#ifdef __SANITIZE_THREAD__
    /* ThreadSanitizer defers signals to points of its own choosing, and
     * a thread cancelled asynchronously inside its runtime leaves that
     * runtime locked: not a test of the module.  */
    skip();
#endif
    write_db(7000);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        void *h = dlopen(getenv("NSS_IANA_MODULE"), RTLD_NOW | RTLD_LOCAL);
        if (!h)
            _exit(2);
        direct_byname = (nss_getservbyname_r *)(uintptr_t)dlsym(h, "_nss_iana_getservbyname_r");
        direct_byport = (nss_getservbyport_r *)(uintptr_t)dlsym(h, "_nss_iana_getservbyport_r");
        void (*init)(nscd_register *) = (void (*)(nscd_register *))(uintptr_t)dlsym(h, "_nss_iana_init");
        if (!direct_byname || !direct_byport || !init)
            _exit(3);
        init(ignore_traced);
        pthread_t writer;
        if (pthread_create(&writer, NULL, replace_often, NULL) != 0)
            _exit(4);
        srand(1);
        alarm(60); /* a lookup that waits for ever ends here, killed */
        for (int i = 0; i < 1000; i++) {
            pthread_t t;
            if (pthread_create(&t, NULL, async_lookups, NULL) != 0)
                _exit(5);
            usleep((useconds_t)(rand() % 3000));
            pthread_cancel(t);
            pthread_join(t, NULL);
            struct servent se;
            char buf[1024];
            int err;
            if (direct_byname("svc", "tcp", &se, buf, sizeof buf, &err) != NSS_STATUS_SUCCESS)
                _exit(6);
        }
        atomic_store(&stop_writer, true);
        pthread_join(writer, NULL);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status))
        fail_msg("the process was killed by signal %d (SIGALRM: a lookup waited for ever)",
                 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* Mappings of the database file in this process.  */
static int mappings_of(const char *path)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    int n = 0;
    assert_non_null(f);
    while (fgets(line, sizeof line, f))
        n += strstr(line, path) != NULL;
    fclose(f);
    return n;
}

/* dlopen, look up, dlclose, a hundred times: the module stays loaded
 * (-z nodelete), so its mapping is made once, not once a cycle.  */
static void dlopen_cycles_keep_one_mapping(void **state)
{
    (void)state;
    const char *module = getenv("NSS_IANA_MODULE");
    assert_non_null(module);
    write_db(3000);
    for (int i = 0; i < 100; i++) {
        void *h = dlopen(module, RTLD_NOW | RTLD_LOCAL);
        assert_non_null(h);
        nss_getservbyname_r *byname = (nss_getservbyname_r *)(uintptr_t)dlsym(h, "_nss_iana_getservbyname_r");
        assert_non_null(byname);
        struct servent se;
        char buf[1024];
        int err;
        assert_int_equal(byname("svc", "tcp", &se, buf, sizeof buf, &err), NSS_STATUS_SUCCESS);
        dlclose(h);
    }
    assert_true(mappings_of(db_path) <= 1);
}

/* What the module agrees to map, through a fresh process each time (the
 * module's first look at the file: nss_client, beside the module): a FIFO
 * is refused at once, never waited on; a file group or others may write,
 * or owned by another user, is refused; with the file fixed, it answers.
 * Returns the milliseconds it took; *port is -1 for not found.  */
static int child_lookup(const char *path, int *port)
{
    char *cmd, *module = strdup(getenv("NSS_IANA_MODULE"));
    assert_non_null(module);
    char *slash = strrchr(module, '/');
    const char *dir = slash ? (*slash = '\0', module) : ".";
    assert_true(asprintf(&cmd, "NSS_IANA_DB='%s' LD_LIBRARY_PATH='%s' timeout 10 '%s/nss_client' iana "
                               "'name svc tcp'", path, dir, dir) > 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    FILE *p = popen(cmd, "r");
    char line[256] = "";
    assert_non_null(p);
    if (!fgets(line, sizeof line, p))
        line[0] = '\0';
    pclose(p);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    const char *at = strstr(line, "svc ");
    *port = -1;
    if (at && strstr(line, "-> svc "))
        *port = atoi(strstr(line, "-> svc ") + 7);
    free(cmd);
    free(module);
    return (int)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
}

static void refuses_what_others_could_write(void **state)
{
    (void)state;
    int port;
    char *fifo;
    assert_true(asprintf(&fifo, "%s/fifo.db", tu_tmpdir()) > 0);
    assert_int_equal(mkfifo(fifo, 0644), 0);
    int ms = child_lookup(fifo, &port);
    assert_int_equal(port, -1);
    assert_true(ms < 2000); /* at once: a blocking open would hang for ever */
    unlink(fifo);
    free(fifo);

    write_db(4000);
    assert_int_equal(chmod(db_path, 0666), 0);
    child_lookup(db_path, &port);
    assert_int_equal(port, -1);
    assert_int_equal(chmod(db_path, 0664), 0);
    child_lookup(db_path, &port);
    assert_int_equal(port, -1);
    assert_int_equal(chmod(db_path, 0644), 0);
    child_lookup(db_path, &port);
    assert_int_equal(port, 4000);
    if (geteuid() == 0) {
        assert_int_equal(chown(db_path, 65534, 65534), 0); /* nobody */
        child_lookup(db_path, &port);
        assert_int_equal(port, -1);
        assert_int_equal(chown(db_path, 0, 0), 0);
        child_lookup(db_path, &port);
        assert_int_equal(port, 4000);
    }
}

/* The directory of the default path is held to the same rule (a path from
 * the environment is the caller's choice; the reader is asked directly).  */
static void refuses_a_directory_others_could_write(void **state)
{
    (void)state;
    char *dir, *path;
    assert_true(asprintf(&dir, "%s/open-dir", tu_tmpdir()) > 0);
    assert_true(asprintf(&path, "%s/services.db", dir) > 0);
    assert_int_equal(mkdir(dir, 0755), 0);
    size_t len;
    uint8_t *bytes = tu_build(TU_HEADER "svc,5000,tcp,x,,,,,,,,\n", &len);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0644), 0);
    struct stat sb;
    const char *why;
    int fd = iana_db_open_fd_trusted(path, true, &sb, &why);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(chmod(dir, 0777), 0);
    assert_int_equal(iana_db_open_fd_trusted(path, true, &sb, &why), -1);
    assert_int_equal(errno, EPERM);
    assert_string_equal(why, "directory writable by group or others");
    fd = iana_db_open_fd_trusted(path, false, &sb, &why);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(chmod(dir, 0755), 0);
    unlink(path);
    rmdir(dir);
    free(bytes);
    free(path);
    free(dir);
}

int main(void)
{
    assert_true(asprintf(&db_path, "%s/services.db", tu_tmpdir()) > 0);
    setenv("NSS_IANA_DB", db_path, 1);
    if (__nss_configure_lookup("services", "iana") != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        /* First, before glibc's dispatch has loaded the module.  */
        cmocka_unit_test(dlopen_cycles_keep_one_mapping),
        cmocka_unit_test(fork_during_reload),
        cmocka_unit_test(refuses_what_others_could_write),
        cmocka_unit_test(refuses_a_directory_others_could_write),
        cmocka_unit_test(cancelled_during_reload),
        cmocka_unit_test(cancelled_asynchronously),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The module's entry points, called directly through dlopen() of the built
 * libnss_iana.so.2 ($NSS_IANA_MODULE): the NSS contract at every buffer
 * size and alignment, errno, protocols, enumeration and a missing file.  */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <nss.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

static nss_getservbyname_r *byname;
static nss_getservbyport_r *byport;
static nss_setservent *setent;
static nss_getservent_r *getent;
static nss_endservent *endent;

static const char registry[] = TU_HEADER
    "http,80,tcp,HTTP,,,,,,,,\n"
    "www,80,tcp,,,,,,,,,\"This is a duplicate of the \"\"http\"\" service\"\n"
    "www-http,80,tcp,,,,,,,,,\"This is a duplicate of the \"\"http\"\" service\"\n"
    "x11,6000-6003,tcp,X,,,,,,,,\n"
    "bgp,179,sctp,BGP,,,,,,,,\n";

static const char *module_path(void)
{
    const char *path = getenv("NSS_IANA_MODULE");
    return path ? path : "build/libnss_iana.so.2";
}

/* dlopen the module from `path` and point the entry points at it.  */
static int load_module(const char *path)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return -1;
    }
    byname = (nss_getservbyname_r *)dlsym(h, "_nss_iana_getservbyname_r");
    byport = (nss_getservbyport_r *)dlsym(h, "_nss_iana_getservbyport_r");
    setent = (nss_setservent *)dlsym(h, "_nss_iana_setservent");
    getent = (nss_getservent_r *)dlsym(h, "_nss_iana_getservent_r");
    endent = (nss_endservent *)dlsym(h, "_nss_iana_endservent");
    return byname && byport && setent && getent && endent ? 0 : -1;
}

/* A private copy of the module, so that its state (the cached mapping)
 * starts empty: dlopen of the same file would share the loaded one.  */
static void load_fresh_module(const char *name)
{
    FILE *in = fopen(module_path(), "rb");
    assert_non_null(in);
    char data[1 << 16];
    size_t n, total = 0;
    char *copy = NULL;
    assert_true(asprintf(&copy, "%s/%s", tu_tmpdir(), name) > 0);
    FILE *out = fopen(copy, "wb");
    assert_non_null(out);
    while ((n = fread(data, 1, sizeof data, in)) > 0)
        total += fwrite(data, 1, n, out);
    fclose(in);
    assert_int_equal(fclose(out), 0);
    assert_true(total > 0);
    assert_int_equal(load_module(copy), 0);
    free(copy);
}

static int setup(void **state)
{
    (void)state;
    char *db = tu_compile("nss.db", registry);
    setenv("NSS_IANA_DB", db, 1);
    free(db);
    return load_module(module_path());
}

/* Bytes that fill() needs for http's answer when the buffer starts at
 * `mis` bytes past a 16-byte boundary: pad, 3 pointers, strings.  The pad
 * is up to the pointer alignment of this ABI, as glibc's nss_files pads
 * (__alignof__ (char *)): 8 on 64-bit hosts, 4 on i386 and armhf.  */
static size_t needed_for_http(size_t mis)
{
    const size_t align = _Alignof(char *);
    size_t pad = (align - mis % align) % align;
    return pad + 3 * sizeof(char *) + sizeof "http" + sizeof "www" + sizeof "www-http" + sizeof "tcp";
}

static void every_buffer_size_and_alignment(void **state)
{
    (void)state;
    enum { SLACK = 64 };
    static _Alignas(16) char area[256 + SLACK];
    for (size_t mis = 0; mis < 8; mis++) {
        size_t need = needed_for_http(mis);
        for (size_t buflen = 0; buflen <= need + 8; buflen++) {
            struct servent se;
            int err = 4242;
            char *buf = area + mis;
            memset(area, 0xa5, sizeof area);
            enum nss_status st = byname("http", "tcp", &se, buf, buflen, &err);
            if (buflen < need) {
                assert_int_equal(st, NSS_STATUS_TRYAGAIN);
                assert_int_equal(err, ERANGE);
            } else {
                assert_int_equal(st, NSS_STATUS_SUCCESS);
                assert_int_equal(err, 4242); /* untouched on success */
                assert_string_equal(se.s_name, "http");
                assert_string_equal(se.s_proto, "tcp");
                assert_int_equal(ntohs((uint16_t)se.s_port), 80);
                assert_int_equal((uintptr_t)se.s_aliases % _Alignof(char *), 0);
                assert_string_equal(se.s_aliases[0], "www");
                assert_string_equal(se.s_aliases[1], "www-http");
                assert_null(se.s_aliases[2]);
                /* Everything handed back lies inside the buffer.  */
                assert_true(se.s_name >= buf && se.s_proto + 4 <= buf + buflen);
                assert_true((char *)se.s_aliases >= buf);
            }
            for (size_t i = mis + buflen; i < sizeof area; i++)
                if ((unsigned char)area[i] != 0xa5)
                    fail_msg("wrote at %zu past a %zu-byte buffer", i - mis - buflen, buflen);
            for (size_t i = 0; i < mis; i++)
                assert_int_equal((unsigned char)area[i], 0xa5);
        }
    }
}

/* The buffer ends where an inaccessible page begins: a write one byte
 * past it is a crash, not a silent overwrite.  */
static void guard_page_after_buffer(void **state)
{
    (void)state;
    long page = sysconf(_SC_PAGESIZE);
    char *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(map != MAP_FAILED);
    assert_int_equal(mprotect(map + page, (size_t)page, PROT_NONE), 0);
    char *end = map + page;
    for (size_t buflen = 0; buflen <= 128; buflen++) {
        struct servent se;
        int err = 0;
        enum nss_status st = byname("http", NULL, &se, end - buflen, buflen, &err);
        assert_true(st == NSS_STATUS_SUCCESS || (st == NSS_STATUS_TRYAGAIN && err == ERANGE));
        st = byport((int)htons(6001), "tcp", &se, end - buflen, buflen, &err);
        assert_true(st == NSS_STATUS_SUCCESS || (st == NSS_STATUS_TRYAGAIN && err == ERANGE));
    }
    munmap(map, (size_t)page * 2);
}

static void errno_is_kept(void **state)
{
    (void)state;
    struct servent se;
    char buf[256];
    int err = 0;
    errno = 777;
    assert_int_equal(byname("bgp", NULL, &se, buf, sizeof buf, &err), NSS_STATUS_SUCCESS);
    assert_int_equal(errno, 777);
    assert_int_equal(byport((int)htons(6002), "tcp", &se, buf, sizeof buf, &err), NSS_STATUS_SUCCESS);
    assert_int_equal(errno, 777);
    assert_int_equal(byname("nosuch", NULL, &se, buf, sizeof buf, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(errno, 777);
}

static void ports_and_protocols(void **state)
{
    (void)state;
    struct servent se;
    char buf[256];
    int err = 0;
    assert_int_equal(byport((int)htons(6002), "TCP", &se, buf, sizeof buf, &err), NSS_STATUS_SUCCESS);
    assert_string_equal(se.s_name, "x11");
    assert_int_equal(ntohs((uint16_t)se.s_port), 6002); /* the asked port */
    assert_int_equal(byport((int)htons(6004), "tcp", &se, buf, sizeof buf, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(byport((int)htons(179), NULL, &se, buf, sizeof buf, &err), NSS_STATUS_SUCCESS);
    assert_string_equal(se.s_proto, "sctp");
    assert_int_equal(byname("x11", NULL, &se, buf, sizeof buf, &err), NSS_STATUS_SUCCESS);
    assert_int_equal(ntohs((uint16_t)se.s_port), 6000);
    assert_int_equal(byname("WWW", "tcp", &se, buf, sizeof buf, &err), NSS_STATUS_SUCCESS);
    assert_string_equal(se.s_name, "http");
    /* getaddrinfo asks for udplite: a clean NOTFOUND, as for any unknown.  */
    assert_int_equal(byname("http", "udplite", &se, buf, sizeof buf, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(byport((int)htons(80), "udplite", &se, buf, sizeof buf, &err), NSS_STATUS_NOTFOUND);
    /* glibc 2.42 and later ask for mptcp too (a seventh lookup): the same.  */
    assert_int_equal(byname("http", "mptcp", &se, buf, sizeof buf, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(byport((int)htons(80), "mptcp", &se, buf, sizeof buf, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(byname("http", "", &se, buf, sizeof buf, &err), NSS_STATUS_NOTFOUND);
}

static void enumeration_and_erange(void **state)
{
    (void)state;
    struct servent se;
    char buf[256];
    int err = 0;
    const char *expect[] = {"http/80", "x11/6000", "x11/6001", "x11/6002", "x11/6003", "bgp/179"};
    for (int round = 0; round < 2; round++) { /* setservent starts again */
        assert_int_equal(setent(0), NSS_STATUS_SUCCESS);
        for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
            /* A too-small buffer must not move the cursor.  */
            assert_int_equal(getent(&se, buf, 4, &err), NSS_STATUS_TRYAGAIN);
            assert_int_equal(err, ERANGE);
            assert_int_equal(getent(&se, buf, sizeof buf, &err), NSS_STATUS_SUCCESS);
            char got[32];
            snprintf(got, sizeof got, "%s/%d", se.s_name, ntohs((uint16_t)se.s_port));
            assert_string_equal(got, expect[i]);
        }
        assert_int_equal(getent(&se, buf, sizeof buf, &err), NSS_STATUS_NOTFOUND);
        assert_int_equal(endent(), NSS_STATUS_SUCCESS);
    }
}

/* In a child with a private copy of the module pointed at `db`, so that
 * no mapping is cached yet: every entry point must say UNAVAIL.  */
static void expect_unavailable(const char *db, const char *copy_name)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct servent se;
        char buf[256];
        int err = 0;
        setenv("NSS_IANA_DB", db, 1);
        load_fresh_module(copy_name);
        int ok = byname("http", "tcp", &se, buf, sizeof buf, &err) == NSS_STATUS_UNAVAIL &&
                 err == ENOENT &&
                 byport(htons(80), NULL, &se, buf, sizeof buf, &err) == NSS_STATUS_UNAVAIL &&
                 setent(0) == NSS_STATUS_UNAVAIL &&
                 getent(&se, buf, sizeof buf, &err) == NSS_STATUS_UNAVAIL;
        _exit(ok ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void missing_database_is_unavailable(void **state)
{
    (void)state;
    expect_unavailable("/nonexistent/services.db", "fresh-missing.so");
}

static void corrupt_database_is_unavailable(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bytes = tu_build(registry, &len);
    bytes[0] ^= 1; /* bad magic */
    char *path = tu_write("corrupt.db", bytes, len);
    expect_unavailable(path, "fresh-corrupt.so");
    free(bytes);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_buffer_size_and_alignment),
        cmocka_unit_test(guard_page_after_buffer),
        cmocka_unit_test(errno_is_kept),
        cmocka_unit_test(ports_and_protocols),
        cmocka_unit_test(enumeration_and_erange),
        cmocka_unit_test(missing_database_is_unavailable),
        cmocka_unit_test(corrupt_database_is_unavailable),
    };
    return cmocka_run_group_tests_name("nss module", tests, setup, NULL);
}

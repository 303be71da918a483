/* The module's entry points, called directly through dlopen() of the built
 * libnss_iana.so.2 ($NSS_IANA_MODULE): the NSS contract at every buffer
 * size and alignment, errno, protocols, enumeration and a missing file.  */
#define _GNU_SOURCE
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

#include <cmocka.h>

#include "nss_testutil.h"
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

static const char *const entry_names[] = {"getservbyname_r", "getservbyport_r", "setservent",
                                           "getservent_r", "endservent"};

/* dlopen the module from `path` and point the entry points at it.  */
static int load_module(const char *path)
{
    void *fns[5];
    if (tu_load_module(path, 5, entry_names, fns) != 0)
        return -1;
    byname = (nss_getservbyname_r *)fns[0];
    byport = (nss_getservbyport_r *)fns[1];
    setent = (nss_setservent *)fns[2];
    getent = (nss_getservent_r *)fns[3];
    endent = (nss_endservent *)fns[4];
    return 0;
}

static int setup(void **state)
{
    (void)state;
    char *db = tu_compile("nss.db", registry);
    setenv("NSS_IANA_DB", db, 1);
    free(db);
    return load_module(tu_module_path());
}

/* Bytes that fill() needs for http's answer when the buffer starts at
 * `mis` bytes past a 16-byte boundary: pad (8 on 64-bit hosts, 4 on i386
 * and armhf), 3 pointers, strings.  */
static size_t needed_for_http(size_t mis)
{
    return tu_pad(mis) + 3 * sizeof(char *) + sizeof "http" + sizeof "www" + sizeof "www-http" + sizeof "tcp";
}

static void every_buffer_size_and_alignment(void **state)
{
    (void)state;
    static _Alignas(16) char area[256 + TU_SLACK];
    for (size_t mis = 0; mis < 8; mis++) {
        size_t need = needed_for_http(mis);
        for (size_t buflen = 0; buflen <= need + 8; buflen++) {
            struct servent se;
            int err = 4242;
            char *buf = area + mis;
            memset(area, TU_GUARD, sizeof area);
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
            tu_check_guards(area, sizeof area, mis, buflen);
        }
    }
}

/* The buffer ends where an inaccessible page begins: a write one byte
 * past it is a crash, not a silent overwrite.  */
static void guard_page_after_buffer(void **state)
{
    (void)state;
    char *end = tu_guard_page();
    for (size_t buflen = 0; buflen <= 128; buflen++) {
        struct servent se;
        int err = 0;
        enum nss_status st = byname("http", NULL, &se, end - buflen, buflen, &err);
        assert_true(st == NSS_STATUS_SUCCESS || (st == NSS_STATUS_TRYAGAIN && err == ERANGE));
        st = byport((int)htons(6001), "tcp", &se, end - buflen, buflen, &err);
        assert_true(st == NSS_STATUS_SUCCESS || (st == NSS_STATUS_TRYAGAIN && err == ERANGE));
    }
    tu_guard_page_free(end);
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

/* In a private copy of the module (no mapping cached yet) pointed at a
 * missing or bad database: every entry point must say UNAVAIL.  */
static int all_unavailable(void)
{
    struct servent se;
    char buf[256];
    int err = 0;
    return byname("http", "tcp", &se, buf, sizeof buf, &err) == NSS_STATUS_UNAVAIL &&
           err == ENOENT &&
           byport(htons(80), NULL, &se, buf, sizeof buf, &err) == NSS_STATUS_UNAVAIL &&
           setent(0) == NSS_STATUS_UNAVAIL &&
           getent(&se, buf, sizeof buf, &err) == NSS_STATUS_UNAVAIL;
}

static void expect_unavailable(const char *db, const char *copy_name)
{
    tu_in_fresh_module(db, copy_name, load_module, all_unavailable);
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

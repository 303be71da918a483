/* The module's protocols entry points, called directly through dlopen() of
 * the built libnss_iana.so.2 ($NSS_IANA_MODULE), as test_nss.c calls the
 * services ones: every buffer size and misalignment with guard bytes, a
 * buffer ending at an inaccessible page, errno kept on success, ERANGE
 * not moving the enumeration, UNAVAIL without a database, and the answers
 * of a database that merged this machine's /etc/protocols.  */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <nss.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../db/writer.h"
#include "nss_testutil.h"
#include "testutil.h"

static nss_getprotobyname_r *byname;
static nss_getprotobynumber_r *bynumber;
static nss_setprotoent *setent;
static nss_getprotoent_r *getent;
static nss_endprotoent *endent;

#define PROTO_CSV "data/protocol-numbers-1.csv"

/* What the registry-only database holds, from the parser: the count and
 * the first name the enumeration must give.  */
static size_t registry_count;
static char registry_first[64];

static const char *const entry_names[] = {"getprotobyname_r", "getprotobynumber_r",
                                           "setprotoent", "getprotoent_r", "endprotoent"};

static int load_module(const char *path)
{
    void *fns[5];
    if (tu_load_module(path, 5, entry_names, fns) != 0)
        return -1;
    byname = (nss_getprotobyname_r *)fns[0];
    bynumber = (nss_getprotobynumber_r *)fns[1];
    setent = (nss_setprotoent *)fns[2];
    getent = (nss_getprotoent_r *)fns[3];
    endent = (nss_endprotoent *)fns[4];
    return 0;
}

/* A database of the vendored registry, with `file` merged (NULL: none);
 * its path.  */
static char *compile(const char *name, const char *file)
{
    struct protocol_registry reg;
    struct protocol_set set;
    struct protocols_file pf;
    struct registry sreg;
    struct entry_set sset;
    char err[512];
    static const char csv[] = TU_HEADER "http,80,tcp,,,,,,,,,\n";
    uint8_t *bytes;
    size_t len;
    if (protocols_read(PROTO_CSV, &reg, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(protocol_entries(&reg, &set, NULL), 0);
    registry_count = set.nentries;
    snprintf(registry_first, sizeof registry_first, "%s", set.entries[0].name);
    if (file && protocols_file_read(file, &pf, NULL, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(registry_parse("s.csv", csv, strlen(csv), &sreg, err, sizeof err), 0);
    assert_int_equal(registry_entries(&sreg, &sset, NULL), 0);
    const struct db_sources src = {
        .set = &sset,
        .source_sha256 = sreg.sha256,
        .protocols = &set,
        .protocols_sha256 = reg.sha256,
        .protocols_file = file ? &pf : NULL,
        .protocols_path = file,
    };
    if (db_build(&src, &bytes, &len, err, sizeof err) != 0)
        fail_msg("build: %s", err);
    char *path = tu_write(name, bytes, len);
    free(bytes);
    if (file)
        protocols_file_free(&pf);
    entry_set_free(&sset);
    registry_free(&sreg);
    protocol_set_free(&set);
    protocols_free(&reg);
    return path;
}

static int setup(void **state)
{
    (void)state;
    char *db = compile("proto.db", NULL);
    setenv("NSS_IANA_DB", db, 1);
    free(db);
    return load_module(tu_module_path());
}

/* ipv6-icmp's answer at `mis` bytes past an 8-byte boundary: pad to a
 * pointer's alignment, 2 pointers, the names.  */
static size_t needed_for_ipv6_icmp(size_t mis)
{
    return tu_pad(mis) + 2 * sizeof(char *) + sizeof "ipv6-icmp" + sizeof "IPv6-ICMP";
}

static void every_buffer_size_and_alignment(void **state)
{
    (void)state;
    static _Alignas(16) char area[256 + TU_SLACK];
    size_t calls = 0;
    for (size_t mis = 0; mis < 8; mis++) {
        size_t need = needed_for_ipv6_icmp(mis);
        for (size_t buflen = 0; buflen <= need + 8; buflen++) {
            for (int by_number = 0; by_number <= 1; by_number++) {
                struct protoent pe;
                int err = 4242;
                char *buf = area + mis;
                memset(area, TU_GUARD, sizeof area);
                enum nss_status st = by_number ? bynumber(58, &pe, buf, buflen, &err)
                                               : byname("IPV6-icmp", &pe, buf, buflen, &err);
                calls++;
                if (buflen < need) {
                    assert_int_equal(st, NSS_STATUS_TRYAGAIN);
                    assert_int_equal(err, ERANGE);
                } else {
                    assert_int_equal(st, NSS_STATUS_SUCCESS);
                    assert_int_equal(err, 4242);
                    assert_string_equal(pe.p_name, "ipv6-icmp");
                    assert_int_equal(pe.p_proto, 58);
                    assert_int_equal((uintptr_t)pe.p_aliases % _Alignof(char *), 0);
                    assert_string_equal(pe.p_aliases[0], "IPv6-ICMP");
                    assert_null(pe.p_aliases[1]);
                    assert_true(pe.p_name >= buf && pe.p_aliases[0] + 10 <= buf + buflen);
                    assert_true((char *)pe.p_aliases >= buf);
                }
                tu_check_guards(area, sizeof area, mis, buflen);
            }
        }
    }
    printf("%zu calls at every buffer size and misalignment\n", calls);
}

static void guard_page_after_buffer(void **state)
{
    (void)state;
    char *end = tu_guard_page();
    for (size_t buflen = 0; buflen <= 128; buflen++) {
        struct protoent pe;
        int err = 0;
        for (int n = 0; n < 256; n += 17) {
            enum nss_status st = bynumber(n, &pe, end - buflen, buflen, &err);
            assert_true(st == NSS_STATUS_SUCCESS || st == NSS_STATUS_NOTFOUND ||
                        (st == NSS_STATUS_TRYAGAIN && err == ERANGE));
        }
        enum nss_status st = byname("mobility-header", &pe, end - buflen, buflen, &err);
        assert_true(st == NSS_STATUS_SUCCESS || (st == NSS_STATUS_TRYAGAIN && err == ERANGE));
    }
    tu_guard_page_free(end);
}

static void answers_and_errno(void **state)
{
    (void)state;
    struct protoent pe;
    char buf[512];
    int err = 0;
    errno = 777;
    assert_int_equal(byname("sctp", &pe, buf, sizeof buf, &err), NSS_STATUS_SUCCESS);
    assert_int_equal(pe.p_proto, 132);
    assert_string_equal(pe.p_aliases[0], "SCTP");
    assert_int_equal(errno, 777);
    assert_int_equal(bynumber(132, &pe, buf, sizeof buf, &err), NSS_STATUS_SUCCESS);
    assert_string_equal(pe.p_name, "sctp");
    assert_int_equal(byname("nosuch", &pe, buf, sizeof buf, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(bynumber(255, &pe, buf, sizeof buf, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(bynumber(-1, &pe, buf, sizeof buf, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(bynumber(256 + 6, &pe, buf, sizeof buf, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(byname("reserved", &pe, buf, sizeof buf, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(errno, 777);
    /* The deprecated remark is not part of the name.  */
    assert_int_equal(byname("ARGUS", &pe, buf, sizeof buf, &err), NSS_STATUS_SUCCESS);
    assert_string_equal(pe.p_name, "argus");
}

static void enumeration_and_erange(void **state)
{
    (void)state;
    struct protoent pe;
    char buf[512];
    int err = 0;
    char *first = NULL;
    size_t n[2] = {0, 0};
    for (int round = 0; round < 2; round++) {
        assert_int_equal(setent(0), NSS_STATUS_SUCCESS);
        for (;;) {
            enum nss_status st = getent(&pe, buf, 4, &err);
            assert_int_equal(st, n[round] < registry_count ? NSS_STATUS_TRYAGAIN
                                                           : NSS_STATUS_NOTFOUND);
            if (n[round] == registry_count)
                break;
            assert_int_equal(err, ERANGE);
            assert_int_equal(getent(&pe, buf, sizeof buf, &err), NSS_STATUS_SUCCESS);
            if (n[round]++ == 0) {
                if (round == 0)
                    first = strdup(pe.p_name);
                else
                    assert_string_equal(pe.p_name, first);
            }
        }
        assert_int_equal(getent(&pe, buf, sizeof buf, &err), NSS_STATUS_NOTFOUND);
        assert_int_equal(endent(), NSS_STATUS_SUCCESS);
    }
    assert_true(registry_count > 100);
    assert_string_equal(first, registry_first);
    free(first);
}

/* In a child with a private copy of the module pointed at `db`.  */
static void in_fresh_module(const char *db, const char *copy_name, int (*check)(void))
{
    tu_in_fresh_module(db, copy_name, load_module, check);
}

static int all_unavailable(void)
{
    struct protoent pe;
    char buf[256];
    int err = 0;
    return byname("tcp", &pe, buf, sizeof buf, &err) == NSS_STATUS_UNAVAIL && err == ENOENT &&
           bynumber(6, &pe, buf, sizeof buf, &err) == NSS_STATUS_UNAVAIL &&
           setent(0) == NSS_STATUS_UNAVAIL && getent(&pe, buf, sizeof buf, &err) == NSS_STATUS_UNAVAIL;
}

static void missing_database_is_unavailable(void **state)
{
    (void)state;
    in_fresh_module("/nonexistent/services.db", "fresh-missing.so", all_unavailable);
}

/* This machine's /etc/protocols merged: its first line answers first, as
 * with `protocols: files iana`.  */
static int file_lines_first(void)
{
    struct protoent pe, want, *res;
    char buf[4096], wbuf[4096];
    int err = 0;
    if (__nss_configure_lookup("protocols", "files") != 0)
        return 0;
    setprotoent(0);
    if (getprotoent_r(&want, wbuf, sizeof wbuf, &res) != 0 || !res)
        return 0;
    endprotoent();
    if (byname(want.p_name, &pe, buf, sizeof buf, &err) != NSS_STATUS_SUCCESS ||
        strcmp(pe.p_name, want.p_name) != 0 || pe.p_proto != want.p_proto)
        return 0;
    if (setent(0) != NSS_STATUS_SUCCESS || getent(&pe, buf, sizeof buf, &err) != NSS_STATUS_SUCCESS)
        return 0;
    return strcmp(pe.p_name, want.p_name) == 0 && pe.p_proto == want.p_proto;
}

static void merged_machine_file(void **state)
{
    (void)state;
    if (access("/etc/protocols", R_OK) != 0)
        skip();
    char *db = compile("merged.db", "/etc/protocols");
    in_fresh_module(db, "fresh-merged.so", file_lines_first);
    free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_buffer_size_and_alignment),
        cmocka_unit_test(guard_page_after_buffer),
        cmocka_unit_test(answers_and_errno),
        cmocka_unit_test(enumeration_and_erange),
        cmocka_unit_test(missing_database_is_unavailable),
        cmocka_unit_test(merged_machine_file),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

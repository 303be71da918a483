/* parser/: reading IANA's CSV and the serving rules.  */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

static int parse(const char *csv, size_t len, struct registry *reg, char *err)
{
    return registry_parse("t.csv", csv, len, reg, err, 256);
}

static void expect_error(const char *csv, size_t len, const char *message)
{
    struct registry reg;
    char err[256];
    assert_int_equal(parse(csv, len, &reg, err), -1);
    if (strcmp(err, message) != 0)
        fail_msg("expected \"%s\", got \"%s\"", message, err);
    registry_free(&reg);
}
#define EXPECT_ERROR(csv, message) expect_error(csv, sizeof csv - 1, message)

static void columns_found_by_name(void **state)
{
    (void)state;
    static const char csv[] = "Reference,Transport Protocol,Extra,Port Number,Service Name\n"
                              "[RFC1],udp,x,53,domain\n";
    struct registry reg;
    char err[256];
    assert_int_equal(parse(csv, sizeof csv - 1, &reg, err), 0);
    assert_int_equal(reg.nrows, 1);
    assert_string_equal(reg.rows[0].col[COL_NAME], "domain");
    assert_string_equal(reg.rows[0].col[COL_REFERENCE], "[RFC1]");
    assert_string_equal(reg.rows[0].col[COL_DESCRIPTION], "");
    assert_int_equal(reg.rows[0].port_lo, 53);
    assert_int_equal(reg.rows[0].proto, IANA_UDP);
    registry_free(&reg);
}

static void bom_crlf_quotes_and_lines(void **state)
{
    (void)state;
    static const char csv[] =
        "\xef\xbb\xbf" "Service Name,Port Number,Transport Protocol,Assignment Notes\r\n"
        "a,1,TCP,\"two\nlines, \"\"quoted\"\"\"\r\n"
        "\r\n"
        "b,2-4,,\r\n"
        "c,5,dccp,\"x\ny\nz\"\r\n"
        "d,6,sctp,\r\n";
    struct registry reg;
    char err[256];
    assert_int_equal(parse(csv, sizeof csv - 1, &reg, err), 0);
    assert_int_equal(reg.nrows, 4);
    assert_string_equal(reg.rows[0].col[COL_NAME], "a");
    assert_string_equal(reg.rows[0].col[COL_NOTES], "two\nlines, \"quoted\"");
    assert_int_equal(reg.rows[0].proto, IANA_TCP);
    assert_int_equal(reg.rows[0].line, 2);
    assert_int_equal(reg.rows[1].line, 5);
    assert_int_equal(reg.rows[1].port_lo, 2);
    assert_int_equal(reg.rows[1].port_hi, 4);
    assert_int_equal(reg.rows[1].proto, PROTO_BLANK);
    assert_int_equal(reg.rows[2].line, 6);
    assert_int_equal(reg.rows[2].proto, IANA_DCCP);
    assert_int_equal(reg.rows[3].line, 9);
    assert_int_equal(reg.rows[3].proto, IANA_SCTP);
    registry_free(&reg);
}

/* Headers narrow enough that every record of a test can have all fields.  */
#define H3 "Service Name,Port Number,Transport Protocol\n"
#define H4 "Service Name,Port Number,Transport Protocol,Description\n"

static void malformed_input_names_file_and_line(void **state)
{
    (void)state;
    EXPECT_ERROR("", "t.csv: empty file");
    EXPECT_ERROR(H3 "a,1,tcp\nb,x1,tcp\n", "t.csv:3: bad port number \"x1\"");
    EXPECT_ERROR(H3 "a,65536,tcp\n", "t.csv:2: bad port number \"65536\"");
    EXPECT_ERROR(H3 "a,1-,tcp\n", "t.csv:2: bad port number \"1-\"");
    EXPECT_ERROR(H3 "a,-1,tcp\n", "t.csv:2: bad port number \"-1\"");
    EXPECT_ERROR(H3 "a,9-3,tcp\n", "t.csv:2: reversed port range \"9-3\"");
    EXPECT_ERROR(H3 "a,1,tcp\n\nb,2,udplite\n", "t.csv:4: unknown transport protocol \"udplite\"");
    EXPECT_ERROR(H4 "a,1,tcp,\"open\nb,2,tcp\n", "t.csv:2: unterminated quoted field");
    EXPECT_ERROR(H4 "a,1,tcp,x\ny,2,tcp,\"q\"z\n",
                 "t.csv:3: malformed quoting: a stray '\"' in a field");
    EXPECT_ERROR("Service Name,Transport Protocol\na,tcp\n",
                 "t.csv:1: missing header column \"Port Number\"");
    /* A second column of one name: which of the two is the port?  */
    EXPECT_ERROR("Service Name,Port Number,Transport Protocol,Port Number\na,1,tcp,2\n",
                 "t.csv:1: duplicate header column \"Port Number\"");
    EXPECT_ERROR(H4 "a,1,tcp,caf\xc3\n", "t.csv:2: invalid UTF-8 in field 4");
    EXPECT_ERROR(H4 "a,1,tcp,\xed\xa0\x80\n", "t.csv:2: invalid UTF-8 in field 4");
    EXPECT_ERROR(H4 "a,1,tcp,x\0y\n", "t.csv:2: NUL byte in field 4");
    EXPECT_ERROR("Service Name,Port Number,Transport Protocol\na,1,tcp,extra\n",
                 "t.csv:2: 4 fields, but the header has 3");
    /* A download cut after "matahari,490": a record short of fields, or
     * one without its line end, is refused, not served with empty columns.  */
    EXPECT_ERROR(H3 "a,1,tcp\nmatahari,490\nb,2,tcp\n", "t.csv:3: 2 fields, but the header has 3");
    EXPECT_ERROR(H3 "a,1,tcp\nmatahari,490", "t.csv:3: cut short: the last record has no line end");
    EXPECT_ERROR(H3 "a,1,tcp\r\nmatahari,490,tcp", "t.csv:3: cut short: the last record has no line end");
    EXPECT_ERROR(H3 "a,1,tcp\r\nmatahari,490,tcp\r", "t.csv:3: cut short: the last record has no line end");
    EXPECT_ERROR(H3 "a,1,tcp\r\n\r", "t.csv:3: cut short: the last record has no line end");
    EXPECT_ERROR("Service Name,Port Number,Transport Protocol",
                 "t.csv:1: cut short: the last record has no line end");
    EXPECT_ERROR(H4 "a,1,tcp,\"two\nlines\"", "t.csv:2: cut short: the last record has no line end");
    /* Blanks after the last line end are a line cut short too (libcsv
     * alone trims them away: fuzz/regressions/csv/blanks-after-last-line).  */
    EXPECT_ERROR(H3 "a,1,tcp\n ", "t.csv:3: cut short: the last record has no line end");
    EXPECT_ERROR(H3 "a,1,tcp\r\n\t \t", "t.csv:3: cut short: the last record has no line end");
    /* Only LF or CRLF ends a record: a CR alone would split one into a
     * description and a port-less name, and in a CR-only file every
     * message would say line 1.  */
    EXPECT_ERROR(TU_HEADER "a0,6000,tcp,x,,,,,,,,\na1,6001,tcp,first\rpart,,,,,,,,\n",
                 "t.csv:3: stray carriage return: only LF or CRLF ends a record");
    EXPECT_ERROR("Service Name,Port Number,Transport Protocol\ra,1,tcp\rb,2,tcp\r",
                 "t.csv:1: stray carriage return: only LF or CRLF ends a record");
    EXPECT_ERROR(TU_HEADER "a,1,tcp,x,,,,,,,,\r\r\n",
                 "t.csv:2: stray carriage return: only LF or CRLF ends a record");
    EXPECT_ERROR(TU_HEADER "a,1,tcp,x,,,,,,,,\n\r\nb,2,tcp,x,,,,,,,,\rc,3,tcp,y,,,,,,,,\n",
                 "t.csv:4: stray carriage return: only LF or CRLF ends a record");
    EXPECT_ERROR("\x7f" "ELF\x02\x01\x01\x00\x00\x00", "t.csv:1: NUL byte in field 1");
}

static void carriage_return_in_quotes_is_data(void **state)
{
    (void)state;
    static const char csv[] = "Service Name,Port Number,Transport Protocol,Description\r\n"
                              "a,1,tcp,\"one\rtwo\"\r\n"
                              "b,2,tcp,y\r\n";
    struct registry reg;
    char err[256];
    if (parse(csv, sizeof csv - 1, &reg, err) != 0)
        fail_msg("%s", err);
    assert_int_equal(reg.nrows, 2);
    assert_string_equal(reg.rows[0].col[COL_DESCRIPTION], "one\rtwo");
    assert_int_equal(reg.rows[1].line, 3);
    registry_free(&reg);
}

/* Rows of 1 MiB (a long unquoted description) until the registry is past
 * REGISTRY_MAX_BYTES; returns its length.  */
static size_t oversized_registry(char **out)
{
    const size_t row = 1u << 20, rows = REGISTRY_MAX_BYTES / row + 2;
    size_t len = strlen(TU_HEADER);
    char *csv = malloc(len + rows * row);
    assert_non_null(csv);
    memcpy(csv, TU_HEADER, len);
    for (size_t i = 0; i < rows; i++) {
        char *r = csv + len;
        int n = sprintf(r, "s%zu,%zu,tcp,", i, 1000 + i);
        memset(r + n, 'x', row - (size_t)n - 9);
        memcpy(r + row - 9, ",,,,,,,,\n", 9);
        len += row;
    }
    *out = csv;
    return len;
}

static void oversized_input_refused_where_cut_too(void **state)
{
    (void)state;
    char *csv, whole[256], cut[256];
    size_t len = oversized_registry(&csv);
    struct registry reg;
    assert_int_equal(parse(csv, len, &reg, whole), -1);
    registry_free(&reg);
    /* A pipe is read up to just past the limit, not to its end: what is
     * read must be refused as the whole file is, not parsed as a registry
     * whose last row the limit cut short.  */
    assert_int_equal(parse(csv, REGISTRY_MAX_BYTES + 1, &reg, cut), -1);
    registry_free(&reg);
    assert_string_equal(whole, cut);
    assert_string_equal(whole, "t.csv:65: file too large: over 64 MiB, not a port registry");
    free(csv);
}

static void entries_of(const char *csv, struct registry *reg, struct entry_set *set)
{
    char err[256];
    if (registry_parse("t.csv", csv, strlen(csv), reg, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(registry_entries(reg, set, NULL), 0);
}

static void serving_rules(void **state)
{
    (void)state;
    struct registry reg;
    struct entry_set set;
    entries_of(TU_HEADER
               ",0,tcp,Reserved,,,,,,,,\n"                    /* no name */
               "_dnssd,,,DNS-SD only,,,,,,,,\n"               /* no port */
               "both,7,,Echo,,,,,,,,\n"                       /* tcp and udp */
               "Escale (Newton Dock),3,tcp,,,,,,,,,\n"        /* not a token */
               "caf\xc3\xa9,4,tcp,,,,,,,,,\n"                 /* not ASCII */
               "hash#name,5,tcp,,,,,,,,,\n"                   /* '#' starts a comment */
               "a234567890123456789012345678901234567890123456789012345678901234,6,tcp,,,,,,,,,\n"
               "r,10-12,udp,,,,,,,,,\n",
               &reg, &set);
    assert_int_equal(set.nentries, 3);
    assert_string_equal(set.entries[0].name, "both");
    assert_int_equal(set.entries[0].proto, IANA_TCP);
    assert_string_equal(set.entries[1].name, "both");
    assert_int_equal(set.entries[1].proto, IANA_UDP);
    assert_int_equal(set.entries[2].port_hi, 12);
    assert_int_equal(set.summary.rows, 8);
    assert_int_equal(set.summary.skipped_unnamed, 1);
    assert_int_equal(set.summary.skipped_bad_name, 4);
    assert_int_equal(set.summary.portless, 1);
    assert_int_equal(set.summary.ranges, 1);
    assert_int_equal(set.summary.per_proto[IANA_TCP], 1);
    assert_int_equal(set.summary.per_proto[IANA_UDP], 2);
    assert_int_equal(set.nportless, 1);
    assert_string_equal(set.portless[0]->col[COL_NAME], "_dnssd");
    entry_set_free(&set);
    registry_free(&reg);
}

static void aliases_fold_into_their_target(void **state)
{
    (void)state;
    struct registry reg;
    struct entry_set set;
    entries_of(TU_HEADER
               /* the alias row comes first: it still folds into cl-1 */
               "cl/1,172,tcp,CL/1,,,,,,,,\"This entry is an alias to \"\"cl-1\"\".\"\n"
               "cl-1,172,tcp,CL/1,,,,,,,,\n"
               "http,80,tcp,HTTP,,,,,,,,\n"
               "www,80,tcp,WWW,,,,,,,,\"This is a duplicate of the \"\"http\"\" service and should not be used\"\n"
               "www-http,80,tcp,\"This is a duplicate of the \"\"http\"\" service\",,,,,,,,\n"
               "www,80,tcp,again,,,,,,,,\"This is a duplicate of the \"\"http\"\" service\"\n"
               /* no http on 81: stays an entry of its own */
               "w81,81,tcp,,,,,,,,,\"This is a duplicate of the \"\"http\"\" service\"\n"
               /* the target must have the same protocol */
               "cl/1,172,udp,,,,,,,,,\"This entry is an alias to \"\"cl-1\"\".\"\n",
               &reg, &set);
    assert_int_equal(set.nentries, 4);
    assert_string_equal(set.entries[0].name, "cl-1");
    assert_int_equal(set.entries[0].nalias, 1);
    assert_string_equal(set.entries[0].aliases[0], "cl/1");
    assert_string_equal(set.entries[1].name, "http");
    assert_int_equal(set.entries[1].nalias, 2);
    assert_string_equal(set.entries[1].aliases[0], "www");
    assert_string_equal(set.entries[1].aliases[1], "www-http");
    assert_string_equal(set.entries[2].name, "w81");
    assert_string_equal(set.entries[3].name, "cl/1");
    assert_int_equal(set.entries[3].proto, IANA_UDP);
    assert_int_equal(set.summary.aliases_folded, 3);
    entry_set_free(&set);
    registry_free(&reg);
}

/* An entry's names take at most 255 bytes in the database: aliases beyond
 * that are served as entries of their own, so each still answers by name
 * (and, after its target, on the port), and the summary says how many.  */
static void aliases_past_the_names_limit_become_entries(void **state)
{
    (void)state;
    enum { N = 1000 };
    size_t cap = sizeof TU_HEADER + 32 + N * 80, len = 0;
    char *csv = malloc(cap);
    assert_non_null(csv);
    len += (size_t)snprintf(csv + len, cap - len, "%shttp,80,tcp,,,,,,,,,\n", TU_HEADER);
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(csv + len, cap - len, "alias%03d,80,tcp,,,,,,,,,"
                                "\"This is a duplicate of the \"\"http\"\" service\"\n", i);
    struct registry reg;
    struct entry_set set;
    entries_of(csv, &reg, &set);
    /* "http" and 27 "aliasNNN", each with its NUL: 5 + 27 * 9 = 248 bytes.  */
    assert_string_equal(set.entries[0].name, "http");
    assert_int_equal(set.entries[0].nalias, 27);
    assert_int_equal(set.summary.aliases_folded, 27);
    assert_int_equal(set.summary.aliases_unfolded, N - 27);
    assert_int_equal(set.nentries, 1 + N - 27);
    assert_string_equal(set.entries[1].name, "alias027");
    assert_int_equal(set.entries[1].port_lo, 80);
    assert_int_equal(set.entries[1].nalias, 0);
    entry_set_free(&set);
    registry_free(&reg);

    size_t dblen;
    struct iana_db db;
    uint8_t *bytes = tu_build(csv, &dblen);
    tu_view(bytes, dblen, &db);
    assert_string_equal(tu_describe(&db, iana_db_by_name(&db, "alias026", IANA_TCP)), "http 80/tcp");
    assert_string_equal(tu_describe(&db, iana_db_by_name(&db, "alias027", IANA_TCP)), "alias027 80/tcp");
    assert_string_equal(tu_describe(&db, iana_db_by_name(&db, "alias999", IANA_TCP)), "alias999 80/tcp");
    assert_string_equal(tu_describe(&db, iana_db_by_port(&db, 80, IANA_TCP)), "http 80/tcp");
    free(bytes);
    free(csv);
}

static void reads_the_bundled_registry(void **state)
{
    (void)state;
    struct registry reg;
    struct entry_set set;
    char err[256];
    if (registry_read("data/service-names-port-numbers.csv", &reg, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(reg.nrows, 14499);
    assert_int_equal(registry_entries(&reg, &set, NULL), 0);
    /* Every row is accounted for: skipped, portless or served; and every
     * served (row, protocol) is an entry or an alias folded into one.  */
    size_t served = 0, blank = 0;
    for (size_t i = 0; i < reg.nrows; i++) {
        const struct registry_row *r = &reg.rows[i];
        if (r->col[COL_NAME][0] && r->has_port && registry_name_ok(r->col[COL_NAME])) {
            served++;
            blank += r->proto == PROTO_BLANK;
        }
    }
    assert_int_equal(set.summary.rows, set.summary.skipped_unnamed + set.summary.skipped_bad_name +
                                           set.summary.portless + served);
    assert_int_equal(set.nentries + set.summary.aliases_folded, served + blank);
    assert_true(set.summary.aliases_folded > 0);
    registry_free(&reg);
    entry_set_free(&set);
}

static void unreadable_file(void **state)
{
    (void)state;
    struct registry reg;
    char err[256];
    assert_int_equal(registry_read("/nonexistent/x.csv", &reg, err, sizeof err), -1);
    assert_string_equal(err, "/nonexistent/x.csv: No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(columns_found_by_name),
        cmocka_unit_test(bom_crlf_quotes_and_lines),
        cmocka_unit_test(malformed_input_names_file_and_line),
        cmocka_unit_test(carriage_return_in_quotes_is_data),
        cmocka_unit_test(oversized_input_refused_where_cut_too),
        cmocka_unit_test(serving_rules),
        cmocka_unit_test(aliases_fold_into_their_target),
        cmocka_unit_test(aliases_past_the_names_limit_become_entries),
        cmocka_unit_test(reads_the_bundled_registry),
        cmocka_unit_test(unreadable_file),
    };
    return cmocka_run_group_tests_name("parser", tests, NULL, NULL);
}

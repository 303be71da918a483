/* parser/protocols.c: IANA's protocol numbers registry, read against a
 * second, independent reading of the same file (tests/protocols_csv.py,
 * Python's csv module), against malformed and re-encoded copies of it, and
 * against this machine's /etc/protocols as glibc's nss_files reads it.  */
#define _GNU_SOURCE
#include <netdb.h>
#include <nss.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../parser/protocols.h"
#include "../vocab.h"

#define CSV "data/protocol-numbers-1.csv"
#define HEADER "Decimal,Keyword,Protocol,IPv6 Extension Header,Reference\n"

/* --- the independent reading ------------------------------------------- */

struct oracle_row {
    unsigned line;
    char *col[PCOL_N];
};
struct oracle_entry {
    unsigned line, number, ipv6_ext, deprecated;
    char *name, *alias;
};
struct oracle {
    struct oracle_row *rows;
    size_t nrows;
    struct oracle_entry *entries;
    size_t nentries;
    size_t range, unnamed, reserved, bad_name, duplicate;
    char *text;
};

static void unescape(char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (*s != '\\') {
            *o++ = *s;
            continue;
        }
        s++;
        *o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s;
    }
    *o = '\0';
}

/* Splits a line at tabs into at most `max` unescaped fields.  */
static size_t split(char *line, char **field, size_t max)
{
    size_t n = 0;
    line[strcspn(line, "\n")] = '\0';
    for (char *p = line; n < max;) {
        char *tab = strchr(p, '\t');
        field[n++] = p;
        if (!tab)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    for (size_t i = 0; i < n; i++)
        unescape(field[i]);
    return n;
}

static void oracle_read(const char *path, struct oracle *o)
{
    char *cmd, *all = NULL;
    size_t alllen = 0;
    memset(o, 0, sizeof *o);
    assert_true(asprintf(&cmd, "python3 tests/protocols_csv.py '%s'", path) > 0);
    FILE *p = popen(cmd, "r"), *buf = open_memstream(&all, &alllen);
    assert_non_null(p);
    for (int c; (c = getc(p)) != EOF;)
        putc(c, buf);
    fclose(buf);
    if (pclose(p) != 0)
        fail_msg("%s failed", cmd);
    free(cmd);
    o->text = all;
    o->rows = calloc(alllen + 1, sizeof *o->rows);
    o->entries = calloc(alllen + 1, sizeof *o->entries);
    assert_true(o->rows && o->entries);
    for (char *s = all, *nl; *s; s = nl + 1) {
        char *f[8];
        nl = strchr(s, '\n');
        assert_non_null(nl);
        *nl = '\0';
        size_t n = split(s, f, 8);
        if (strcmp(f[0], "R") == 0) {
            assert_int_equal(n, 2 + PCOL_N);
            struct oracle_row *r = &o->rows[o->nrows++];
            r->line = (unsigned)atoi(f[1]);
            for (int c = 0; c < PCOL_N; c++)
                r->col[c] = f[2 + c];
        } else if (strcmp(f[0], "E") == 0) {
            assert_int_equal(n, 7);
            o->entries[o->nentries++] = (struct oracle_entry){
                (unsigned)atoi(f[1]), (unsigned)atoi(f[2]), (unsigned)atoi(f[5]),
                (unsigned)atoi(f[6]), f[3], f[4]};
        } else {
            assert_int_equal(n, 3);
            size_t v = (size_t)atol(f[2]);
            if (!strcmp(f[1], "range")) o->range = v;
            else if (!strcmp(f[1], "unnamed")) o->unnamed = v;
            else if (!strcmp(f[1], "reserved")) o->reserved = v;
            else if (!strcmp(f[1], "bad_name")) o->bad_name = v;
            else if (!strcmp(f[1], "duplicate")) o->duplicate = v;
            else fail_msg("unknown reason %s", f[1]);
        }
    }
}

static void oracle_free(struct oracle *o)
{
    free(o->rows);
    free(o->entries);
    free(o->text);
}

/* --- helpers ------------------------------------------------------------ */

static void read_ok(const char *path, struct protocol_registry *reg, struct protocol_set *set)
{
    char err[256];
    if (protocols_read(path, reg, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(protocol_entries(reg, set, NULL), 0);
}

static void parse_ok(const char *csv, size_t len, struct protocol_registry *reg,
                     struct protocol_set *set, char **warnings)
{
    char err[256];
    size_t n;
    FILE *warn = open_memstream(warnings, &n);
    if (protocols_parse("t.csv", csv, len, reg, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(protocol_entries(reg, set, warn), 0);
    fclose(warn);
}
#define PARSE_OK(csv, reg, set, w) parse_ok(csv, sizeof csv - 1, reg, set, w)

static const struct protocol_entry *by_name(const struct protocol_set *set, const char *q)
{
    for (int fold = 0; fold < 2; fold++)
        for (size_t i = 0; i < set->nentries; i++) {
            const struct protocol_entry *e = &set->entries[i];
            for (size_t k = 0; k <= e->nalias; k++) {
                const char *s = k ? e->aliases[k - 1] : e->name;
                if (fold ? iana_ascii_caseeq(s, q) : strcmp(s, q) == 0)
                    return e;
            }
        }
    return NULL;
}

static const struct protocol_entry *by_number(const struct protocol_set *set, unsigned n)
{
    for (size_t i = 0; i < set->nentries; i++)
        if (set->entries[i].number == n)
            return &set->entries[i];
    return NULL;
}

/* Every column, number, name and flag of two readings the same.  */
static void assert_same(const struct protocol_registry *ra, const struct protocol_set *a,
                        const struct protocol_registry *rb, const struct protocol_set *b)
{
    assert_int_equal(ra->nrows, rb->nrows);
    for (size_t i = 0; i < ra->nrows; i++) {
        assert_int_equal(ra->rows[i].line, rb->rows[i].line);
        for (int c = 0; c < PCOL_N; c++)
            assert_string_equal(ra->rows[i].col[c], rb->rows[i].col[c]);
    }
    assert_int_equal(a->nentries, b->nentries);
    for (size_t i = 0; i < a->nentries; i++) {
        const struct protocol_entry *x = &a->entries[i], *y = &b->entries[i];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->nalias, y->nalias);
        for (size_t k = 0; k < x->nalias; k++)
            assert_string_equal(x->aliases[k], y->aliases[k]);
        assert_int_equal(x->number, y->number);
        assert_int_equal(x->ipv6_ext, y->ipv6_ext);
        assert_int_equal(x->deprecated, y->deprecated);
        assert_string_equal(x->description, y->description);
        assert_string_equal(x->reference, y->reference);
    }
    assert_memory_equal(&a->summary, &b->summary, sizeof a->summary);
}

/* --- the vendored registry ---------------------------------------------- */

static void bundled_registry_as_python_reads_it(void **state)
{
    (void)state;
    struct protocol_registry reg;
    struct protocol_set set;
    struct oracle o;
    read_ok(CSV, &reg, &set);
    oracle_read(CSV, &o);

    assert_true(o.nrows > 0);
    assert_int_equal(reg.nrows, o.nrows);
    for (size_t i = 0; i < reg.nrows; i++) {
        assert_int_equal(reg.rows[i].line, o.rows[i].line);
        for (int c = 0; c < PCOL_N; c++)
            assert_string_equal(reg.rows[i].col[c], o.rows[i].col[c]);
    }
    assert_int_equal(set.nentries, o.nentries);
    for (size_t i = 0; i < set.nentries; i++) {
        const struct protocol_entry *e = &set.entries[i];
        const struct oracle_entry *w = &o.entries[i];
        assert_int_equal(e->row->line, w->line);
        assert_int_equal(e->number, w->number);
        assert_string_equal(e->name, w->name);
        assert_int_equal(e->nalias, *w->alias != '\0');
        if (e->nalias)
            assert_string_equal(e->aliases[0], w->alias);
        assert_int_equal(e->ipv6_ext, w->ipv6_ext);
        assert_int_equal(e->deprecated, w->deprecated);
    }
    const struct protocol_summary *s = &set.summary;
    assert_int_equal(s->rows, o.nrows);
    assert_int_equal(s->entries, o.nentries);
    assert_int_equal(s->skipped_range, o.range);
    assert_int_equal(s->skipped_unnamed, o.unnamed);
    assert_int_equal(s->skipped_reserved, o.reserved);
    assert_int_equal(s->skipped_bad_name, o.bad_name);
    assert_int_equal(s->skipped_duplicate, o.duplicate);
    /* Every row is served or skipped for one reason.  */
    assert_int_equal(s->rows, s->entries + s->skipped_range + s->skipped_unnamed +
                                  s->skipped_reserved + s->skipped_bad_name +
                                  s->skipped_duplicate);
    printf("%s: %zu rows, %zu served (%zu deprecated, %zu hyphenated); skipped: %zu range, "
           "%zu unnamed, %zu reserved, %zu bad name, %zu duplicate\n", CSV, s->rows,
           s->entries, s->deprecated, s->hyphenated, s->skipped_range, s->skipped_unnamed,
           s->skipped_reserved, s->skipped_bad_name, s->skipped_duplicate);
    oracle_free(&o);
    protocol_set_free(&set);
    protocols_free(&reg);
}

static void expect_entry(const struct protocol_set *set, const char *name, unsigned number,
                         const char *alias, int ext, int deprecated)
{
    const struct protocol_entry *e = by_name(set, name);
    if (!e || strcmp(e->name, name) != 0)
        fail_msg("no entry named %s", name);
    assert_int_equal(e->number, number);
    assert_int_equal(e->nalias, alias != NULL);
    if (alias) {
        assert_string_equal(e->aliases[0], alias);
        assert_ptr_equal(by_name(set, alias), e);
    }
    assert_int_equal(e->ipv6_ext, ext);
    assert_int_equal(e->deprecated, deprecated);
}

static void known_rows(void **state)
{
    (void)state;
    struct protocol_registry reg;
    struct protocol_set set;
    read_ok(CSV, &reg, &set);
    expect_entry(&set, "tcp", 6, "TCP", 0, 0);
    expect_entry(&set, "udp", 17, "UDP", 0, 0);
    expect_entry(&set, "ipv6-icmp", 58, "IPv6-ICMP", 0, 0);
    expect_entry(&set, "sctp", 132, "SCTP", 0, 0);
    expect_entry(&set, "hopopt", 0, "HOPOPT", 1, 0);
    expect_entry(&set, "nsh", 145, "NSH", 0, 0);                 /* "N" */
    expect_entry(&set, "argus", 13, "ARGUS", 0, 1);              /* "ARGUS (deprecated)" */
    expect_entry(&set, "isis-over-ipv4", 124, NULL, 0, 0);       /* "ISIS over IPv4" */
    expect_entry(&set, "mobility-header", 135, NULL, 1, 0);      /* "Mobility Header" */
    expect_entry(&set, "manet", 138, NULL, 0, 0);                /* already lower case */
    assert_string_equal(by_number(&set, 6)->description, "Transmission Control");
    assert_string_equal(by_number(&set, 6)->reference, "[RFC9293]");
    /* A quoted description over two lines, and a reference with quotes.  */
    assert_non_null(strchr(by_number(&set, 56)->description, '\n'));
    assert_non_null(strstr(by_number(&set, 12)->reference, "\"PUP: An Internetwork"));
    /* Not served: no keyword, a range, a status instead of a name.  */
    for (unsigned n = 148; n <= 255; n++)
        assert_null(by_number(&set, n));
    assert_null(by_number(&set, 61));
    assert_null(by_name(&set, "reserved"));
    assert_null(by_name(&set, "isis over ipv4"));
    protocol_set_free(&set);
    protocols_free(&reg);
}

/* LF record ends to CRLF, outside quotes only: IANA's services file keeps
 * LF inside its quoted multi-line fields, and so would this one.  */
static char *to_crlf(const char *s, size_t len, size_t *outlen)
{
    char *out = malloc(2 * len + 1), *o = out;
    int quoted = 0;
    assert_non_null(out);
    for (size_t i = 0; i < len; i++) {
        quoted ^= s[i] == '"';
        if (s[i] == '\n' && !quoted)
            *o++ = '\r';
        *o++ = s[i];
    }
    *outlen = (size_t)(o - out);
    return out;
}

static void bom_and_line_ends_change_nothing(void **state)
{
    (void)state;
    FILE *f = fopen(CSV, "rb");
    char *lf = NULL;
    size_t lflen = 0;
    assert_non_null(f);
    FILE *m = open_memstream(&lf, &lflen);
    for (int c; (c = getc(f)) != EOF;)
        putc(c, m);
    fclose(m);
    fclose(f);
    assert_null(memchr(lf, '\r', lflen)); /* the snapshot is the LF one */

    size_t crlflen;
    char *crlf = to_crlf(lf, lflen, &crlflen);
    assert_true(crlflen > lflen);
    char *bomlf = malloc(lflen + 3), *bomcrlf = malloc(crlflen + 3);
    assert_true(bomlf && bomcrlf);
    memcpy(bomlf, "\xef\xbb\xbf", 3);
    memcpy(bomlf + 3, lf, lflen);
    memcpy(bomcrlf, "\xef\xbb\xbf", 3);
    memcpy(bomcrlf + 3, crlf, crlflen);
    const struct { const char *what, *bytes; size_t len; } variant[] = {
        {"LF", lf, lflen}, {"CRLF", crlf, crlflen},
        {"BOM LF", bomlf, lflen + 3}, {"BOM CRLF", bomcrlf, crlflen + 3},
    };
    struct protocol_registry reg[4];
    struct protocol_set set[4];
    for (size_t v = 0; v < 4; v++) {
        char err[256];
        if (protocols_parse(variant[v].what, variant[v].bytes, variant[v].len, &reg[v], err,
                            sizeof err) != 0)
            fail_msg("%s", err);
        assert_int_equal(protocol_entries(&reg[v], &set[v], NULL), 0);
        assert_true(set[v].nentries > 0);
        assert_same(&reg[0], &set[0], &reg[v], &set[v]);
    }
    for (size_t v = 0; v < 4; v++) {
        protocol_set_free(&set[v]);
        protocols_free(&reg[v]);
    }
    free(lf);
    free(crlf);
    free(bomlf);
    free(bomcrlf);
}

/* --- malformed input ---------------------------------------------------- */

static void expect_error(const char *csv, size_t len, const char *message)
{
    struct protocol_registry reg;
    char err[256];
    if (protocols_parse("t.csv", csv, len, &reg, err, sizeof err) != -1)
        fail_msg("accepted, expected \"%s\"", message);
    if (strcmp(err, message) != 0)
        fail_msg("expected \"%s\", got \"%s\"", message, err);
    /* Nothing produced: no rows of a file that was refused.  */
    assert_int_equal(reg.nrows, 0);
    assert_null(reg.rows);
    protocols_free(&reg);
}
#define EXPECT_ERROR(csv, message) expect_error(csv, sizeof csv - 1, message)

static void malformed_input_names_file_and_line(void **state)
{
    (void)state;
    EXPECT_ERROR("", "t.csv: empty file");
    EXPECT_ERROR("\n\n", "t.csv: no header row");
    EXPECT_ERROR("Decimal,Keyword,Protocol,Decimal\n6,TCP,x,7\n",
                 "t.csv:1: duplicate header column \"Decimal\"");
    EXPECT_ERROR("Decimal,Protocol\n6,x\n", "t.csv:1: missing header column \"Keyword\"");
    EXPECT_ERROR("Service Name,Port Number,Transport Protocol\nhttp,80,tcp\n",
                 "t.csv:1: missing header column \"Decimal\"");
    EXPECT_ERROR(HEADER "6,TCP,Transmission Control,,[RFC9293]\n17,UDP,User Datagram\n",
                 "t.csv:3: 3 fields, but the header has 5");
    EXPECT_ERROR(HEADER "6,TCP,Transmission Control,,[RFC9293],extra\n",
                 "t.csv:2: 6 fields, but the header has 5");
    /* A body that does not end where a record ends.  */
    EXPECT_ERROR(HEADER "6,TCP,Transmission Control,,[RFC9293]",
                 "t.csv:2: cut short: the last record has no line end");
    EXPECT_ERROR(HEADER "6,TCP,Transmission Control,,[RFC9293]\r\n17,UDP,User,,[RFC768]\r",
                 "t.csv:3: cut short: the last record has no line end");
    EXPECT_ERROR(HEADER "6,TCP,Transmission Control,,[RFC9293]\n  ",
                 "t.csv:3: cut short: the last record has no line end");
    EXPECT_ERROR(HEADER "56,TLSP,\"Transport Layer Security Protocol\nusing",
                 "t.csv:2: unterminated quoted field");
    EXPECT_ERROR(HEADER "6,TCP,\"Trans\"mission,,x\n",
                 "t.csv:2: malformed quoting: a stray '\"' in a field");
    /* A bare CR outside quotes ends no record.  */
    EXPECT_ERROR(HEADER "6,TCP,Transmission\rControl,,x\n17,UDP,User Datagram,,x\n",
                 "t.csv:2: stray carriage return: only LF or CRLF ends a record");
    EXPECT_ERROR(HEADER "1,ICMP,x,,y\n6,TCP,x,,y\r17,UDP,x,,y\n",
                 "t.csv:3: stray carriage return: only LF or CRLF ends a record");
    EXPECT_ERROR("Decimal,Keyword\r6,TCP\r",
                 "t.csv:1: stray carriage return: only LF or CRLF ends a record");
    /* Numbers.  */
    EXPECT_ERROR(HEADER "1,ICMP,x,,y\n256,BIG,x,,y\n",
                 "t.csv:3: bad protocol number \"256\": 0-255 or a range of them");
    EXPECT_ERROR(HEADER ",NONE,x,,y\n", "t.csv:2: bad protocol number \"\": 0-255 or a range of them");
    EXPECT_ERROR(HEADER "-1,NEG,x,,y\n", "t.csv:2: bad protocol number \"-1\": 0-255 or a range of them");
    EXPECT_ERROR(HEADER "148-,R,x,,y\n", "t.csv:2: bad protocol number \"148-\": 0-255 or a range of them");
    EXPECT_ERROR(HEADER "1-2-3,R,x,,y\n", "t.csv:2: bad protocol number \"1-2-3\": 0-255 or a range of them");
    /* libcsv trims the blanks around an unquoted field; inside quotes they stay.  */
    EXPECT_ERROR(HEADER "\" 6\",TCP,x,,y\n", "t.csv:2: bad protocol number \" 6\": 0-255 or a range of them");
    EXPECT_ERROR(HEADER "0x6,TCP,x,,y\n", "t.csv:2: bad protocol number \"0x6\": 0-255 or a range of them");
    EXPECT_ERROR(HEADER "0006,TCP,x,,y\n", "t.csv:2: bad protocol number \"0006\": 0-255 or a range of them");
    EXPECT_ERROR(HEADER "252-148,R,x,,y\n", "t.csv:2: reversed number range \"252-148\"");
    EXPECT_ERROR(HEADER "\"6\n\",TCP,x,,y\n", "t.csv:2: bad protocol number \"6\n\": 0-255 or a range of them");
    EXPECT_ERROR(HEADER "0,HOPOPT,x,Yes,y\n",
                 "t.csv:2: bad IPv6 Extension Header \"Yes\": Y, N or empty");
    /* The bytes.  */
    EXPECT_ERROR(HEADER "6,TCP,caf\xc3,,y\n", "t.csv:2: invalid UTF-8 in field 3");
    EXPECT_ERROR(HEADER "6,TCP,a\0b,,y\n", "t.csv:2: NUL byte in field 3");
}

static void oversized_input_refused(void **state)
{
    (void)state;
    size_t len = PROTOCOLS_MAX_BYTES + 4096, at = strlen(HEADER);
    char *csv = malloc(len);
    assert_non_null(csv);
    memcpy(csv, HEADER, at);
    while (at + 64 < len) {
        int n = sprintf(csv + at, "%zu,P%zu,%s,,x\n", at % 256, at, "padding padding");
        at += (size_t)n;
    }
    struct protocol_registry reg;
    char err[256];
    assert_int_equal(protocols_parse("t.csv", csv, at, &reg, err, sizeof err), -1);
    assert_non_null(strstr(err, ": file too large: over 1 MiB, not a protocol registry"));
    protocols_free(&reg);
    free(csv);
}

static void unreadable_file(void **state)
{
    (void)state;
    struct protocol_registry reg;
    char err[256];
    assert_int_equal(protocols_read("/nonexistent/p.csv", &reg, err, sizeof err), -1);
    assert_string_equal(err, "/nonexistent/p.csv: No such file or directory");
    protocols_free(&reg);
}

/* --- the serving rules -------------------------------------------------- */

static void columns_by_header_name(void **state)
{
    (void)state;
    static const char csv[] = "Keyword,Notes,Decimal,IPv6 Extension Header\n"
                              "TCP,ignored,6,n\n"
                              "HOPOPT,,0,y\n";
    struct protocol_registry reg;
    struct protocol_set set;
    char *warnings;
    PARSE_OK(csv, &reg, &set, &warnings);
    assert_int_equal(set.nentries, 2);
    expect_entry(&set, "tcp", 6, "TCP", 0, 0);
    expect_entry(&set, "hopopt", 0, "HOPOPT", 1, 0);
    assert_string_equal(set.entries[0].description, "");
    assert_string_equal(set.entries[0].reference, "");
    assert_string_equal(warnings, "");
    free(warnings);
    protocol_set_free(&set);
    protocols_free(&reg);
}

static void skipped_rows_are_counted(void **state)
{
    (void)state;
    static const char csv[] = HEADER
        "61,,any host internal protocol,,[IANA]\n"
        "148-252,,Unassigned,,[IANA]\n"
        "255,Reserved,,,[IANA]\n"
        "250,UNASSIGNED,,,x\n"
        "251,(deprecated),,,x\n"
        "252,caf\xc3\xa9,,,x\n"
        "253,a#b,,,x\n"
        "254,a23456789012345678901234567890123456789012345678901234567890123x,,,x\n"
        "6,TCP,Transmission Control,,[RFC9293]\n";
    struct protocol_registry reg;
    struct protocol_set set;
    char *warnings;
    PARSE_OK(csv, &reg, &set, &warnings);
    assert_int_equal(set.nentries, 1);
    assert_string_equal(set.entries[0].name, "tcp");
    assert_int_equal(set.summary.rows, 9);
    assert_int_equal(set.summary.skipped_unnamed, 2);
    assert_int_equal(set.summary.skipped_range, 1);
    assert_int_equal(set.summary.skipped_reserved, 2);
    assert_int_equal(set.summary.skipped_bad_name, 3);
    assert_string_equal(warnings,
        "t.csv:7: warning: protocol name \"caf\xc3\xa9\" is not a single printable-ASCII "
        "token; row not served\n"
        "t.csv:8: warning: protocol name \"a#b\" is not a single printable-ASCII token; "
        "row not served\n"
        "t.csv:9: warning: protocol name "
        "\"a23456789012345678901234567890123456789012345678901234567890123x\" is longer "
        "than 63 characters; row not served\n");
    free(warnings);
    protocol_set_free(&set);
    protocols_free(&reg);
}

static void awkward_keywords(void **state)
{
    (void)state;
    static const char csv[] = HEADER
        "13,ARGUS (deprecated),ARGUS,,x\n"
        "53,SWIPE  (DEPRECATED) ,IP with Encryption,,x\n"
        "124,ISIS over IPv4,,,x\n"
        "135,Mobility Header,,Y,x\n"
        "200, Two\t words  here ,,,x\n"
        "201,Old Thing (deprecated),,,x\n"
        "138,manet,MANET Protocols,,x\n";
    struct protocol_registry reg;
    struct protocol_set set;
    char *warnings;
    PARSE_OK(csv, &reg, &set, &warnings);
    assert_int_equal(set.nentries, 7);
    expect_entry(&set, "argus", 13, "ARGUS", 0, 1);
    expect_entry(&set, "swipe", 53, "SWIPE", 0, 1);
    expect_entry(&set, "isis-over-ipv4", 124, NULL, 0, 0);
    expect_entry(&set, "mobility-header", 135, NULL, 1, 0);
    expect_entry(&set, "two-words-here", 200, NULL, 0, 0);
    expect_entry(&set, "old-thing", 201, NULL, 0, 1);
    expect_entry(&set, "manet", 138, NULL, 0, 0);
    assert_ptr_equal(by_name(&set, "Mobility-Header"), by_number(&set, 135));
    assert_int_equal(set.summary.deprecated, 3);
    assert_int_equal(set.summary.hyphenated, 4);
    assert_string_equal(warnings, "");
    free(warnings);
    protocol_set_free(&set);
    protocols_free(&reg);
}

/* One number, two keywords (older snapshots had TTP and IPTM at 84): both
 * served, in registry order, so by number the first answers.  One name,
 * two numbers: the first keeps it, the later row is not served and said.  */
static void numbers_and_names_shared(void **state)
{
    (void)state;
    static const char csv[] = HEADER
        "84,TTP,Transaction Transport Protocol,,x\n"
        "84,IPTM,Internet Protocol Traffic Manager,,x\n"
        "6,TCP,Transmission Control,,x\n"
        "200,tcp,Another,,x\n"
        "6,TCP,Again,,x\n"
        "135,Mobility Header,,Y,x\n"
        "201,Mobility-Header,,,x\n";
    struct protocol_registry reg;
    struct protocol_set set;
    char *warnings;
    PARSE_OK(csv, &reg, &set, &warnings);
    assert_int_equal(set.nentries, 4);
    assert_string_equal(set.entries[0].name, "ttp");
    assert_string_equal(set.entries[1].name, "iptm");
    assert_ptr_equal(by_number(&set, 84), &set.entries[0]);
    assert_ptr_equal(by_name(&set, "IPTM"), &set.entries[1]);
    assert_ptr_equal(by_name(&set, "tcp"), by_number(&set, 6));
    assert_null(by_number(&set, 200));
    assert_null(by_number(&set, 201));
    assert_int_equal(set.summary.skipped_duplicate, 3);
    assert_string_equal(warnings,
        "t.csv:5: warning: protocol name \"tcp\" is number 6's already (line 4); row not served\n"
        "t.csv:6: warning: protocol name \"tcp\" is number 6's already (line 4); row not served\n"
        "t.csv:8: warning: protocol name \"mobility-header\" is number 135's already (line 7); "
        "row not served\n");
    /* So no spelling, in any case, belongs to two entries.  */
    for (size_t i = 0; i < set.nentries; i++)
        for (size_t j = 0; j < set.nentries; j++)
            if (i != j) {
                assert_false(iana_ascii_caseeq(set.entries[i].name, set.entries[j].name));
                for (size_t k = 0; k < set.entries[j].nalias; k++)
                    assert_false(iana_ascii_caseeq(set.entries[i].name,
                                                   set.entries[j].aliases[k]));
            }
    free(warnings);
    protocol_set_free(&set);
    protocols_free(&reg);
}

/* --- against this machine's /etc/protocols ------------------------------- */

/* Whether a protocols(5) name spells the registry's keyword: the same
 * letters in any case, ' ' and '-' alike, the "(deprecated)" remark
 * aside.  A name that does not (netbase's "ipencap" for IPv4, "ospf" for
 * OSPFIGP, "isis" for "ISIS over IPv4") is the file's own name for the
 * number, not a spelling of IANA's, and no rule of ours could produce it.  */
static int spells_keyword(const char *name, const char *keyword)
{
    size_t kl = strlen(keyword);
    if (kl >= 13 && iana_ascii_caseeq(keyword + kl - 13, " (deprecated)"))
        kl -= 13;
    size_t i = 0;
    for (; name[i] && i < kl; i++) {
        char a = name[i], b = keyword[i];
        a = a == ' ' ? '-' : a >= 'A' && a <= 'Z' ? (char)(a - 'A' + 'a') : a;
        b = b == ' ' ? '-' : b >= 'A' && b <= 'Z' ? (char)(b - 'A' + 'a') : b;
        if (a != b)
            return 0;
    }
    return !name[i] && i == kl;
}

/* Our entry at `number` with the spelling `q` as name or alias, exactly
 * or in any case.  */
static const struct protocol_entry *spelling_at(const struct protocol_set *set,
                                                unsigned number, const char *q, int fold,
                                                const char **spelling)
{
    for (size_t i = 0; i < set->nentries; i++) {
        const struct protocol_entry *e = &set->entries[i];
        for (size_t k = 0; e->number == number && k <= e->nalias; k++) {
            const char *s = k ? e->aliases[k - 1] : e->name;
            if (fold ? iana_ascii_caseeq(s, q) : strcmp(s, q) == 0) {
                *spelling = s;
                return e;
            }
        }
    }
    return NULL;
}

/* For every line of /etc/protocols (read by glibc's nss_files) whose
 * number IANA assigns, each of its names is either
 *   - a spelling of IANA's keyword at that number (spells_keyword): then it
 *     must be among our names for the number, exactly or in another case
 *     (which the lookup's case-insensitive step finds), and when it is the
 *     line's official name it must be our official name, so
 *     getprotobynumber says the same; or
 *   - the file's own name (the rule above decides, not a list): reported,
 *     not compared, but it must not be ours for another number.
 * And every number it names that IANA assigns we serve.  */
static void netbase_agrees_where_it_spells_the_registry(void **state)
{
    (void)state;
    if (access("/etc/protocols", R_OK) != 0) {
        printf("no /etc/protocols on this machine: nothing to compare\n");
        skip();
    }
    struct protocol_registry reg;
    struct protocol_set set;
    read_ok(CSV, &reg, &set);
    assert_int_equal(__nss_configure_lookup("protocols", "files"), 0);

    size_t lines = 0, names = 0, exact = 0, by_case = 0, own = 0, not_iana = 0, n1, n2, n3, n4;
    char *own_list, *case_list, *other_list, *bad;
    FILE *ownf = open_memstream(&own_list, &n1), *casef = open_memstream(&case_list, &n2),
         *otherf = open_memstream(&other_list, &n3), *badf = open_memstream(&bad, &n4);
    struct protoent pe, *res;
    char buf[4096];
    setprotoent(0);
    while (getprotoent_r(&pe, buf, sizeof buf, &res) == 0 && res) {
        unsigned number = (unsigned)pe.p_proto;
        int assigned = 0;
        lines++;
        for (size_t i = 0; i < reg.nrows; i++)
            assigned |= number >= reg.rows[i].lo && number <= reg.rows[i].hi;
        if (!assigned) {
            not_iana++;
            fprintf(otherf, " %s=%u", pe.p_name, number);
            continue;
        }
        if (!by_number(&set, number))
            fprintf(badf, "  %u (%s): IANA assigns it, we serve no name for it\n", number,
                    pe.p_name);
        for (size_t k = 0; k == 0 || pe.p_aliases[k - 1]; k++) {
            const char *n = k ? pe.p_aliases[k - 1] : pe.p_name;
            int spelled = 0;
            if (!n)
                break;
            names++;
            for (size_t i = 0; i < reg.nrows; i++)
                if (reg.rows[i].lo == number && reg.rows[i].hi == number)
                    spelled |= spells_keyword(n, reg.rows[i].col[PCOL_KEYWORD]);
            const struct protocol_entry *other = by_name(&set, n), *mine;
            const char *ours;
            if (other && other->number != number)
                fprintf(badf, "  %s %u: ours is %u\n", n, number, other->number);
            if (!spelled) {
                own++;
                fprintf(ownf, " %s=%u", n, number);
            } else if ((mine = spelling_at(&set, number, n, 0, &ours))) {
                exact++;
            } else if ((mine = spelling_at(&set, number, n, 1, &ours))) {
                by_case++;
                fprintf(casef, " %s=%u(ours %s)", n, number, ours);
            } else {
                fprintf(badf, "  %s %u: IANA's keyword, not among our names\n", n, number);
            }
            if (spelled && k == 0 && mine && strcmp(mine->name, n) != 0)
                fprintf(badf, "  %s %u: our official name is %s\n", n, number, mine->name);
        }
    }
    endprotoent();
    fclose(ownf);
    fclose(casef);
    fclose(otherf);
    fclose(badf);
    printf("/etc/protocols: %zu lines, %zu names of IANA's numbers: %zu ours exactly, "
           "%zu in another case:%s\n"
           "  %zu its own names, not IANA's keyword at the number:%s\n"
           "  %zu lines of numbers IANA does not assign:%s\n",
           lines, names, exact, by_case, case_list, own, own_list, not_iana, other_list);
    if (*bad)
        fail_msg("/etc/protocols and ours disagree:\n%s", bad);
    /* A file that compared nothing proves nothing.  */
    assert_true(exact > 0);
    assert_int_equal(names, exact + by_case + own);
    free(own_list);
    free(case_list);
    free(other_list);
    free(bad);
    protocol_set_free(&set);
    protocols_free(&reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bundled_registry_as_python_reads_it),
        cmocka_unit_test(known_rows),
        cmocka_unit_test(bom_and_line_ends_change_nothing),
        cmocka_unit_test(malformed_input_names_file_and_line),
        cmocka_unit_test(oversized_input_refused),
        cmocka_unit_test(unreadable_file),
        cmocka_unit_test(columns_by_header_name),
        cmocka_unit_test(skipped_rows_are_counted),
        cmocka_unit_test(awkward_keywords),
        cmocka_unit_test(numbers_and_names_shared),
        cmocka_unit_test(netbase_agrees_where_it_spells_the_registry),
    };
    return cmocka_run_group_tests_name("protocols", tests, NULL, NULL);
}

/* parser/services.c and the database's services file layer, against glibc
 * itself: libc exports nss_files' own line parser (_nss_files_parse_servent,
 * GLIBC_PRIVATE), so every line here is parsed by both and the results
 * compared, and lookups are checked against nss_files' rules run over
 * glibc's parse of the same lines (first line in file order, strcmp on
 * name, alias and protocol).  What happens before the line parser
 * (__nss_readline: comments, leading blanks and their quirk) is checked on
 * its own here, and against nss_files reading a real /etc/services in
 * tests/oracle.sh.  */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../db/verify.h"
#include "../db/writer.h"
#include "../parser/services.h"
#include "testutil.h"

/* glibc's nss_files line parser: 1 parsed, 0 rejected, -1 buffer too small.
 * `data` is a struct parser_data, which for services is only the buffer.  */
extern int _nss_files_parse_servent(char *line, struct servent *result, void *data,
                                    size_t datalen, int *errnop);

/* "name port/proto alias..." of a servent, or "-" for a rejected line.  */
static char *servent_text(const struct servent *s)
{
    char *out;
    size_t n;
    FILE *f = open_memstream(&out, &n);
    fprintf(f, "%s %u/%s", s->s_name, ntohs((uint16_t)s->s_port), s->s_proto);
    for (char **a = s->s_aliases; *a; a++)
        fprintf(f, " %s", *a);
    fclose(f);
    return out;
}

static char *line_text(const struct services_line *l)
{
    char *out;
    size_t n;
    FILE *f = open_memstream(&out, &n);
    fprintf(f, "%s %u/%s", l->name, l->port, l->proto);
    for (size_t a = 0; a < l->nalias; a++)
        fprintf(f, " %s", l->aliases[a]);
    fclose(f);
    return out;
}

/* glibc's parse of one line (as __nss_readline hands it over: with its
 * '\n', leading blanks already gone), as text, or "-".  */
static char *glibc_parse(const char *line, size_t len)
{
    static char data[1 << 16];
    char *copy = malloc(len + 1);
    memcpy(copy, line, len);
    copy[len] = '\0';
    struct servent se;
    int err = 0;
    int rc = _nss_files_parse_servent(copy, &se, data, sizeof data, &err);
    assert_int_not_equal(rc, -1);
    char *out = rc == 1 ? servent_text(&se) : strdup("-");
    free(copy);
    return out;
}

static char *ours(const char *text, size_t len, size_t *nlines)
{
    struct services_file sf;
    char err[256];
    if (services_parse("t", text, len, &sf, NULL, err, sizeof err) != 0)
        fail_msg("services_parse: %s", err);
    *nlines = sf.nlines;
    char *out = sf.nlines ? line_text(&sf.lines[0]) : strdup("-");
    services_free(&sf);
    return out;
}

/* Lines that start with a non-blank and end with '\n': what the line
 * parser sees is the line itself, so glibc's verdict must be ours.  */
static const char *const lines[] = {
    "http 80/tcp www www-http\n",
    "echo 4/ddp\n",
    "kerberos 88/tcp kerberos5 krb5 kerberos-sec # Kerberos v5\n",
    "crlf 1/tcp a b\r\n",
    "tabs\t2/udp\tx\ty\n",
    "vt\v3/tcp\fff\n",
    "zero 0/tcp\n",
    "max 65535/tcp\n",
    "over 65536/tcp\n",
    "far 70000/tcp\n",
    "neg -1/tcp\n",
    "negzero -0/tcp\n",
    "octal 010/tcp\n",
    "badoctal 08/tcp\n",
    "hexport 0x1F/tcp\n",
    "hexonly 0x/tcp\n",
    "top 4294967295/tcp\n",
    "tophex 0xffffffff/tcp\n",
    "over32 0x100000000/tcp\n",
    "plus +5/tcp\n",
    "huge 4294967296/tcp\n",
    "huger 99999999999999999999999/tcp\n",
    "negbig -65535/tcp\n",
    "hex 0x10/tcp\n",
    "junk 12x/tcp\n",
    "noproto 123\n",
    "slash 12/\n",
    "two 12//tcp\n",
    "three 12///\n",
    "slashspace 12/ /tcp\n",
    "space 12/ tcp\n",
    "spaceport 12 /tcp\n",
    "noport /tcp\n",
    "onlyname\n",
    "hash#name 5/tcp\n",
    "name 5#/tcp\n",
    "name 5/tc#p\n",
    "caf\xc3\xa9 7/tcp \xff\xfe\n",
    "UPPER 8/TCP Alias\n",
    "cr 9/tcp\rinner 10/udp\n",
    "a 1/tcp b c d e f g h i j k l m n o p q r s t u v w x y z aa bb cc dd ee ff gg hh ii jj kk ll mm nn\n",
    "nul 11/tcp x\0y z\n",
};

/* How many of `lines` our own parser reads otherwise than libc's, with
 * `rules`; the first such in *first.  */
static size_t lines_differing(const struct services_port_rules *rules, char **first)
{
    size_t bad = 0;
    *first = NULL;
    services_port_rules_set(rules);
    services_use_glibc = 0;
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        /* The NUL case is measured by hand: strlen stops at it.  */
        size_t len = strlen(lines[i]);
        if (strcmp(lines[i], "nul 11/tcp x") == 0)
            len = sizeof "nul 11/tcp x\0y z\n" - 1;
        size_t n;
        char *want = glibc_parse(lines[i], len), *got = ours(lines[i], len, &n);
        if (strcmp(want, got) != 0 && bad++ == 0 &&
            asprintf(first, "line %zu \"%s\": glibc \"%s\", ours \"%s\"", i, lines[i], want,
                     got) < 0)
            *first = NULL;
        free(want);
        free(got);
    }
    services_use_glibc = 1;
    services_port_rules_set(NULL);
    return bad;
}

/* Our own line parser (the one used where libc exports none) against
 * libc's, by the rules found in this glibc (services_port_rules_detect:
 * from its parser's reading of the probe lines).  A glibc whose rules are
 * neither of the known sets fails here: its parser reads some line
 * otherwise than both.  */
static void lines_as_glibc_parses_them(void **state)
{
    (void)state;
    struct services_port_rules r;
    assert_int_equal(services_port_rules_detect(&r), SERVICES_RULES_FROM_PARSER);
    char *first;
    size_t bad = lines_differing(&r, &first);
    if (bad)
        fail_msg("%zu lines read otherwise than glibc (base %d, %s), the first: %s", bad, r.base,
                 r.every_slash ? "every slash" : "one slash", first ? first : "?");
}

/* The lines tell the rule sets apart: with any other set than this
 * glibc's, some line is read otherwise (so the test above can fail).  */
static void lines_tell_the_rules_apart(void **state)
{
    (void)state;
    struct services_port_rules mine, other;
    services_port_rules_detect(&mine);
    for (int base = 0; base <= 10; base += 10)
        for (int every = 0; every <= 1; every++) {
            other.base = base;
            other.every_slash = every;
            if (base == mine.base && every == mine.every_slash)
                continue;
            char *first;
            size_t bad = lines_differing(&other, &first);
            free(first);
            if (!bad)
                fail_msg("base %d, %s: no line read otherwise than glibc", base,
                         every ? "every slash" : "one slash");
        }
}

/* What nss_files itself answers over the probe lines, read from a private
 * /etc/services in a child (the way the tool finds the rules where libc
 * exports no parser), agrees with what the parser makes of them.  */
static void rules_through_nss_files_match_the_parser(void **state)
{
    (void)state;
    struct services_port_rules by_parser, by_files;
    assert_int_equal(services_port_rules_detect(&by_parser), SERVICES_RULES_FROM_PARSER);
    if (services_port_rules_from_nss_files(&by_files) < 0)
        skip(); /* no mount namespace to be had here (not root, no user namespaces) */
    assert_int_equal(by_files.base, by_parser.base);
    assert_int_equal(by_files.every_slash, by_parser.every_slash);
}

/* A long line (nss_files asks for a bigger buffer and reads it again).  */
static void long_line(void **state)
{
    (void)state;
    char line[5000];
    int n = snprintf(line, sizeof line, "long 4242/tcp");
    while (n < 4900)
        n += snprintf(line + n, sizeof line - (size_t)n, " alias%d", n);
    line[n++] = '\n';
    size_t count;
    char *want = glibc_parse(line, (size_t)n), *got = ours(line, (size_t)n, &count);
    assert_string_equal(want, got);
    free(want);
    free(got);
}

/* __nss_readline's part: blank and comment lines are no lines; leading
 * blanks are removed by moving strlen() bytes without the NUL, so a line
 * without '\n' keeps some of its old tail.  */
static void readline_rules(void **state)
{
    (void)state;
    static const struct { const char *text; const char *first; size_t nlines; } cases[] = {
        {"\n\n   \n\t\n", "-", 0},
        {"# comment 1/tcp\n   # indented comment 2/tcp\n", "-", 0},
        {"   lead 3/tcp x\n", "lead 3/tcp x", 1},
        {"nonl 4/tcp", "nonl 4/tcp", 1},
        /* "  foo 1/tcp" at EOF: "foo 1/tcp" then the old "cp" and the NUL. */
        {"  foo 1/tcp", "foo 1/tcpcp", 1},
        {"     ab 1/x", "ab 1/xb 1/x", 1},
        /* Fewer bytes than blanks: the old blanks, then the line again.  */
        {"        p 2/u", "p 2/u p 2/u", 1},
        {"x 5/tcp\n  y 6/udp", "x 5/tcp", 2},
        /* A NUL ends the line for both; after leading blanks it also
         * stops the move short.  */
        {"   \0 b 2/tcp\n  d 4/tcp\0zz\n", "d 4/tcpcp", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n;
        size_t len = strlen(cases[i].text);
        if (len == 3) /* the NUL case */
            len = sizeof "   \0 b 2/tcp\n  d 4/tcp\0zz\n" - 1;
        char *got = ours(cases[i].text, len, &n);
        if (strcmp(got, cases[i].first) != 0 || n != cases[i].nlines)
            fail_msg("case %zu: expected \"%s\" (%zu lines), got \"%s\" (%zu)", i,
                     cases[i].first, cases[i].nlines, got, n);
        free(got);
    }
    /* The second line of the last case, which has no '\n' either.  */
    struct services_file sf;
    char err[256];
    assert_int_equal(services_parse("t", "x 5/tcp\n  y 6/udp", 17, &sf, NULL, err, sizeof err), 0);
    char *second = line_text(&sf.lines[1]);
    assert_string_equal(second, "y 6/udpdp");
    assert_int_equal(sf.lines[1].line, 2);
    free(second);
    services_free(&sf);
}

/* Rejected lines are counted and named FILE:LINE.  */
static void rejected_lines_warned(void **state)
{
    (void)state;
    static const char text[] = "ok 1/tcp\nbad 12x/tcp\n# c\nalone\nok2 2/udp\n";
    char *warnings;
    size_t wlen;
    FILE *w = open_memstream(&warnings, &wlen);
    struct services_file sf;
    char err[256];
    assert_int_equal(services_parse("site", text, sizeof text - 1, &sf, w, err, sizeof err), 0);
    fclose(w);
    assert_int_equal(sf.nlines, 2);
    assert_int_equal(sf.rejected, 2);
    assert_non_null(strstr(warnings, "site:2: warning: "));
    assert_non_null(strstr(warnings, "site:4: warning: "));
    assert_null(strstr(warnings, "site:3:"));
    free(warnings);
    services_free(&sf);
}

/* --- lookups over a merged database, against nss_files' rules ---------- */

static const char merged_registry[] = TU_HEADER
    "http,80,tcp,World Wide Web HTTP,,,,,[RFC9110],,,\n"
    "www,80,tcp,World Wide Web HTTP,,,,,,,,\"This is a duplicate of the \"\"http\"\" service\"\n"
    "http,80,udp,World Wide Web HTTP,,,,,,,,\n"
    "nicname,43,tcp,Who Is,,,,,,,,\n"
    "echo,7,tcp,Echo,,,,,,,,\n"
    "echo,7,udp,Echo,,,,,,,,\n"
    "x11,6000-6063,tcp,X Window System,,,,,,,,\n";

static const char merged_file[] =
    "# site file\n"
    "whois 43/tcp nicname\n"
    "echo 4/ddp\n"
    "echo 7/tcp\n"
    "Echo 70/tcp\n"
    "http 80/tcp www\n"
    "dup 80/tcp\n"
    "site 6001/tcp HTTP\n"
    "odd 70000/TCP\n"
    "empty 123\n"
    "cr 9/tcp\r\n"
    "  tail 11/udp";

/* glibc's parse of each line of merged_file (via our readline steps,
 * checked above), for the model.  */
struct model_line {
    char *name, *proto, *aliases[8];
    unsigned port;
};

static size_t model(struct model_line *m, size_t max)
{
    struct services_file sf;
    char err[256];
    assert_int_equal(services_parse("t", merged_file, sizeof merged_file - 1, &sf, NULL, err,
                                    sizeof err), 0);
    assert_true(sf.nlines <= max);
    for (size_t i = 0; i < sf.nlines; i++) {
        /* Rebuild the line text and let glibc parse it: the model's fields
         * are glibc's, not ours.  */
        char *t = line_text(&sf.lines[i]);
        size_t tl = strlen(t);
        char *nl = malloc(tl + 2);
        memcpy(nl, t, tl);
        memcpy(nl + tl, "\n", 2);
        static char data[4096];
        struct servent se;
        int e;
        assert_int_equal(_nss_files_parse_servent(nl, &se, data, sizeof data, &e), 1);
        m[i].name = strdup(se.s_name);
        m[i].proto = strdup(se.s_proto);
        m[i].port = ntohs((uint16_t)se.s_port);
        size_t a = 0;
        for (; se.s_aliases[a] && a < 7; a++)
            m[i].aliases[a] = strdup(se.s_aliases[a]);
        m[i].aliases[a] = NULL;
        free(nl);
        free(t);
    }
    size_t n = sf.nlines;
    services_free(&sf);
    return n;
}

static bool model_has(const struct model_line *l, const char *name)
{
    if (strcmp(l->name, name) == 0)
        return true;
    for (size_t a = 0; l->aliases[a]; a++)
        if (strcmp(l->aliases[a], name) == 0)
            return true;
    return false;
}

static void merged_lookups_follow_nss_files(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bytes = tu_build_merged(merged_registry, merged_file, &len);
    struct iana_db db;
    tu_view(bytes, len, &db);
    const char *why;
    assert_int_equal(iana_db_verify(&db, &why), 0);
    struct model_line m[32];
    size_t n = model(m, 32);
    assert_int_equal(db.file_count, n);

    static const char *const names[] = {"whois", "nicname", "echo", "Echo", "ECHO", "http",
                                        "HTTP", "www", "dup", "site", "odd", "empty", "cr",
                                        "tail", "x11", "nosuch", "WhoIs"};
    static const char *const protos[] = {NULL, "tcp", "udp", "ddp", "TCP", "", "sctp",
                                         "udplite", "udpdp"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        for (size_t p = 0; p < sizeof protos / sizeof protos[0]; p++) {
            int64_t want = -1;
            for (size_t k = 0; k < n && want < 0; k++)
                if ((!protos[p] || strcmp(m[k].proto, protos[p]) == 0) &&
                    model_has(&m[k], names[i]))
                    want = (int64_t)k;
            int code = iana_proto_code(protos[p]);
            if (want < 0 && code >= 0) {
                int64_t e = iana_db_by_name(&db, names[i], code);
                want = e < 0 ? -1 : e + (int64_t)n;
            }
            int64_t got = iana_db_service_by_name(&db, names[i], protos[p]);
            if (got != want)
                fail_msg("%s/%s: expected answer %lld, got %lld", names[i],
                         protos[p] ? protos[p] : "(null)", (long long)want, (long long)got);
        }
    static const unsigned ports[] = {4, 7, 9, 11, 43, 70, 80, 123, 4464, 6001, 6002, 1};
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++)
        for (size_t p = 0; p < sizeof protos / sizeof protos[0]; p++)
            for (int wide = 0; wide < 2; wide++) {
                int64_t want = -1;
                for (size_t k = 0; k < n && want < 0 && !wide; k++)
                    if (m[k].port == ports[i] && (!protos[p] || strcmp(m[k].proto, protos[p]) == 0))
                        want = (int64_t)k;
                int code = iana_proto_code(protos[p]);
                if (want < 0 && code >= 0) {
                    int64_t e = iana_db_by_port(&db, (uint16_t)ports[i], code);
                    want = e < 0 ? -1 : e + (int64_t)n;
                }
                int64_t got = iana_db_service_by_port(&db, (uint16_t)ports[i], wide, protos[p]);
                if (got != want)
                    fail_msg("port %u/%s%s: expected %lld, got %lld", ports[i],
                             protos[p] ? protos[p] : "(null)", wide ? " (wide)" : "",
                             (long long)want, (long long)got);
            }
    /* Enumeration: the file's lines as glibc parsed them, then the
     * registry's entries, ranges once per port.  */
    struct iana_cursor c = {0};
    uint32_t answer;
    uint16_t port;
    size_t seen = 0;
    for (; iana_db_cursor_get(&db, &c, &answer, &port); iana_db_cursor_next(&db, &c), seen++) {
        struct iana_view v;
        assert_int_equal(iana_db_answer(&db, answer, &v), 0);
        if (seen < n) {
            assert_int_equal(answer, seen);
            assert_string_equal(v.names, m[seen].name);
            assert_string_equal(v.proto_name, m[seen].proto);
            assert_int_equal(port, m[seen].port);
        } else {
            assert_true(answer >= n);
        }
    }
    assert_int_equal(seen, n + db.enum_count);
    for (size_t i = 0; i < n; i++) {
        free(m[i].name);
        free(m[i].proto);
        for (size_t a = 0; m[i].aliases[a]; a++)
            free(m[i].aliases[a]);
    }
    free(bytes);
}

/* A registry-only database has no file layer and answers as before.  */
static void registry_only_has_no_file_layer(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bytes = tu_build(merged_registry, &len);
    struct iana_db db;
    tu_view(bytes, len, &db);
    assert_int_equal(db.file_count, 0);
    assert_int_equal(db.services.state, IANA_FILE_NONE);
    assert_int_equal(iana_db_services_state(&db, "/nonexistent", NULL), IANA_SERVICES_CURRENT);
    assert_int_equal(iana_db_service_by_name(&db, "www", "tcp"), iana_db_by_name(&db, "www", IANA_TCP));
    assert_int_equal(iana_db_service_by_name(&db, "echo", "ddp"), -1);
    free(bytes);
}

/* --- the merged file's identity ----------------------------------------- */

static uint8_t *build_from_file(const char *path, size_t *len)
{
    struct registry reg;
    struct entry_set set;
    struct services_file sf;
    char err[256];
    uint8_t *bytes;
    assert_int_equal(registry_parse("t.csv", merged_registry, strlen(merged_registry), &reg, err,
                                    sizeof err), 0);
    assert_int_equal(registry_entries(&reg, &set, NULL), 0);
    if (services_read(path, &sf, NULL, err, sizeof err) != 0)
        fail_msg("services_read: %s", err);
    const struct db_sources src = {
        .set = &set, .source_sha256 = reg.sha256, .services = &sf, .services_path = path};
    assert_int_equal(db_build(&src, &bytes, len, err, sizeof err), 0);
    services_free(&sf);
    entry_set_free(&set);
    registry_free(&reg);
    return bytes;
}

static void put(const char *path, const char *text)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rename(tmp, path), 0);
}

/* File times move in ticks of the kernel's coarse clock: a change made
 * in the same tick as the one before could have the same ctime.  */
static void sleep_past_ctime_tick(void)
{
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

static void identity_tells_a_changed_file(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s/services", tu_tmpdir());
    put(path, merged_file);
    size_t len;
    uint8_t *bytes = build_from_file(path, &len);
    struct iana_db db;
    tu_view(bytes, len, &db);
    struct iana_file_seen known = {0};
    assert_int_equal(db.services.state, IANA_FILE_PRESENT);
    /* A view is no file, and has no mtime: the very file's bytes are read
     * to know it, once.  */
    assert_int_equal(iana_db_services_state(&db, path, &known), IANA_SERVICES_CURRENT);
    assert_int_equal(known.id.state, IANA_FILE_PRESENT);
    /* A database written after the file last changed (iana_db_open sets
     * its mtime): the very file, without a read.  */
    memset(&known, 0, sizeof known);
    clock_gettime(CLOCK_REALTIME, &db.mtime);
    db.mtime.tv_sec++;
    assert_int_equal(iana_db_services_state(&db, path, &known), IANA_SERVICES_CURRENT);
    assert_int_equal(known.id.state, IANA_FILE_NONE); /* not needed: the very file */

    /* Other bytes of the same size, written in place with the mtime put
     * back: the ctime moved, and the bytes tell.  */
    {
        struct stat before;
        assert_int_equal(stat(path, &before), 0);
        sleep_past_ctime_tick();
        FILE *f = fopen(path, "r+");
        assert_non_null(f);
        assert_int_equal(fseek(f, -1, SEEK_END), 0);
        int last = merged_file[strlen(merged_file) - 1];
        assert_int_equal(fputc(last == 'x' ? 'y' : 'x', f), last == 'x' ? 'y' : 'x');
        assert_int_equal(fclose(f), 0);
        struct timespec back[2] = {before.st_atim, before.st_mtim};
        assert_int_equal(utimensat(AT_FDCWD, path, back, 0), 0);
        struct stat after;
        assert_int_equal(stat(path, &after), 0);
        assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
        assert_int_equal(after.st_ino, before.st_ino);
        db.mtime = before.st_ctim; /* written after the merged file, before the edit */
        db.mtime.tv_nsec++;
        assert_int_equal(iana_db_services_state(&db, path, NULL), IANA_SERVICES_CHANGED);
        put(path, merged_file);
    }

    /* The same bytes in a new file (a copy, an overlay, a rename of a
     * rewrite): current, found by the hash, and remembered.  */
    put(path, merged_file);
    assert_int_equal(iana_db_services_state(&db, path, &known), IANA_SERVICES_CURRENT);
    assert_int_equal(known.id.state, IANA_FILE_PRESENT);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(known.id.ino, (uint64_t)sb.st_ino);
    /* A touch: the same bytes, another time.  */
    struct timespec times[2] = {{0, UTIME_OMIT}, {12345, 6789}};
    assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
    assert_int_equal(iana_db_services_state(&db, path, &known), IANA_SERVICES_CURRENT);

    /* Other bytes of the same size; more bytes; none (nss_files then has
     * nothing to say: the registry alone answers); not a file.  */
    char *other = strdup(merged_file);
    other[strlen(other) - 1] = 'x';
    put(path, other);
    assert_int_equal(iana_db_services_state(&db, path, &known), IANA_SERVICES_CHANGED);
    free(other);
    put(path, "whois 43/tcp nicname\nnew 1/tcp\n");
    assert_int_equal(iana_db_services_state(&db, path, &known), IANA_SERVICES_CHANGED);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(iana_db_services_state(&db, path, &known), IANA_SERVICES_GONE);
    assert_int_equal(mkfifo(path, 0600), 0);
    int saved = errno = 4242;
    assert_int_equal(iana_db_services_state(&db, path, &known), IANA_SERVICES_CHANGED); /* and did not block */
    assert_int_equal(errno, saved);
    assert_int_equal(unlink(path), 0);
    free(bytes);

    /* Merged while absent: current while it stays absent.  */
    bytes = build_from_file(path, &len);
    tu_view(bytes, len, &db);
    assert_int_equal(db.services.state, IANA_FILE_ABSENT);
    assert_int_equal(db.file_count, 0);
    assert_int_equal(iana_db_services_state(&db, path, NULL), IANA_SERVICES_CURRENT);
    put(path, "new 1/tcp\n");
    assert_int_equal(iana_db_services_state(&db, path, NULL), IANA_SERVICES_CHANGED);
    assert_int_equal(unlink(path), 0);
    free(bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lines_as_glibc_parses_them),
        cmocka_unit_test(lines_tell_the_rules_apart),
        cmocka_unit_test(rules_through_nss_files_match_the_parser),
        cmocka_unit_test(long_line),
        cmocka_unit_test(readline_rules),
        cmocka_unit_test(rejected_lines_warned),
        cmocka_unit_test(merged_lookups_follow_nss_files),
        cmocka_unit_test(registry_only_has_no_file_layer),
        cmocka_unit_test(identity_tells_a_changed_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

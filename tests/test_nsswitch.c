/* cli/nsswitch.c: iana on the services line, as strings and as files; and
 * parser/local.c: a site's services(5) file merged into the registry.  */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include <cmocka.h>

#include "../cli/nsswitch.h"
#include "../db/writer.h"
#include "testutil.h"

/* --- the edit on strings ------------------------------------------------- */

/* The text enable makes of `in` (or `in` itself if unchanged), checked to
 * be a fixed point: enabling again changes nothing.  */
static char *enabled(const char *in, enum nsswitch_change *change, unsigned *line)
{
    struct nsswitch_edit e, again;
    assert_int_equal(nsswitch_enable(in, &e), 0);
    char *out = strdup(e.text ? e.text : in);
    assert_non_null(out);
    assert_true((e.text != NULL) == (e.change != NSSWITCH_UNCHANGED));
    *change = e.change;
    *line = e.line;
    nsswitch_edit_free(&e);
    assert_int_equal(nsswitch_enable(out, &again), 0);
    if (again.change != NSSWITCH_UNCHANGED)
        fail_msg("enable twice changed \"%s\" to \"%s\"", out, again.text);
    assert_null(again.text);
    return out;
}

static char *disabled(const char *in, enum nsswitch_change *change, unsigned *line)
{
    struct nsswitch_edit e, again;
    assert_int_equal(nsswitch_disable(in, &e), 0);
    char *out = strdup(e.text ? e.text : in);
    assert_non_null(out);
    assert_true((e.text != NULL) == (e.change != NSSWITCH_UNCHANGED));
    *change = e.change;
    *line = e.line;
    nsswitch_edit_free(&e);
    assert_int_equal(nsswitch_disable(out, &again), 0);
    if (again.change != NSSWITCH_UNCHANGED)
        fail_msg("disable twice changed \"%s\" to \"%s\"", out, again.text);
    return out;
}

static void expect_text(const char *what, const char *in, const char *want, const char *got)
{
    if (strcmp(want, got) != 0)
        fail_msg("%s of \"%s\":\n  want \"%s\"\n  got  \"%s\"", what, in, want, got);
}

/* enable gives `want`, and disable of that gives the original back.  */
struct roundtrip {
    const char *in, *want;
    unsigned line;
};

static const struct roundtrip roundtrips[] = {
    /* after files */
    {"services:       files\n", "services:       files iana\n", 1},
    {"services:       db files\n", "services:       db files iana\n", 1},
    {"services: files db\n", "services: files iana db\n", 1},
    {"services: db files nis\n", "services: db files iana nis\n", 1},
    {"services: files db files\n", "services: files iana db files\n", 1},
    /* [STATUS=action] blocks stay with the source they follow */
    {"services: files [NOTFOUND=return] db\n", "services: files [NOTFOUND=return] iana db\n", 1},
    {"services: files [ NOTFOUND = return  !UNAVAIL=continue ] db\n",
     "services: files [ NOTFOUND = return  !UNAVAIL=continue ] iana db\n", 1},
    {"services: files[NOTFOUND=return] db\n", "services: files[NOTFOUND=return] iana db\n", 1},
    {"services: files [NOTFOUND=return] [SUCCESS=return] db\n",
     "services: files [NOTFOUND=return] [SUCCESS=return] iana db\n", 1},
    {"services: db [UNAVAIL=return] files\n", "services: db [UNAVAIL=return] files iana\n", 1},
    /* no files: at the end */
    {"services: db\n", "services: db iana\n", 1},
    {"services: db [UNAVAIL=return]\n", "services: db [UNAVAIL=return] iana\n", 1},
    {"services: sss\tdb\n", "services: sss\tdb iana\n", 1},
    /* tabs and other blanks kept as they are */
    {"services:\tfiles\tdb\n", "services:\tfiles iana\tdb\n", 1},
    {"\t services :\t files  \n", "\t services :\t files iana  \n", 1},
    {"services:files\n", "services:files iana\n", 1},
    /* comments */
    {"services: files # local names first\n", "services: files iana # local names first\n", 1},
    {"services: db #files\n", "services: db iana #files\n", 1},
    {"#services: nis\nservices: files\n# services: db\n",
     "#services: nis\nservices: files iana\n# services: db\n", 2},
    /* no colon: glibc takes the line all the same */
    {"services files\n", "services files iana\n", 1},
    /* no final newline */
    {"services: files", "services: files iana", 1},
    {"passwd: files\nservices: db files", "passwd: files\nservices: db files iana", 2},
    /* CRLF */
    {"services: files\r\nhosts: files\r\n", "services: files iana\r\nhosts: files\r\n", 1},
    /* glibc reads the last services line */
    {"services: files\nservices: db\n", "services: files\nservices: db iana\n", 2},
    /* other spellings are other sources */
    {"services: files IANA\n", "services: files iana IANA\n", 1},
    {"services: ianax iana2 files\n", "services: ianax iana2 files iana\n", 1},
    /* a block glued to what follows it */
    {"services: db [NOTFOUND=return]nis\n", "services: db [NOTFOUND=return]nis iana\n", 1},
};

static void enable_then_disable_restores(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof roundtrips / sizeof roundtrips[0]; i++) {
        const struct roundtrip *r = &roundtrips[i];
        enum nsswitch_change c;
        unsigned line;
        char *on = enabled(r->in, &c, &line);
        expect_text("enable", r->in, r->want, on);
        assert_int_equal(c, NSSWITCH_ADDED);
        assert_int_equal(line, r->line);
        char *off = disabled(on, &c, &line);
        expect_text("disable", on, r->in, off);
        assert_int_equal(c, NSSWITCH_REMOVED);
        free(on);
        free(off);
    }
}

/* The real files Debian ships and the project's example keep every other
 * line byte for byte.  */
static void whole_files(void **state)
{
    (void)state;
    static const char debian[] =
        "# /etc/nsswitch.conf\n"
        "#\n"
        "# Example configuration of GNU Name Service Switch functionality.\n"
        "\n"
        "passwd:         files systemd\n"
        "group:          files systemd\n"
        "hosts:          files mdns4_minimal [NOTFOUND=return] dns myhostname\n"
        "networks:       files\n"
        "\n"
        "protocols:      db files\n"
        "services:       db files\n"
        "ethers:         db files\n"
        "rpc:            db files\n"
        "\n"
        "netgroup:       nis\n";
    enum nsswitch_change c;
    unsigned line;
    char *on = enabled(debian, &c, &line);
    char *want = strdup(debian);
    char *at = strstr(want, "services:       db files\n") + strlen("services:       db files");
    char *expect;
    assert_true(asprintf(&expect, "%.*s iana%s", (int)(at - want), want, at) > 0);
    expect_text("enable", debian, expect, on);
    assert_int_equal(line, 11);
    char *off = disabled(on, &c, &line);
    expect_text("disable", on, debian, off);
    free(on);
    free(off);
    free(want);
    free(expect);
}

static void already_there(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        unsigned line;
    } cases[] = {
        {"services: files iana\n", 1},
        {"services: iana files\n", 1},
        {"services: iana\n", 1},
        {"services:\tdb\tiana\t[NOTFOUND=return]\tfiles # x\n", 1},
        {"hosts: files\nservices: nis iana", 2},
        {"services: files\nservices: files iana\n", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum nsswitch_change c;
        unsigned line;
        char *out = enabled(cases[i].in, &c, &line);
        expect_text("enable", cases[i].in, cases[i].in, out);
        assert_int_equal(c, NSSWITCH_UNCHANGED);
        assert_int_equal(line, cases[i].line);
        free(out);
    }
}

static void no_services_line(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
        unsigned line;
    } cases[] = {
        {"", "services: files iana\n", 1},
        {"passwd: files\n", "passwd: files\nservices: files iana\n", 2},
        {"passwd: files", "passwd: files\nservices: files iana\n", 2},
        {"# services: files\n", "# services: files\nservices: files iana\n", 2},
        {"#services: files\n\n", "#services: files\n\nservices: files iana\n", 3},
        {"servicesx: files\nmyservices: files\n",
         "servicesx: files\nmyservices: files\nservices: files iana\n", 3},
        /* a bare name at the very end: glibc skips it */
        {"hosts: files\nservices", "hosts: files\nservices\nservices: files iana\n", 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum nsswitch_change c;
        unsigned line;
        char *out = enabled(cases[i].in, &c, &line);
        expect_text("enable", cases[i].in, cases[i].want, out);
        assert_int_equal(c, NSSWITCH_LINE_ADDED);
        assert_int_equal(line, cases[i].line);
        char *shown = nsswitch_line(out, line);
        assert_string_equal(shown, "services: files iana");
        free(shown);
        /* disable leaves a line equivalent to none: files is the default */
        char *off = disabled(out, &c, &line);
        assert_int_equal(c, NSSWITCH_REMOVED);
        assert_non_null(strstr(off, "services: files\n"));
        free(out);
        free(off);
    }
}

static void empty_list(void **state)
{
    (void)state;
    enum nsswitch_change c;
    unsigned line;
    /* "services:" with nothing is a list of no sources: iana is the one.  */
    char *on = enabled("services:\n", &c, &line);
    expect_text("enable", "services:\n", "services: iana\n", on);
    assert_int_equal(c, NSSWITCH_ADDED);
    /* and a list left empty by disable gets files, glibc's default, since
     * an empty list would answer nothing at all */
    char *off = disabled(on, &c, &line);
    expect_text("disable", on, "services: files\n", off);
    assert_int_equal(c, NSSWITCH_REMOVED_FILES);
    free(on);
    free(off);
    on = enabled("services: # none yet\n", &c, &line);
    expect_text("enable", "services: # none yet\n", "services: iana # none yet\n", on);
    free(on);
    on = enabled("services\n", &c, &line);
    expect_text("enable", "services\n", "services iana\n", on);
    free(on);
}

/* A block glued to the next source: iana goes between them with a blank
 * on each side.  The only edit disable cannot undo byte for byte, since
 * "[x]nis" and "[x] nis" both become "[x] iana nis".  */
static void glued_block(void **state)
{
    (void)state;
    static const char in[] = "services: files [NOTFOUND=return]nis\n";
    enum nsswitch_change c;
    unsigned line;
    char *on = enabled(in, &c, &line);
    expect_text("enable", in, "services: files [NOTFOUND=return] iana nis\n", on);
    char *off = disabled(on, &c, &line);
    expect_text("disable", on, "services: files [NOTFOUND=return] nis\n", off);
    free(on);
    free(off);
}

/* Only the last services line counts for glibc: iana on an earlier one
 * does not make enable a no-op, and disable takes it off every line.  */
static void earlier_lines_do_not_count(void **state)
{
    (void)state;
    static const char in[] = "services: files iana\nservices: db\n";
    enum nsswitch_change c;
    unsigned line;
    char *on = enabled(in, &c, &line);
    expect_text("enable", in, "services: files iana\nservices: db iana\n", on);
    assert_int_equal(line, 2);
    char *off = disabled(on, &c, &line);
    expect_text("disable", on, "services: files\nservices: db\n", off);
    assert_int_equal(line, 2);
    free(on);
    free(off);
}

static void disable_cases(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
        enum nsswitch_change change;
        unsigned line;
    } cases[] = {
        {"services: iana files\n", "services: files\n", NSSWITCH_REMOVED, 1},
        {"services:\tiana\tfiles\n", "services:\tfiles\n", NSSWITCH_REMOVED, 1},
        {"services: files iana [NOTFOUND=return] db\n", "services: files db\n",
         NSSWITCH_REMOVED, 1},
        {"services: iana [SUCCESS=return] [UNAVAIL=continue] files\n", "services: files\n",
         NSSWITCH_REMOVED, 1},
        {"services: files [NOTFOUND=return] iana\n", "services: files [NOTFOUND=return]\n",
         NSSWITCH_REMOVED, 1},
        {"services: iana iana files iana\n", "services: files\n", NSSWITCH_REMOVED, 1},
        {"services: files iana # comment\n", "services: files # comment\n", NSSWITCH_REMOVED, 1},
        {"services: iana # comment\n", "services: files # comment\n", NSSWITCH_REMOVED_FILES, 1},
        {"services: iana [NOTFOUND=return]\n", "services: files\n", NSSWITCH_REMOVED_FILES, 1},
        {"services:iana\n", "services: files\n", NSSWITCH_REMOVED_FILES, 1},
        /* every services line, not only the last */
        {"services: iana files\nhosts: files\nservices: db iana\n",
         "services: files\nhosts: files\nservices: db\n", NSSWITCH_REMOVED, 3},
        {"services: files iana\nservices: db\n", "services: files\nservices: db\n",
         NSSWITCH_REMOVED, 1},
        /* nothing to do */
        {"services: files IANA ianax\n", "services: files IANA ianax\n", NSSWITCH_UNCHANGED, 0},
        {"# services: iana\nhosts: iana\n", "# services: iana\nhosts: iana\n",
         NSSWITCH_UNCHANGED, 0},
        {"", "", NSSWITCH_UNCHANGED, 0},
        {"services: files iana", "services: files", NSSWITCH_REMOVED, 1},
        {"services: files iana\r\n", "services: files\r\n", NSSWITCH_REMOVED, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum nsswitch_change c;
        unsigned line;
        char *out = disabled(cases[i].in, &c, &line);
        expect_text("disable", cases[i].in, cases[i].want, out);
        assert_int_equal(c, cases[i].change);
        assert_int_equal(line, cases[i].line);
        free(out);
    }
}

static void line_text(void **state)
{
    (void)state;
    char *l = nsswitch_line("a\nbb\r\nccc", 2);
    assert_string_equal(l, "bb\r");
    free(l);
    l = nsswitch_line("a\nbb\nccc", 3);
    assert_string_equal(l, "ccc");
    free(l);
    assert_null(nsswitch_line("a\n", 2));
    assert_null(nsswitch_line("", 1));
}

/* --- the file ------------------------------------------------------------ */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = calloc(1, 1 << 16);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* What nsswitch_update says, and its result.  */
static int update(const char *path, int enable, char **said, char *err)
{
    size_t len;
    FILE *out = open_memstream(said, &len);
    assert_non_null(out);
    err[0] = '\0';
    int rc = nsswitch_update(path, enable, out, err, 512);
    fclose(out);
    return rc;
}

static size_t entries_in(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void file_round_trip(void **state)
{
    (void)state;
    static const char conf[] = "# mine\nservices:\tfiles [NOTFOUND=return] db  # keep\n";
    char *dir, *path, *said, err[512];
    assert_true(asprintf(&dir, "%s/etc", tu_tmpdir()) > 0);
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_true(asprintf(&path, "%s/nsswitch.conf", dir) > 0);
    FILE *f = fopen(path, "w");
    fputs(conf, f);
    fclose(f);
    assert_int_equal(chmod(path, 0640), 0);
    struct stat before, after;
    assert_int_equal(stat(path, &before), 0);

    assert_int_equal(update(path, 1, &said, err), 0);
    char *text = slurp(path);
    assert_string_equal(text, "# mine\nservices:\tfiles [NOTFOUND=return] iana db  # keep\n");
    char *want;
    assert_true(asprintf(&want, "%s: iana added to the services line (line 2): "
                         "services:\tfiles [NOTFOUND=return] iana db  # keep\n", path) > 0);
    assert_string_equal(said, want);
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(after.st_mode & 07777, 0640);
    assert_int_not_equal(after.st_ino, before.st_ino); /* replaced, not rewritten */
    assert_int_equal(entries_in(dir), 1);              /* no temporary file left */
    free(said);
    free(text);
    free(want);

    /* again: nothing to do, the file not even rewritten */
    assert_int_equal(stat(path, &before), 0);
    assert_int_equal(update(path, 1, &said, err), 0);
    assert_true(asprintf(&want, "%s: iana is already on the services line (line 2); "
                         "nothing to do\n", path) > 0);
    assert_string_equal(said, want);
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(after.st_ino, before.st_ino);
    free(said);
    free(want);

    assert_int_equal(update(path, 0, &said, err), 0);
    text = slurp(path);
    assert_string_equal(text, conf);
    free(said);
    free(text);
    assert_int_equal(update(path, 0, &said, err), 0);
    assert_true(asprintf(&want, "%s: iana is on no services line; nothing to do\n", path) > 0);
    assert_string_equal(said, want);
    assert_int_equal(entries_in(dir), 1);
    free(said);
    free(want);
    free(path);
    free(dir);
}

/* A symbolic link is followed: the file it points at is edited, the link
 * stays a link.  */
static void follows_symlink(void **state)
{
    (void)state;
    char *target, *link, *said, err[512];
    assert_true(asprintf(&target, "%s/real.conf", tu_tmpdir()) > 0);
    assert_true(asprintf(&link, "%s/link.conf", tu_tmpdir()) > 0);
    FILE *f = fopen(target, "w");
    fputs("services: files", f);
    fclose(f);
    assert_int_equal(symlink("real.conf", link), 0);
    assert_int_equal(update(link, 1, &said, err), 0);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    char *text = slurp(target);
    assert_string_equal(text, "services: files iana");
    free(text);
    free(said);
    free(target);
    free(link);
}

static void file_errors(void **state)
{
    (void)state;
    char *path, *said, err[512], *want;
    assert_true(asprintf(&path, "%s/missing.conf", tu_tmpdir()) > 0);
    assert_int_equal(update(path, 1, &said, err), -1);
    assert_true(asprintf(&want, "%s: No such file or directory", path) > 0);
    assert_string_equal(err, want);
    assert_string_equal(said, "");
    free(said);
    free(want);
    free(path);

    assert_int_equal(update(tu_tmpdir(), 1, &said, err), -1);
    assert_true(asprintf(&want, "%s: not a regular file", tu_tmpdir()) > 0);
    assert_string_equal(err, want);
    free(said);
    free(want);

    path = tu_write("nul.conf", "services: files\0iana\n", 21);
    assert_int_equal(update(path, 1, &said, err), -1);
    assert_true(asprintf(&want, "%s: NUL byte: not an nsswitch.conf", path) > 0);
    assert_string_equal(err, want);
    free(said);
    free(want);
    free(path);
}

/* A directory we may not write to: the error names it, the file stays.  */
static void unwritable_directory(void **state)
{
    (void)state;
    if (geteuid() == 0)
        skip(); /* root writes anywhere */
    char *dir, *path, *said, err[512];
    assert_true(asprintf(&dir, "%s/ro", tu_tmpdir()) > 0);
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_true(asprintf(&path, "%s/nsswitch.conf", dir) > 0);
    FILE *f = fopen(path, "w");
    fputs("services: files\n", f);
    fclose(f);
    assert_int_equal(chmod(dir, 0555), 0);
    assert_int_equal(update(path, 1, &said, err), -1);
    assert_non_null(strstr(err, "cannot write a temporary file"));
    char *text = slurp(path);
    assert_string_equal(text, "services: files\n");
    assert_int_equal(chmod(dir, 0755), 0);
    free(text);
    free(said);
    free(path);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(enable_then_disable_restores),
        cmocka_unit_test(whole_files),
        cmocka_unit_test(already_there),
        cmocka_unit_test(no_services_line),
        cmocka_unit_test(empty_list),
        cmocka_unit_test(glued_block),
        cmocka_unit_test(earlier_lines_do_not_count),
        cmocka_unit_test(disable_cases),
        cmocka_unit_test(line_text),
        cmocka_unit_test(file_round_trip),
        cmocka_unit_test(follows_symlink),
        cmocka_unit_test(file_errors),
        cmocka_unit_test(unwritable_directory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* cli/nsswitch.c: iana on the services line, as strings and as files.  */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <dirent.h>

#include <cmocka.h>

#include "../cli/nsswitch.h"
#include "../db/writer.h"
#include "testutil.h"

/* --- the edit on strings ------------------------------------------------- */

#define ENTRY "iana [!UNAVAIL=return]"
#define APPENDED "services: " ENTRY "\tfiles"
#define P_APPENDED "protocols: " ENTRY "\tfiles"

/* The text enable (or disable) makes of `in` (or `in` itself if
 * unchanged), checked to be a fixed point: doing it again changes nothing.  */
static char *edited(int enable, const char *in, enum nsswitch_change *change, unsigned *line)
{
    const char *what = enable ? "enable" : "disable";
    int (*edit)(const char *, struct nsswitch_edit *) = enable ? nsswitch_enable : nsswitch_disable;
    struct nsswitch_edit e, again;
    assert_int_equal(edit(in, &e), 0);
    char *out = strdup(e.text ? e.text : in);
    assert_non_null(out);
    assert_true((e.text != NULL) == (e.change != NSSWITCH_UNCHANGED));
    *change = e.change;
    *line = e.line;
    nsswitch_edit_free(&e);
    assert_int_equal(edit(out, &again), 0);
    if (again.change != NSSWITCH_UNCHANGED)
        fail_msg("%s twice changed \"%s\" to \"%s\"", what, out, again.text);
    assert_null(again.text);
    return out;
}

static void expect_text(const char *what, const char *in, const char *want, const char *got)
{
    if (strcmp(want, got) != 0)
        fail_msg("%s of \"%s\":\n  want \"%s\"\n  got  \"%s\"", what, in, want, got);
}

/* A change or a line an edit case does not check.  */
enum { ANY = -1 };

static void expect_change(const char *what, const char *in, int want, int want_line,
                          enum nsswitch_change got, unsigned line)
{
    if (want != ANY && want != (int)got)
        fail_msg("%s of \"%s\": change %d, not %d", what, in, (int)got, want);
    if (want_line != ANY)
        assert_int_equal(line, want_line);
}

/* One case of the edit on strings: enable of `in` gives `on` (its change
 * and line), then disable of that gives `off`.  `on` NULL: only disable,
 * of `in`; `off` NULL: only enable.  `shown`: the line at on_line, as
 * nsswitch_line gives it without a CR.  `again`: enable of `off` gives
 * `on` once more, as ADDED.  */
struct edit {
    const char *in, *on, *off, *shown;
    int on_change, on_line, off_change, off_line;
    int again;
};

static void check_edit(const struct edit *k)
{
    enum nsswitch_change c;
    unsigned line;
    char *on = NULL;
    const char *from = k->in;
    if (k->on) {
        on = edited(1, k->in, &c, &line);
        expect_text("enable", k->in, k->on, on);
        expect_change("enable", k->in, k->on_change, k->on_line, c, line);
        if (k->shown) {
            char *shown = nsswitch_line(on, line);
            size_t n = strlen(shown);
            if (n && shown[n - 1] == '\r')
                shown[n - 1] = '\0';
            assert_string_equal(shown, k->shown);
            free(shown);
        }
        from = on;
    }
    if (k->off) {
        char *off = edited(0, from, &c, &line);
        expect_text("disable", from, k->off, off);
        expect_change("disable", from, k->off_change, k->off_line, c, line);
        if (k->again) {
            char *again = edited(1, off, &c, &line);
            expect_text("enable after disable", off, k->on, again);
            expect_change("enable after disable", off, NSSWITCH_ADDED, ANY, c, line);
            free(again);
        }
        free(off);
    }
    free(on);
}

/* enable gives `want`, and disable of that gives the original back.  */
struct roundtrip {
    const char *in, *want;
    unsigned line;
};

static const struct roundtrip roundtrips[] = {
    /* first, whatever the sources are */
    {"services:       files\n", "services:       " ENTRY " files\n", 1},
    {"services:       db files\n", "services:       " ENTRY " db files\n", 1},
    {"services: files db\n", "services: " ENTRY " files db\n", 1},
    {"services: db files nis\n", "services: " ENTRY " db files nis\n", 1},
    {"services: files db files\n", "services: " ENTRY " files db files\n", 1},
    /* [STATUS=action] blocks stay with the source they follow */
    {"services: files [NOTFOUND=return] db\n", "services: " ENTRY " files [NOTFOUND=return] db\n",
     1},
    {"services: files [ NOTFOUND = return  !UNAVAIL=continue ] db\n",
     "services: " ENTRY " files [ NOTFOUND = return  !UNAVAIL=continue ] db\n", 1},
    {"services: files[NOTFOUND=return] db\n", "services: " ENTRY " files[NOTFOUND=return] db\n",
     1},
    {"services: db [UNAVAIL=return] files\n", "services: " ENTRY " db [UNAVAIL=return] files\n",
     1},
    {"services: files [NOTFOUND=return]nis\n", "services: " ENTRY " files [NOTFOUND=return]nis\n",
     1},
    /* tabs and other blanks kept as they are */
    {"services: sss\tdb\n", "services: " ENTRY " sss\tdb\n", 1},
    {"services:\tfiles\tdb\n", "services:\t" ENTRY " files\tdb\n", 1},
    {"\t services :\t files  \n", "\t services :\t " ENTRY " files  \n", 1},
    {"services:files\n", "services:" ENTRY " files\n", 1},
    {"services:: files\n", "services:: " ENTRY " files\n", 1},
    /* comments */
    {"services: files # local names first\n",
     "services: " ENTRY " files # local names first\n", 1},
    {"services: db #files\n", "services: " ENTRY " db #files\n", 1},
    {"#services: nis\nservices: files\n# services: db\n",
     "#services: nis\nservices: " ENTRY " files\n# services: db\n", 2},
    /* no colon: glibc takes the line all the same */
    {"services files\n", "services " ENTRY " files\n", 1},
    /* no final newline after the services line: the line is read */
    {"services: files\nhosts: files", "services: " ENTRY " files\nhosts: files", 1},
    /* CRLF */
    {"services: files\r\nhosts: files\r\n", "services: " ENTRY " files\r\nhosts: files\r\n", 1},
    {"services: files \r\n", "services: " ENTRY " files \r\n", 1},
    /* glibc reads the last services line */
    {"services: files\nservices: db\n", "services: files\nservices: " ENTRY " db\n", 2},
    /* other spellings are other sources */
    {"services: files IANA\n", "services: " ENTRY " files IANA\n", 1},
    {"services: ianax iana2 files\n", "services: " ENTRY " ianax iana2 files\n", 1},
};

static void enable_then_disable_restores(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof roundtrips / sizeof roundtrips[0]; i++) {
        const struct roundtrip *r = &roundtrips[i];
        check_edit(&(struct edit){.in = r->in, .on = r->want, .on_change = NSSWITCH_ADDED,
                                  .on_line = (int)r->line, .off = r->in,
                                  .off_change = NSSWITCH_REMOVED, .off_line = (int)r->line});
    }
}

/* Services lines put together from parts, in files put together from
 * parts: enable puts ENTRY and one blank where the first source starts
 * (computed here from the parts, not by the code under test), and disable
 * takes exactly that off again.  */
static void enable_then_disable_restores_combinations(void **state)
{
    (void)state;
    static const char *const before[] = {"", "passwd: files\n", "# services: nis\n",
                                         "services: nis\n"};
    static const char *const names[] = {"services:", "services :", "\t services:", "services"};
    static const char *const blanks[] = {" ", "\t", "       ", ": ", "\t:\t"};
    static const char *const lists[] = {
        "files", "db files", "files [NOTFOUND=return] db", "db [UNAVAIL=return] files nis",
        "files[SUCCESS=return]", "sss\tfiles  ", "IANA files", "files ianax",
    };
    static const char *const comments[] = {"", " # c", "\t#x iana"};
    static const char *const ends[] = {"\n", "\r\n"};
    static const char *const after[] = {"", "hosts: dns\n", "netgroup: nis"};
    size_t cases = 0;
    for (size_t b = 0; b < sizeof before / sizeof *before; b++)
    for (size_t n = 0; n < sizeof names / sizeof *names; n++)
    for (size_t s = 0; s < sizeof blanks / sizeof *blanks; s++)
    for (size_t l = 0; l < sizeof lists / sizeof *lists; l++)
    for (size_t c = 0; c < sizeof comments / sizeof *comments; c++)
    for (size_t e = 0; e < sizeof ends / sizeof *ends; e++)
    for (size_t a = 0; a < sizeof after / sizeof *after; a++) {
        char *in, *want;
        assert_true(asprintf(&in, "%s%s%s%s%s%s%s", before[b], names[n], blanks[s], lists[l],
                             comments[c], ends[e], after[a]) > 0);
        assert_true(asprintf(&want, "%s%s%s" ENTRY " %s%s%s%s", before[b], names[n], blanks[s],
                             lists[l], comments[c], ends[e], after[a]) > 0);
        check_edit(&(struct edit){.in = in, .on = want, .on_change = NSSWITCH_ADDED,
                                  .on_line = 1 + (before[b][0] != '\0'), .off = in,
                                  .off_change = ANY, .off_line = ANY});
        free(in);
        free(want);
        cases++;
    }
    assert_int_equal(cases, 4 * 4 * 5 * 8 * 3 * 2 * 3);
}

/* The files Debian 12 installs: only the services line changes, to what
 * dh_installnss's "first" position writes in the package.  */
static void whole_files(void **state)
{
    (void)state;
    /* libc-bin's /usr/share/libc-bin/nsswitch.conf, which its postinst
     * copies to /etc/nsswitch.conf; then as libnss-systemd and
     * libnss-mdns change it on a desktop.  */
    static const char libc_bin[] =
        "# /etc/nsswitch.conf\n"
        "#\n"
        "# Example configuration of GNU Name Service Switch functionality.\n"
        "# If you have the `glibc-doc-reference' and `info' packages installed, try:\n"
        "# `info libc \"Name Service Switch\"' for information about this file.\n"
        "\n"
        "passwd:         files\n"
        "group:          files\n"
        "shadow:         files\n"
        "gshadow:        files\n"
        "\n"
        "hosts:          files dns\n"
        "networks:       files\n"
        "\n"
        "protocols:      db files\n"
        "services:       db files\n"
        "ethers:         db files\n"
        "rpc:            db files\n"
        "\n"
        "netgroup:       nis\n";
    static const char desktop[] =
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
    static const struct {
        const char *text;
        unsigned line;
    } files[] = {{libc_bin, 16}, {desktop, 11}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        const char *in = files[i].text;
        const char *at = strstr(in, "services:       db files\n");
        assert_non_null(at);
        char *want;
        assert_true(asprintf(&want, "%.*sservices:       " ENTRY " db files\n%s",
                             (int)(at - in), in, at + strlen("services:       db files\n")) > 0);
        check_edit(&(struct edit){.in = in, .on = want, .on_change = ANY,
                                  .on_line = (int)files[i].line, .off = in, .off_change = ANY,
                                  .off_line = ANY});
        free(want);
    }
}

/* iana already there, but not first with the block: an earlier version's
 * "files iana", or a hand-written line.  enable moves it; disable then
 * leaves the line as it would be without nss-iana, and from there the two
 * undo each other.  */
static void moves_iana_first(void **state)
{
    (void)state;
    static const struct {
        const char *in, *on, *off;
    } cases[] = {
        {"services: files iana\n", "services: " ENTRY " files\n", "services: files\n"},
        /* what 0.1.0's package made of Debian's line */
        {"services:       db files iana\n", "services:       " ENTRY " db files\n",
         "services:       db files\n"},
        {"services: files [NOTFOUND=return] iana\n",
         "services: " ENTRY " files [NOTFOUND=return]\n", "services: files [NOTFOUND=return]\n"},
        {"services: files iana [NOTFOUND=return] db\n", "services: " ENTRY " files db\n",
         "services: files db\n"},
        {"services: files iana # comment\n", "services: " ENTRY " files # comment\n",
         "services: files # comment\n"},
        {"services:\tdb\tiana\t[NOTFOUND=return]\tfiles # x\n",
         "services:\t" ENTRY " db\tfiles # x\n", "services:\tdb\tfiles # x\n"},
        {"services: files iana\r\n", "services: " ENTRY " files\r\n", "services: files\r\n"},
        {"services: iana iana files iana\n", "services: " ENTRY " files\n", "services: files\n"},
        /* first, but not with exactly that block */
        {"services: iana files\n", "services: " ENTRY " files\n", "services: files\n"},
        {"services:\tiana\tfiles\n", "services:\t" ENTRY " files\n", "services:\tfiles\n"},
        {"services: iana [NOTFOUND=return] files\n", "services: " ENTRY " files\n",
         "services: files\n"},
        {"services: iana [UNAVAIL=return] files\n", "services: " ENTRY " files\n",
         "services: files\n"},
        {"services: iana [!UNAVAIL=continue] files\n", "services: " ENTRY " files\n",
         "services: files\n"},
        {"services: iana [!UNAVAIL=return NOTFOUND=continue] files\n",
         "services: " ENTRY " files\n", "services: files\n"},
        {"services: iana [!UNAVAILABLE=return] files\n", "services: " ENTRY " files\n",
         "services: files\n"},
        /* glibc rejects a blank after '!' */
        {"services: iana [! UNAVAIL=return] files\n", "services: " ENTRY " files\n",
         "services: files\n"},
        {"services: files " ENTRY "\n", "services: " ENTRY " files\n", "services: files\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_edit(&(struct edit){.in = cases[i].in, .on = cases[i].on,
                                  .on_change = NSSWITCH_MOVED, .on_line = 1, .off = cases[i].off,
                                  .off_change = NSSWITCH_REMOVED, .off_line = ANY, .again = 1});
}

static void already_there(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        unsigned line;
    } cases[] = {
        {"services: " ENTRY " files\n", 1},
        {"services: " ENTRY "\n", 1},
        {"services:\t" ENTRY "\tdb files # x\n", 1},
        {"services: iana[!UNAVAIL=return] files\n", 1},
        /* glibc reads names in any case and blanks around them */
        {"services: iana [ !unavail = RETURN ] files\n", 1},
        {"services: iana\t[!Unavail=Return]files\n", 1},
        /* a second block ends glibc's list there, fallback and all, but
         * that is the line's own doing */
        {"services: " ENTRY " [SUCCESS=return] files\n", 1},
        /* a second iana is never asked when the first is unavailable */
        {"services: " ENTRY " files iana\n", 1},
        {"hosts: files\nservices: " ENTRY " nis\n", 2},
        {"services: files\nservices: " ENTRY " files\n", 2},
        {"passwd: files\n" APPENDED "\n", 2},
        {APPENDED "\r\n", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_edit(&(struct edit){.in = cases[i].in, .on = cases[i].in,
                                  .on_change = NSSWITCH_UNCHANGED, .on_line = (int)cases[i].line});
}

/* No services line glibc reads: one is added, and disable removes it
 * whole, giving the file back byte for byte.  */
static void no_services_line(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
        unsigned line;
    } cases[] = {
        {"", APPENDED "\n", 1},
        {"passwd: files\n", "passwd: files\n" APPENDED "\n", 2},
        {"passwd: files\r\n", "passwd: files\r\n" APPENDED "\r\n", 2},
        {"# services: files\n", "# services: files\n" APPENDED "\n", 2},
        {"#services: files\n\n", "#services: files\n\n" APPENDED "\n", 3},
        {"servicesx: files\nmyservices: files\n",
         "servicesx: files\nmyservices: files\n" APPENDED "\n", 3},
        /* glibc 2.36 does not read a last line without a line end: the line
         * goes before it, and it stays unread as it was */
        {"passwd: files", APPENDED "\npasswd: files", 1},
        {"passwd: files\nservices: db files", "passwd: files\n" APPENDED "\nservices: db files",
         2},
        {"hosts: files\nservices", "hosts: files\n" APPENDED "\nservices", 2},
        {"a\r\nb", "a\r\n" APPENDED "\r\nb", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_edit(&(struct edit){.in = cases[i].in, .on = cases[i].want,
                                  .on_change = NSSWITCH_LINE_ADDED, .on_line = (int)cases[i].line,
                                  .shown = APPENDED, .off = cases[i].in,
                                  .off_change = NSSWITCH_LINE_REMOVED,
                                  .off_line = (int)cases[i].line});
}

/* An empty list answers nothing.  enable makes iana its only source;
 * disable cannot tell that from a line with iana alone, and puts files,
 * glibc's default, on a line it leaves with no source.  */
static void empty_list(void **state)
{
    (void)state;
    static const struct {
        const char *in, *on, *off;
    } cases[] = {
        {"services:\n", "services: " ENTRY "\n", "services: files\n"},
        {"services:   \n", "services:   " ENTRY "\n", "services:   files\n"},
        {"services:\r\n", "services: " ENTRY "\r\n", "services: files\r\n"},
        {"services: # none yet\n", "services: " ENTRY " # none yet\n",
         "services: files # none yet\n"},
        {"services\n", "services " ENTRY "\n", "services files\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_edit(&(struct edit){.in = cases[i].in, .on = cases[i].on,
                                  .on_change = NSSWITCH_ADDED, .on_line = ANY, .off = cases[i].off,
                                  .off_change = NSSWITCH_REMOVED_FILES, .off_line = ANY});
}

/* A list that starts with a block, which glibc reads as empty: iana goes
 * first, and the block becomes its second one, which disable takes with
 * it.  The line glibc read as no source at all comes back as files.  */
static void leading_block(void **state)
{
    (void)state;
    static const char in[] = "services: [NOTFOUND=return] files\n";
    check_edit(&(struct edit){.in = in, .on = "services: " ENTRY " [NOTFOUND=return] files\n",
                              .on_change = ANY, .on_line = ANY, .off = "services: files\n",
                              .off_change = ANY, .off_line = ANY});
}

/* Only the last services line counts for glibc: iana on an earlier one
 * does not make enable a no-op, and disable takes it off every line.  */
static void earlier_lines_do_not_count(void **state)
{
    (void)state;
    static const char *const ins[] = {"services: files iana\nservices: db\n",
                                      "services: " ENTRY " files\nservices: db\n"};
    static const char *const ons[] = {"services: files iana\nservices: " ENTRY " db\n",
                                      "services: " ENTRY " files\nservices: " ENTRY " db\n"};
    static const char *const offs[] = {"services: files\nservices: db\n",
                                       "services: files\nservices: db\n"};
    for (size_t i = 0; i < 2; i++)
        check_edit(&(struct edit){.in = ins[i], .on = ons[i], .on_change = ANY, .on_line = 2,
                                  .off = offs[i], .off_change = ANY, .off_line = 2});
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
        /* the line enable adds, wherever it is; only exactly that line */
        {"passwd: files\n" APPENDED "\nhosts: files\n", "passwd: files\nhosts: files\n",
         NSSWITCH_LINE_REMOVED, 2},
        {"services: db\n" APPENDED "\n", "services: db\n", NSSWITCH_LINE_REMOVED, 2},
        {"services: " ENTRY " files\n", "services: files\n", NSSWITCH_REMOVED, 1},
        {"services: " ENTRY "\t\tfiles\n", "services: files\n", NSSWITCH_REMOVED, 1},
        {" " APPENDED "\n", " services: files\n", NSSWITCH_REMOVED, 1},
        {APPENDED " # mine\n", "services: files # mine\n", NSSWITCH_REMOVED, 1},
        /* a last line without a line end, which glibc does not read, loses
         * its iana too, should it ever be read */
        {"services: files iana", "services: files", NSSWITCH_REMOVED, 1},
        {APPENDED, "services: files", NSSWITCH_REMOVED, 1},
        /* nothing to do */
        {"services: files IANA ianax\n", "services: files IANA ianax\n", NSSWITCH_UNCHANGED, 0},
        {"# services: iana\nhosts: iana\n", "# services: iana\nhosts: iana\n",
         NSSWITCH_UNCHANGED, 0},
        {"", "", NSSWITCH_UNCHANGED, 0},
        {"services: files iana\r\n", "services: files\r\n", NSSWITCH_REMOVED, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_edit(&(struct edit){.in = cases[i].in, .off = cases[i].want,
                                  .off_change = cases[i].change, .off_line = (int)cases[i].line});
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
    assert_string_equal(text, "# mine\nservices:\t" ENTRY " files [NOTFOUND=return] db  # keep\n"
                              P_APPENDED "\n");
    char *want;
    /* 0640: glibc in other users' processes cannot open it */
    assert_true(asprintf(&want, "%s: iana put first on the services line (line 2): "
                         "services:\t" ENTRY " files [NOTFOUND=return] db  # keep\n"
                         "%s: there was no protocols line; added line 3: " P_APPENDED "\n"
                         "warning: %s: other users cannot read it (mode 0640), and glibc in "
                         "their processes then uses its default, files, without iana: chmod "
                         "a+r %s\n", path, path, path, path) > 0);
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
    assert_true(asprintf(&want, "%s: iana is first on the services line already (line 2); "
                         "nothing to do\n"
                         "%s: iana is first on the protocols line already (line 3); "
                         "nothing to do\n"
                         "warning: %s: other users cannot read it (mode 0640), and glibc in "
                         "their processes then uses its default, files, without iana: chmod "
                         "a+r %s\n", path, path, path, path) > 0);
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
    assert_true(asprintf(&want, "%s: iana is on no services line; nothing to do\n"
                         "%s: iana is on no protocols line; nothing to do\n", path, path) > 0);
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
    fputs("services: files\n", f);
    fclose(f);
    assert_int_equal(symlink("real.conf", link), 0);
    assert_int_equal(update(link, 1, &said, err), 0);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    char *text = slurp(target);
    assert_string_equal(text, "services: " ENTRY " files\n" P_APPENDED "\n");
    free(text);
    free(said);
    free(target);
    free(link);
}

/* A POSIX ACL as the kernel stores it in system.posix_acl_access
 * (little-endian: a version, then tag, permissions and id per entry,
 * sorted by tag): the owner rw, user `uid` r, the group r, mask r, others
 * nothing.  Built by hand so that the test needs no libacl.  */
static size_t acl_granting_read(uint8_t *buf, uint32_t uid)
{
    static const struct {
        uint16_t tag, perm;
        int named;
    } entries[] = {{0x01, 6, 0}, {0x02, 4, 1}, {0x04, 4, 0}, {0x10, 4, 0}, {0x20, 0, 0}};
    size_t n = 0;
    uint32_t words[1 + 2 * 5];
    words[n++] = 2;
    for (size_t i = 0; i < 5; i++) {
        words[n++] = (uint32_t)entries[i].tag | (uint32_t)entries[i].perm << 16;
        words[n++] = entries[i].named ? uid : UINT32_MAX;
    }
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < 4; b++)
            buf[i * 4 + (size_t)b] = (uint8_t)(words[i] >> (8 * b));
    return n * 4;
}

/* The new file gets the old one's extended attributes: a user.* one, and
 * the ACL (an administrator's grant of read to a user would be gone
 * otherwise); the SELinux label is one more of them.  */
static void keeps_xattrs(void **state)
{
    (void)state;
    char *path = tu_write("xattr.conf", "services: files\n", 16), *said, err[512];
    int user = setxattr(path, "user.nss-iana-test", "kept", 4, 0) == 0;
    uint8_t acl[64], got[64];
    size_t acl_len = acl_granting_read(acl, 65534);
    int has_acl = setxattr(path, "system.posix_acl_access", acl, acl_len, 0) == 0;
    if (!user && !has_acl) {
        free(path);
        skip(); /* no xattrs on this file system */
    }
    struct stat before, after;
    assert_int_equal(stat(path, &before), 0);
    if (update(path, 1, &said, err) != 0)
        fail_msg("enable: %s", err);
    assert_int_equal(stat(path, &after), 0);
    assert_int_not_equal(after.st_ino, before.st_ino);
    assert_int_equal(after.st_mode & 07777, before.st_mode & 07777);
    if (user) {
        char value[16] = "";
        ssize_t n = getxattr(path, "user.nss-iana-test", value, sizeof value - 1);
        if (n < 0)
            fail_msg("user.nss-iana-test gone after enable: %s", strerror(errno));
        assert_string_equal(value, "kept");
    }
    if (has_acl) {
        ssize_t n = getxattr(path, "system.posix_acl_access", got, sizeof got);
        if (n < 0)
            fail_msg("the ACL is gone after enable: %s", strerror(errno));
        assert_int_equal((size_t)n, acl_len);
        assert_memory_equal(got, acl, acl_len);
    }
    free(said);
    unlink(path);
    free(path);
}

/* What enable and disable say for each kind of edit, through the file.  */
static void file_messages(void **state)
{
    (void)state;
    static const struct {
        int enable;
        const char *in, *said;
    } cases[] = {
        {1, "services: files iana\r\n",
         "iana moved to the front of the services line (line 1): services: " ENTRY " files\n"
         "@: there was no protocols line; added line 2: " P_APPENDED "\n"},
        {1, "passwd: files\n",
         "there was no services line; added line 2: " APPENDED "\n"
         "@: there was no protocols line; added line 3: " P_APPENDED "\n"},
        {0, "passwd: files\n" APPENDED "\n" P_APPENDED "\n",
         "removed line 2, the services line enable adds: " APPENDED "\n"
         "@: removed line 2, the protocols line enable adds: " P_APPENDED "\n"},
        {0, "services: iana\n",
         "iana removed from the services line (line 1), and files put in its place, since it "
         "had no other source: services: files\n"
         "@: iana is on no protocols line; nothing to do\n"},
        {1, "hosts: files\nservices: db files",
         "there was no services line; added line 2: " APPENDED "\n"
         "note: @: line 4 names services but has no line end, and glibc does not read a last "
         "line without one\n"
         "@: there was no protocols line; added line 3: " P_APPENDED "\n"},
        /* a block glibc cannot parse, anywhere: it reads none of the file */
        {1, "services: files [NOTFOUND=retrun]\n",
         "iana put first on the services line (line 1): services: " ENTRY
         " files [NOTFOUND=retrun]\n"
         "@: there was no protocols line; added line 2: " P_APPENDED "\n"
         "warning: @: line 1: glibc cannot parse the block at \"[NOTFOUND=retrun]\", so it "
         "reads nothing of the file and every lookup fails, iana's included: correct or "
         "remove the block (a '#' does not start a comment there)\n"},
        {1, "hosts: files # see [1]\nservices: " ENTRY " files\nprotocols: db files\n",
         "iana is first on the services line already (line 2); nothing to do\n"
         "@: iana put first on the protocols line (line 3): protocols: " ENTRY " db files\n"
         "warning: @: line 1: glibc cannot parse the block at \"[1]\", so it reads nothing "
         "of the file and every lookup fails, iana's included: correct or remove the block "
         "(a '#' does not start a comment there)\n"},
        {1, "passwd: files [SUCCESS=merge\nservices: files\n",
         "iana put first on the services line (line 2): services: " ENTRY " files\n"
         "@: there was no protocols line; added line 3: " P_APPENDED "\n"
         "warning: @: line 1: glibc cannot parse the block at \"[SUCCESS=merge\", so it "
         "reads nothing of the file and every lookup fails, iana's included: correct or "
         "remove the block (a '#' does not start a comment there)\n"},
        /* blocks glibc reads, and lines it skips: no warning */
        {1, "hosts: files [ !unavail = Return NOTFOUND=merge ] dns\nsudoers: files [x]\n"
            "services: [y] files\nprotocols: files iana\n",
         "iana put first on the services line (line 3): services: " ENTRY " [y] files\n"
         "@: iana moved to the front of the protocols line (line 4): protocols: " ENTRY
         " files\n"},
        {0, "services: db iana",
         "iana removed from the services line (line 1): services: db\n"
         "note: @: line 1 names services but has no line end, and glibc does not read a last "
         "line without one\n"
         "@: iana is on no protocols line; nothing to do\n"},
        {0, "protocols: iana [!UNAVAIL=return] files\nservices: files\n",
         "iana is on no services line; nothing to do\n"
         "@: iana removed from the protocols line (line 1): protocols: files\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = tu_write("messages.conf", cases[i].in, strlen(cases[i].in));
        char *said, err[512], *want = NULL;
        assert_int_equal(update(path, cases[i].enable, &said, err), 0);
        /* every line starts with the path; "@" in the notes stands for it */
        size_t cap = strlen(cases[i].said) * 2 + 4 * strlen(path) + 16;
        want = calloc(1, cap);
        assert_non_null(want);
        char *w = want;
        w += sprintf(w, "%s: ", path);
        for (const char *p = cases[i].said; *p; p++)
            w += *p == '@' ? sprintf(w, "%s", path) : sprintf(w, "%c", *p);
        if (strcmp(said, want) != 0)
            fail_msg("%s of \"%s\":\n  want \"%s\"\n  got  \"%s\"",
                     cases[i].enable ? "enable" : "disable", cases[i].in, want, said);
        free(said);
        free(want);
        unlink(path);
        free(path);
    }
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

/* chattr on `path`; 0 where the file system and our privileges allow.  */
static int chattr(const char *flag, const char *path)
{
    char *cmd;
    assert_true(asprintf(&cmd, "chattr %s '%s' 2>/dev/null", flag, path) > 0);
    int rc = system(cmd);
    free(cmd);
    return rc;
}

/* An immutable file (or directory) cannot be replaced: the error says so,
 * and what to do, not only "Operation not permitted".  */
static void immutable(void **state)
{
    (void)state;
    char *path = tu_write("immutable.conf", "services: files\n", 16), *said, err[512], *want;
    if (chattr("+i", path) != 0) {
        free(path);
        skip(); /* not root, or no attributes on this file system */
    }
    int rc = update(path, 1, &said, err);
    chattr("-i", path);
    assert_int_equal(rc, -1);
    assert_true(asprintf(&want, "%s: is immutable (chattr +i): clear the attribute first "
                         "(chattr -i %s), and set it again after (rename: %s)", path, path,
                         strerror(EPERM)) > 0);
    assert_string_equal(err, want);
    char *text = slurp(path);
    assert_string_equal(text, "services: files\n");
    free(text);
    free(want);
    free(said);

    char *dir;
    assert_true(asprintf(&dir, "%s/frozen", tu_tmpdir()) > 0);
    assert_int_equal(mkdir(dir, 0755), 0);
    free(path);
    assert_true(asprintf(&path, "%s/nsswitch.conf", dir) > 0);
    FILE *f = fopen(path, "w");
    fputs("services: files\n", f);
    fclose(f);
    assert_int_equal(chattr("+i", dir), 0);
    rc = update(path, 1, &said, err);
    chattr("-i", dir);
    assert_int_equal(rc, -1);
    assert_true(asprintf(&want, "%s: its directory %s is immutable (chattr +i): clear the "
                         "attribute first (chattr -i %s), and set it again after (cannot write "
                         "a temporary file there: %s)", path, dir, dir, strerror(EPERM)) > 0);
    assert_string_equal(err, want);
    free(want);
    free(said);
    free(path);
    free(dir);
}

/* A file bind-mounted over nsswitch.conf cannot be renamed over (EBUSY):
 * the error says it is a mount point and to edit the file it comes from.
 * In a mount namespace of a child's own, so nothing else sees the mount.  */
static void bind_mounted(void **state)
{
    (void)state;
    char *src = tu_write("bind-src.conf", "services: files\n", 16);
    char *path = tu_write("bind.conf", "services: db\n", 13), *want;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err[512] = "";
        close(fds[0]);
        if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
            mount(src, path, NULL, MS_BIND, NULL) != 0)
            _exit(77); /* not root, or no mount namespaces here */
        FILE *out = fopen("/dev/null", "w");
        int rc = nsswitch_update(path, 1, out, err, sizeof err);
        if (write(fds[1], err, strlen(err)) < 0)
            _exit(2);
        _exit(rc == -1 ? 0 : 1);
    }
    close(fds[1]);
    char err[512] = "";
    ssize_t n = read(fds[0], err, sizeof err - 1);
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        free(src);
        free(path);
        skip();
    }
    err[n > 0 ? n : 0] = '\0';
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(asprintf(&want, "%s: is a mount point (bind-mounted?): edit the file it comes "
                         "from, or unmount it (rename: %s)", path, strerror(EBUSY)) > 0);
    assert_string_equal(err, want);
    char *text = slurp(src);
    assert_string_equal(text, "services: files\n");
    free(text);
    free(want);
    free(src);
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
        cmocka_unit_test(enable_then_disable_restores_combinations),
        cmocka_unit_test(whole_files),
        cmocka_unit_test(moves_iana_first),
        cmocka_unit_test(already_there),
        cmocka_unit_test(no_services_line),
        cmocka_unit_test(empty_list),
        cmocka_unit_test(leading_block),
        cmocka_unit_test(earlier_lines_do_not_count),
        cmocka_unit_test(disable_cases),
        cmocka_unit_test(line_text),
        cmocka_unit_test(file_round_trip),
        cmocka_unit_test(follows_symlink),
        cmocka_unit_test(keeps_xattrs),
        cmocka_unit_test(file_messages),
        cmocka_unit_test(file_errors),
        cmocka_unit_test(unwritable_directory),
        cmocka_unit_test(immutable),
        cmocka_unit_test(bind_mounted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

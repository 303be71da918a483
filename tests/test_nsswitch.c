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

/* --- compile --local ----------------------------------------------------- */

static const char registry_csv[] =
    TU_HEADER
    "nicname,43,tcp,Who Is,,,,,,,,\n"
    "nicname,43,udp,Who Is,,,,,,,,\n"
    "http,80,tcp,World Wide Web HTTP,,,,,,,,\n"
    "www,80,tcp,World Wide Web HTTP,,,,,,,,\"This entry is an alias to \"\"http\"\".\"\n"
    "x11,6000-6063,tcp,X Window System,,,,,,,,\n";

struct merged {
    struct registry reg;
    struct entry_set set;
    struct local_services loc;
    struct local_summary sum;
    char err[512];
    char *warnings;
};

/* The registry above with `local` merged: the result of local_parse, then
 * of local_merge.  */
static int merge(const char *local, struct merged *m)
{
    char err[256];
    size_t wlen;
    memset(m, 0, sizeof *m);
    if (registry_parse("reg.csv", registry_csv, strlen(registry_csv), &m->reg, err,
                       sizeof err) != 0)
        fail_msg("registry: %s", err);
    assert_int_equal(registry_entries(&m->reg, &m->set, NULL), 0);
    if (local_parse("site", local, strlen(local), &m->loc, m->err, sizeof m->err) < 0)
        return -1;
    FILE *w = open_memstream(&m->warnings, &wlen);
    assert_non_null(w);
    int rc = local_merge(&m->set, &m->loc, &m->sum, w, m->err, sizeof m->err);
    fclose(w);
    return rc;
}

static void merged_free(struct merged *m)
{
    entry_set_free(&m->set);
    local_free(&m->loc);
    registry_free(&m->reg);
    free(m->warnings);
}

/* "name port/proto aliases" of entry i, flagged "+local".  */
static const char *entry_text(const struct entry_set *set, size_t i)
{
    static char out[256];
    static const char *const proto[] = {"tcp", "udp", "sctp", "dccp"};
    const struct service_entry *e = &set->entries[i];
    int n = snprintf(out, sizeof out, "%s %u/%s", e->name, e->port_lo, proto[e->proto]);
    for (size_t a = 0; a < e->nalias; a++)
        n += snprintf(out + n, sizeof out - (size_t)n, " %s", e->aliases[a]);
    if (e->flags & IANA_ENTRY_LOCAL)
        snprintf(out + n, sizeof out - (size_t)n, " +local");
    return out;
}

static void local_aliases_and_entries(void **state)
{
    (void)state;
    struct merged m;
    static const char local[] =
        "# site names\n"
        "\n"
        "whois\t43/tcp nicname     # as /etc/services has it\n"
        "web 80/tcp http www\n"
        "myapp 8123/tcp myapp-alt  # our app\r\n"
        "myapp 8123/udp\n"
        "myapp 8123/tcp extra\n"
        "nicname 43/udp\n"
        "  WHOIS 43/TCP   \n";
    assert_int_equal(merge(local, &m), 0);
    assert_int_equal(m.set.nentries, 6);
    assert_string_equal(entry_text(&m.set, 0), "nicname 43/tcp whois");
    assert_string_equal(entry_text(&m.set, 1), "nicname 43/udp");
    assert_string_equal(entry_text(&m.set, 2), "http 80/tcp www web");
    assert_string_equal(entry_text(&m.set, 3), "x11 6000/tcp");
    assert_string_equal(entry_text(&m.set, 4), "myapp 8123/tcp myapp-alt extra +local");
    assert_string_equal(entry_text(&m.set, 5), "myapp 8123/udp +local");
    assert_int_equal(m.sum.lines, 7);
    assert_int_equal(m.sum.entries_added, 2);
    assert_int_equal(m.sum.aliases_added, 3);   /* whois, web, extra */
    assert_int_equal(m.sum.entries_extended, 2); /* nicname/tcp, http */
    assert_int_equal(m.sum.unchanged, 2);        /* nicname 43/udp, WHOIS 43/TCP */
    assert_int_equal(m.set.summary.entries, 6);
    assert_int_equal(m.set.summary.per_proto[IANA_TCP], 4);
    assert_int_equal(m.set.summary.per_proto[IANA_UDP], 2);
    assert_string_equal(m.set.entries[4].row->col[COL_DESCRIPTION], "our app");
    assert_string_equal(m.set.entries[5].row->col[COL_DESCRIPTION], "");
    assert_int_equal(m.set.entries[4].row->line, 5);
    assert_string_equal(m.warnings, "");
    merged_free(&m);
}

static void local_entries_in_the_database(void **state)
{
    (void)state;
    struct merged m;
    assert_int_equal(merge("whois 43/tcp nicname\nmyapp 8123/tcp app # ours\n"
                           "myx 6005/tcp\n", &m), 0);
    uint8_t *bytes;
    size_t len;
    char err[256];
    if (db_build(&m.set, m.reg.sha256, &bytes, &len, err, sizeof err) != 0)
        fail_msg("build: %s", err);
    struct iana_db db;
    tu_view(bytes, len, &db);
    assert_string_equal(tu_describe(&db, iana_db_by_name(&db, "whois", IANA_TCP)),
                        "nicname 43/tcp");
    assert_string_equal(tu_describe(&db, iana_db_by_name(&db, "whois", IANA_UDP)), "-");
    int64_t app = iana_db_by_name(&db, "APP", IANA_ANY_PROTO);
    assert_string_equal(tu_describe(&db, app), "myapp 8123/tcp");
    assert_string_equal(tu_describe(&db, iana_db_by_port(&db, 8123, IANA_TCP)),
                        "myapp 8123/tcp");
    /* a single port beats the range it falls in */
    assert_string_equal(tu_describe(&db, iana_db_by_port(&db, 6005, IANA_TCP)), "myx 6005/tcp");
    struct iana_view v;
    assert_int_equal(iana_db_entry(&db, (uint32_t)app, &v), 0);
    assert_int_equal(v.flags, IANA_ENTRY_LOCAL);
    assert_string_equal(iana_db_meta(&db, (uint32_t)app, IANA_META_DESCRIPTION), "ours");
    int64_t nic = iana_db_by_name(&db, "nicname", IANA_TCP);
    assert_int_equal(iana_db_entry(&db, (uint32_t)nic, &v), 0);
    assert_int_equal(v.flags, 0); /* aliases merged in are not marked */
    assert_int_equal(m.set.summary.range_overlaps, 1);
    assert_string_equal(m.warnings, "site:3: warning: range x11 6000-6063 comes before "
                        "single-port entry myx on port 6005\n");
    free(bytes);
    merged_free(&m);
}

static void local_warnings(void **state)
{
    (void)state;
    struct merged m;
    assert_int_equal(merge("http 8080/tcp\nmine 43/tcp www\n", &m), 0);
    assert_string_equal(m.warnings,
                        "site:1: warning: \"http\" already names http 80/tcp, which comes "
                        "first and answers for it by name\n"
                        "site:2: warning: \"www\" already names http 80/tcp, which comes "
                        "first and answers for it by name\n");
    merged_free(&m);
    /* an alias put on an earlier entry takes the name from a later one */
    assert_int_equal(merge("nicname 43/tcp x11\n", &m), 0);
    assert_string_equal(m.warnings,
                        "site:1: warning: \"x11\" also names x11 6000/tcp; nicname 43/tcp "
                        "comes first and now answers for it by name\n");
    merged_free(&m);
}

static void expect_local_error(const char *local, const char *message)
{
    struct merged m;
    assert_int_equal(merge(local, &m), -1);
    if (strcmp(m.err, message) != 0)
        fail_msg("for \"%s\": expected \"%s\", got \"%s\"", local, message, m.err);
    merged_free(&m);
}

static void local_errors(void **state)
{
    (void)state;
    expect_local_error("ok 1/tcp\nlonely\n",
                       "site:2: expected \"name port/protocol [alias...]\"");
    expect_local_error("name#1 1/tcp\n", "site:1: expected \"name port/protocol [alias...]\"");
    expect_local_error("\n\nx 80\n", "site:3: expected port/protocol, got \"80\"");
    expect_local_error("x 65536/tcp\n", "site:1: bad port number \"65536\"");
    expect_local_error("x 6000-6001/tcp\n", "site:1: bad port number \"6000-6001\"");
    expect_local_error("x /tcp\n", "site:1: bad port number \"\"");
    expect_local_error("x -1/tcp\n", "site:1: bad port number \"-1\"");
    expect_local_error("x 1/udplite\n", "site:1: unknown transport protocol \"udplite\"");
    expect_local_error("x 1/\n", "site:1: unknown transport protocol \"\"");
    expect_local_error("caf\xc3\xa9 1/tcp\n",
                       "site:1: service name \"caf\xc3\xa9\" is not a single printable-ASCII "
                       "token");
    expect_local_error("x 1/tcp ok b\x01" "ad\n",
                       "site:1: alias \"b\x01" "ad\" is not a single printable-ASCII token");
    expect_local_error("x 1/tcp aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
                       "site:1: alias \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                       "aaaaaa\" is longer than 63 characters");
    struct local_services loc;
    char err[256];
    assert_int_equal(local_parse("site", "ok 1/tcp\nx\0y 2/tcp\n", 19, &loc, err, sizeof err),
                     -1);
    assert_string_equal(err, "site:2: NUL byte");
    local_free(&loc);
}

/* The database keeps an entry's names in 255 bytes: a file that would go
 * over stops with its line, rather than failing later in the writer.  */
static void local_names_overflow(void **state)
{
    (void)state;
    char local[2048], *p = local;
    p += sprintf(p, "# many\nhttp 80/tcp");
    for (int i = 0; i < 30; i++)
        p += sprintf(p, " alias-number-%02d", i);
    strcpy(p, "\n");
    struct merged m;
    assert_int_equal(merge(local, &m), -1);
    assert_string_equal(m.err, "site:2: alias \"alias-number-15\" of \"http\": its names would "
                        "take over 255 bytes");
    merged_free(&m);
}

static void local_read_files(void **state)
{
    (void)state;
    struct local_services loc;
    char err[512], *want;
    char *path = tu_write("site.services", "a 1/tcp b c\n", 12);
    assert_int_equal(local_read(path, &loc, err, sizeof err), 0);
    assert_int_equal(loc.nlines, 1);
    assert_string_equal(loc.lines[0].row.col[COL_NAME], "a");
    assert_int_equal(loc.lines[0].nalias, 2);
    assert_string_equal(loc.lines[0].aliases[1], "c");
    local_free(&loc);
    free(path);

    path = tu_write("empty.services", "", 0);
    assert_int_equal(local_read(path, &loc, err, sizeof err), 0);
    assert_int_equal(loc.nlines, 0);
    local_free(&loc);
    free(path);

    assert_int_equal(local_read("/nonexistent/site", &loc, err, sizeof err), -1);
    assert_string_equal(err, "/nonexistent/site: No such file or directory");
    local_free(&loc);
    assert_int_equal(local_read(tu_tmpdir(), &loc, err, sizeof err), -1);
    assert_true(asprintf(&want, "%s: %s", tu_tmpdir(), strerror(EISDIR)) > 0);
    assert_string_equal(err, want);
    local_free(&loc);
    free(want);
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
        cmocka_unit_test(local_aliases_and_entries),
        cmocka_unit_test(local_entries_in_the_database),
        cmocka_unit_test(local_warnings),
        cmocka_unit_test(local_errors),
        cmocka_unit_test(local_names_overflow),
        cmocka_unit_test(local_read_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

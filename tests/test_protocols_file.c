/* parser/protocols_file.c against glibc itself: libc exports nss_files'
 * own line parser for protocols (_nss_files_parse_protoent, GLIBC_PRIVATE),
 * so each hostile line is parsed by both and by ours; and whole files
 * (tests/data/hostile.protocols, variants of its end, this machine's
 * /etc/protocols) are read by glibc's nss_files itself (getprotoent through
 * `protocols: files`, the file bind-mounted over /etc/protocols in a
 * private mount namespace when root) and by protocols_file_read, with
 * libc's line parser and with ours.  */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <nss.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../parser/protocols_file.h"
#include "testutil.h"

extern int _nss_files_parse_protoent(char *line, struct protoent *result, void *data,
                                     size_t datalen, int *errnop);

#ifndef SRCDIR
#define SRCDIR "."
#endif
#define HOSTILE SRCDIR "/tests/data/hostile.protocols"

static void put_entry(FILE *f, const char *name, int number, char **aliases)
{
    fprintf(f, "%s %d", name, number);
    for (char **a = aliases; *a; a++)
        fprintf(f, " %s", *a);
    fputc('\n', f);
}

/* The file's lines as protocols_file_read gives them, one a line of text.  */
static char *ours_text(const char *path, int use_glibc, size_t *nlines, size_t *rejected)
{
    struct protocols_file pf;
    char err[512], *out;
    size_t n;
    protocols_file_use_glibc = use_glibc;
    if (protocols_file_read(path, &pf, NULL, err, sizeof err) != 0)
        fail_msg("protocols_file_read: %s", err);
    protocols_file_use_glibc = 1;
    FILE *f = open_memstream(&out, &n);
    for (size_t i = 0; i < pf.nlines; i++) {
        const struct protocols_line *l = &pf.lines[i];
        fprintf(f, "%s %d", l->name, (int)l->number);
        for (size_t a = 0; a < l->nalias; a++)
            fprintf(f, " %s", l->aliases[a]);
        fputc('\n', f);
    }
    fclose(f);
    *nlines = pf.nlines;
    if (rejected)
        *rejected = pf.rejected;
    protocols_file_free(&pf);
    return out;
}

/* glibc's nss_files enumerating /etc/protocols, as text.  */
static char *nss_files_text(void)
{
    char *out;
    size_t n;
    FILE *f = open_memstream(&out, &n);
    struct protoent pe, *res;
    size_t cap = 1024;
    char *buf = malloc(cap);
    setprotoent(0);
    for (;;) {
        int rc = getprotoent_r(&pe, buf, cap, &res);
        if (rc == ERANGE) {
            buf = realloc(buf, cap *= 2);
            continue;
        }
        if (rc != 0 || !res)
            break;
        put_entry(f, pe.p_name, pe.p_proto, pe.p_aliases);
    }
    endprotoent();
    free(buf);
    fclose(f);
    return out;
}

/* nss_files' reading of `path` as /etc/protocols, from a child in a
 * private mount namespace; NULL when this process may not make one.  */
static char *nss_files_over(const char *path)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
            mount(path, "/etc/protocols", NULL, MS_BIND, NULL) != 0)
            _exit(77);
        __nss_configure_lookup("protocols", "files");
        char *text = nss_files_text();
        size_t len = strlen(text), off = 0;
        while (off < len) {
            ssize_t w = write(fds[1], text + off, len - off);
            if (w <= 0)
                _exit(2);
            off += (size_t)w;
        }
        _exit(0);
    }
    close(fds[1]);
    char *out;
    size_t n;
    FILE *f = open_memstream(&out, &n);
    char chunk[4096];
    ssize_t got;
    while ((got = read(fds[0], chunk, sizeof chunk)) > 0)
        fwrite(chunk, 1, (size_t)got, f);
    fclose(f);
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        free(out);
        return NULL;
    }
    assert_int_equal(WEXITSTATUS(status), 0);
    return out;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *out;
    FILE *m = open_memstream(&out, len);
    int c;
    while ((c = getc(f)) != EOF)
        putc(c, m);
    fclose(f);
    fclose(m);
    return out;
}

/* Each line of the hostile file (as __nss_readline hands it over) through
 * libc's parser and ours: the same verdict and the same fields.  */
static void lines_as_glibc_parses_them(void **state)
{
    (void)state;
    size_t len, compared = 0, rejected = 0;
    char *text = slurp(HOSTILE, &len);
    const char *p = text, *end = text + len;
    static char data[1 << 16];
    size_t n;
    while (p < end) {
        const char *start = p;
        n = nssfile_next_line(&p, end);
        char *a = malloc(n + 1), *b = malloc(n + 1);
        memcpy(a, start, n);
        if (nssfile_readline(a, n)) {
            memcpy(b, a, n + 1);
            struct protoent pe;
            int e = 0;
            int rc = _nss_files_parse_protoent(a, &pe, data, sizeof data, &e);
            assert_int_not_equal(rc, -1);
            char *want, *got;
            size_t wn, gn;
            FILE *f = open_memstream(&want, &wn);
            if (rc == 1)
                put_entry(f, pe.p_name, pe.p_proto, pe.p_aliases);
            else
                fputs("-\n", f);
            fclose(f);
            /* Ours, through a file of that one line.  */
            char *path = tu_write("one.protocols", b, strlen(b));
            size_t nl, rj;
            got = ours_text(path, 0, &nl, &rj);
            if (nl == 0) {
                free(got);
                got = strdup("-\n");
                rejected++;
            }
            gn = strlen(got);
            (void)gn;
            if (strcmp(want, got) != 0)
                fail_msg("line %.60s: glibc %s ours %s", b, want, got);
            compared++;
            free(want);
            free(got);
            free(path);
        }
        free(a);
        free(b);
    }
    printf("%zu lines compared with _nss_files_parse_protoent, %zu of them rejected\n",
           compared, rejected);
    assert_true(compared > 40 && rejected > 3);
    free(text);
}

/* What __nss_readline does before the parser: the quirk of a line with
 * leading blanks and no '\n', which keeps bytes of its tail.  */
static void readline_quirk(void **state)
{
    (void)state;
    struct protocols_file pf;
    char err[256];
    const char text[] = "a 1\n  bb 2 x";
    assert_int_equal(protocols_file_parse("t", text, sizeof text - 1, &pf, NULL, err, sizeof err),
                     0);
    assert_int_equal(pf.nlines, 2);
    assert_string_equal(pf.lines[1].name, "bb");
    assert_int_equal(pf.lines[1].number, 2);
    assert_int_equal(pf.lines[1].nalias, 2); /* "x", then " x" of the old tail */
    assert_string_equal(pf.lines[1].aliases[1], "x");
    assert_int_equal(pf.lines[1].line, 2);
    protocols_file_free(&pf);
}

static void compare_with_nss_files(const char *label, const char *path)
{
    char *want = nss_files_over(path);
    if (!want) {
        printf("not root, or no mount namespaces: %s not compared\n", label);
        skip();
    }
    for (int use_glibc = 0; use_glibc <= 1; use_glibc++) {
        size_t nlines, rejected;
        char *got = ours_text(path, use_glibc, &nlines, &rejected);
        if (strcmp(want, got) != 0)
            fail_msg("%s (%s parser): nss_files\n%s\nours\n%s", label,
                     use_glibc ? "libc's" : "our", want, got);
        if (use_glibc)
            printf("%s: %zu lines equal to nss_files' getprotoent, %zu rejected\n", label,
                   nlines, rejected);
        assert_true(nlines > 0);
        free(got);
    }
    free(want);
}

static void hostile_file_as_nss_files_reads_it(void **state)
{
    (void)state;
    compare_with_nss_files("hostile.protocols", HOSTILE);
}

/* Its ends: blanks without a newline, a lone '\n', a final line of one
 * byte, a comment without a newline.  */
static void file_ends_as_nss_files_reads_them(void **state)
{
    (void)state;
    static const char *tails[] = {"   ", "\n", "z 9", "z 9 #c", "\t\r", "  y 8 q"};
    size_t len;
    char *text = slurp(HOSTILE, &len);
    for (size_t i = 0; i < sizeof tails / sizeof *tails; i++) {
        char *buf = malloc(len + 16);
        memcpy(buf, text, len);
        /* The hostile file ends without a newline: give it one first.  */
        buf[len] = '\n';
        memcpy(buf + len + 1, tails[i], strlen(tails[i]));
        char *path = tu_write("tail.protocols", buf, len + 1 + strlen(tails[i]));
        char label[64];
        snprintf(label, sizeof label, "hostile.protocols + tail %zu", i);
        compare_with_nss_files(label, path);
        free(path);
        free(buf);
    }
    free(text);
}

static void this_machines_file(void **state)
{
    (void)state;
    if (access("/etc/protocols", R_OK) != 0)
        skip();
    assert_int_equal(__nss_configure_lookup("protocols", "files"), 0);
    char *want = nss_files_text();
    for (int use_glibc = 0; use_glibc <= 1; use_glibc++) {
        size_t nlines;
        char *got = ours_text("/etc/protocols", use_glibc, &nlines, NULL);
        assert_string_equal(want, got);
        assert_true(nlines > 0);
        free(got);
    }
    free(want);
}

static void identity(void **state)
{
    (void)state;
    struct protocols_file pf, again;
    char err[256];
    char *path = tu_write("id.protocols", "a 1\n", 4);
    assert_int_equal(protocols_file_read(path, &pf, NULL, err, sizeof err), 0);
    assert_true(pf.present);
    assert_int_equal(pf.id.size, 4);
    assert_true(pf.id.ino != 0);
    free(tu_write("id.protocols", "a 2\n", 4));
    assert_int_equal(protocols_file_read(path, &again, NULL, err, sizeof err), 0);
    assert_true(again.id.hash != pf.id.hash);
    protocols_file_free(&pf);
    protocols_file_free(&again);
    unlink(path);
    assert_int_equal(protocols_file_read(path, &pf, NULL, err, sizeof err), 0);
    assert_false(pf.present);
    assert_int_equal(pf.nlines, 0);
    protocols_file_free(&pf);
    assert_int_equal(protocols_file_read(tu_tmpdir(), &pf, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a regular file"));
    free(path);
}

static void warnings_name_the_line(void **state)
{
    (void)state;
    struct protocols_file pf;
    char err[256], *w;
    size_t wn;
    FILE *wf = open_memstream(&w, &wn);
    const char text[] = "ok 1\nhex 0x10\nnonum\n";
    assert_int_equal(protocols_file_parse("site", text, sizeof text - 1, &pf, wf, err, sizeof err),
                     0);
    fclose(wf);
    assert_int_equal(pf.nlines, 1);
    assert_int_equal(pf.rejected, 2);
    assert_non_null(strstr(w, "site:2: warning: "));
    assert_non_null(strstr(w, "site:3: warning: "));
    free(w);
    protocols_file_free(&pf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lines_as_glibc_parses_them),
        cmocka_unit_test(readline_quirk),
        cmocka_unit_test(hostile_file_as_nss_files_reads_it),
        cmocka_unit_test(file_ends_as_nss_files_reads_them),
        cmocka_unit_test(this_machines_file),
        cmocka_unit_test(identity),
        cmocka_unit_test(warnings_name_the_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

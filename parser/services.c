/* A services(5) file as glibc's nss_files reads it: see services.h.
 * Each physical line is put through the same steps, in the same order, as
 * __nss_readline and the line parser of files-service.c put it through, on
 * a copy of the line, so that their quirks are ours too.  The line parser
 * is glibc's own where libc exports it (_nss_files_parse_servent, as it
 * does for nss_db): then the compiler and the nss_files of the machine it
 * runs on cannot disagree, whatever glibc's version and rules;
 * parse_fields() below does the same on a glibc without it, by the rules
 * that glibc is found to follow (services_port_rules_detect).  */
#define _GNU_SOURCE
#include "services.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <nss.h>
#include <stddef.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../vocab.h"

/* The port as nss_files reads it, by `rules` (services.h): strtoul in
 * their base, refused above 32 bits (so -1 too, which strtoul makes the
 * largest value), of which htons keeps the low 16 (70000 is 4464); then
 * their slashes, or the end of the line.  NULL, or why nss_files rejects
 * the line.  */
static const char *port_field(char **linep, uint16_t *port, const struct services_port_rules *rules)
{
    char *line = *linep, *end;
    unsigned long long v = strtoull(line, &end, rules->base);
    if (v > 0xffffffffULL)
        return "port number out of range";
    if (end == line)
        return "no port number";
    if (*end == '/')
        do /* one, or all of them ("12//tcp" is then tcp) */
            end++;
        while (rules->every_slash && *end == '/');
    else if (*end != '\0')
        return "port number followed by something other than '/'";
    *port = (uint16_t)v;
    *linep = end;
    return NULL;
}

/* files-service.c's line parser, on a line __nss_readline returned: 1
 * with *out filled, 2 for a line nss_files rejects (*why says why), -1
 * when out of memory.  */
static int parse_fields(char *buf, struct services_line *out, const char **why)
{
    /* The line ends at the first '#' or '\n'.  */
    char *line = buf, *cut = strpbrk(line, "#\n");
    if (cut)
        *cut = '\0';
    memset(out, 0, sizeof *out);
    out->name = nssfile_string_field(&line);
    if ((*why = port_field(&line, &out->port, services_port_rules_current())))
        return 2;
    out->proto = nssfile_string_field(&line);
    return nssfile_list(line, &out->aliases, &out->nalias) < 0 ? -1 : 1;
}

typedef int glibc_parser(char *line, struct servent *result, void *data, size_t datalen,
                         int *errnop);

/* libc's own parser, if it exports one that reads a plain line as any
 * nss_files does; NULL otherwise.  Whether it is there, not what one
 * glibc's rules make of an odd port (0x50: 80 in 2.36 and 2.41, refused
 * by 2.43): whatever its rules, they are nss_files' on this machine.  */
static int servent_parser_works(void *parser)
{
    glibc_parser *cand = (glibc_parser *)(uintptr_t)parser;
    char line[] = "probe 80/tcp a b\n";
    char *data[16];
    struct servent se;
    int e = 0;
    return cand(line, &se, data, sizeof data, &e) == 1 && strcmp(se.s_name, "probe") == 0 &&
           se.s_port == (int)htons(80) && strcmp(se.s_proto, "tcp") == 0 && se.s_aliases[0] &&
           strcmp(se.s_aliases[1], "b") == 0 && !se.s_aliases[2];
}

static glibc_parser *libc_parser(void)
{
    static struct nssfile_parser_probe probe = {.symbol = "_nss_files_parse_servent",
                                                .works = servent_parser_works};
    return (glibc_parser *)(uintptr_t)nssfile_probed_parser(&probe);
}

/* Two lines the known rules read differently: "0x50" (base 0: 80; base
 * 10: refused), "12//tcp" (every slash: tcp; one: "/tcp").  */
#define PROBE_HEX "probehex 0x50/tcp\n"
#define PROBE_SLASH "probeslash 12//tcp\n"

/* The rules, from what libc's parser makes of the probe lines.  */
static int rules_from_parser(glibc_parser *fn, struct services_port_rules *r)
{
    char hex[] = PROBE_HEX, slash[] = PROBE_SLASH;
    char *data[16];
    struct servent se;
    int e = 0;
    int rc = fn(hex, &se, data, sizeof data, &e);
    if (rc == 1 && se.s_port == (int)htons(0x50))
        r->base = 0;
    else if (rc == 0)
        r->base = 10;
    else
        return -1;
    if (fn(slash, &se, data, sizeof data, &e) != 1 || se.s_port != (int)htons(12))
        return -1;
    if (strcmp(se.s_proto, "tcp") == 0)
        r->every_slash = 1;
    else if (strcmp(se.s_proto, "/tcp") == 0)
        r->every_slash = 0;
    else
        return -1;
    return 0;
}

/* The rules, from what nss_files itself answers over the probe lines: in a
 * child with a mount namespace of its own (a user namespace too when not
 * root), a file of them on a tmpfs of its own over /tmp, bind-mounted over
 * /etc/services, and services asked of `files` alone.  Nothing reaches
 * this process or the machine.  */
int services_port_rules_from_nss_files(struct services_port_rules *r)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(pipefd[0]);
        close(pipefd[1]);
        return -1;
    }
    if (pid == 0) {
        static const char probe[] = PROBE_HEX PROBE_SLASH, path[] = "/tmp/services";
        char got[2] = {'?', '?'};
        int fd = -1;
        if ((unshare(CLONE_NEWNS) == 0 || unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0) &&
            mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
            mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") == 0 &&
            (fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) >= 0 &&
            write(fd, probe, sizeof probe - 1) == (ssize_t)(sizeof probe - 1) &&
            close(fd) == 0 && mount(path, "/etc/services", NULL, MS_BIND, NULL) == 0 &&
            __nss_configure_lookup("services", "files") == 0) {
            struct servent *se = getservbyname("probehex", "tcp");
            got[0] = se ? (se->s_port == (int)htons(0x50) ? '0' : '?') : 'A';
            if ((se = getservbyname("probeslash", "/tcp")) && se->s_port == (int)htons(12))
                got[1] = '1';
            else if ((se = getservbyname("probeslash", "tcp")) && se->s_port == (int)htons(12))
                got[1] = 'E';
        }
        _exit(write(pipefd[1], got, 2) == 2 ? 0 : 1);
    }
    close(pipefd[1]);
    char got[2];
    ssize_t n;
    while ((n = read(pipefd[0], got, 2)) < 0 && errno == EINTR)
        ;
    close(pipefd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (n != 2 || (got[0] != '0' && got[0] != 'A') || (got[1] != '1' && got[1] != 'E'))
        return -1;
    r->base = got[0] == '0' ? 0 : 10;
    r->every_slash = got[1] == 'E';
    return 0;
}

int services_port_rules_detect(struct services_port_rules *r)
{
    glibc_parser *fn = libc_parser();
    if (fn && rules_from_parser(fn, r) == 0)
        return SERVICES_RULES_FROM_PARSER;
    if (services_port_rules_from_nss_files(r) == 0)
        return SERVICES_RULES_FROM_NSS_FILES;
    /* The newest glibc's: 2.43's.  */
    r->base = 10;
    r->every_slash = 0;
    return SERVICES_RULES_ASSUMED;
}

static struct services_port_rules current_rules;
static int have_rules;

const struct services_port_rules *services_port_rules_current(void)
{
    if (!have_rules) {
        services_port_rules_detect(&current_rules);
        have_rules = 1;
    }
    return &current_rules;
}

void services_port_rules_set(const struct services_port_rules *r)
{
    if (r)
        current_rules = *r;
    have_rules = r != NULL;
}

/* glibc's line parser `parser` on buf: the port in host order.  */
static int call_glibc(void *parser, char *buf, void *line, char ***aliases, void *data,
                      size_t datalen)
{
    struct services_line *out = line;
    struct servent se;
    int e = 0;
    int rc = ((glibc_parser *)(uintptr_t)parser)(buf, &se, data, datalen, &e);
    if (rc == 1) {
        memset(out, 0, sizeof *out);
        out->name = se.s_name;
        out->proto = se.s_proto;
        out->port = ntohs((uint16_t)se.s_port);
        *aliases = se.s_aliases;
    }
    return rc;
}

/* glibc's line parser where there is one (see the top), unless a test or
 * fuzzer asks for ours.  */
static void *use_glibc(void)
{
    return services_use_glibc ? (void *)(uintptr_t)libc_parser() : NULL;
}

static int parse_line(char *buf, void *line, const char **why)
{
    return parse_fields(buf, line, why);
}

int services_use_glibc = 1;

_Static_assert(offsetof(struct services_line, aliases) == offsetof(struct nssfile_line, aliases),
               "a services line begins as an nssfile line");
static const struct nssfile_reader reader = {
    .line_size = sizeof(struct services_line),
    .max_bytes = SERVICES_MAX_BYTES,
    .parse = parse_line,
    .glibc = use_glibc,
    .call = call_glibc,
};

int services_parse(const char *path, const void *data, size_t len, struct services_file *sf,
                   FILE *warn, char *err, size_t errlen)
{
    struct nssfile f;
    int rc = nssfile_parse(&reader, path, data, len, &f, warn, err, errlen);
    NSSFILE_MOVE(sf, f);
    return rc;
}

int services_read(const char *path, struct services_file *sf, FILE *warn,
                  char *err, size_t errlen)
{
    struct nssfile f;
    int rc = nssfile_read(&reader, path, &f, warn, err, errlen);
    NSSFILE_MOVE(sf, f);
    return rc;
}

void services_free(struct services_file *sf)
{
    struct nssfile f;
    NSSFILE_MOVE(&f, *sf);
    nssfile_free(&f, sizeof *sf->lines);
    memset(sf, 0, sizeof *sf);
}

int services_append(struct services_file *sf, struct services_file *more)
{
    size_t n = sf->nlines + more->nlines;
    if (more->nlines > SIZE_MAX / sizeof *sf->lines - sf->nlines)
        return -1;
    struct services_line *lines = realloc(sf->lines, (n ? n : 1) * sizeof *lines);
    if (!lines)
        return -1;
    sf->lines = lines;
    char **text = realloc(sf->text, (n ? n : 1) * sizeof *text);
    if (!text)
        return -1;
    sf->text = text;
    for (size_t i = 0; i < more->nlines; i++) {
        lines[sf->nlines + i] = more->lines[i];
        lines[sf->nlines + i].line += sf->nphys;
        text[sf->nlines + i] = more->text[i];
    }
    sf->nlines = n;
    sf->nphys += more->nphys;
    sf->rejected += more->rejected;
    free(more->lines);
    free(more->text);
    more->lines = NULL;
    more->text = NULL;
    more->nlines = 0;
    return 0;
}

/* A protocols(5) file as glibc's nss_files reads it: see protocols_file.h.
 * As services.c does for /etc/services: each physical line through
 * __nss_readline's step (nssfile.c), then through libc's own line parser
 * where libc exports it, parse_fields() below where it does not.  */
#define _GNU_SOURCE
#include "protocols_file.h"

#include <errno.h>
#include <netdb.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../vocab.h"

int protocols_file_use_glibc = 1;

/* INT_FIELD (p_proto, isspace, swallowing, base 10) of files-proto.c: NULL
 * with *number set, or why the line is refused.  */
static const char *number_field(char **linep, int32_t *number)
{
    char *line = *linep, *end;
    unsigned long long v = strtoull(line, &end, 10);
    /* Debian 12's glibc refuses what does not fit 32 bits ("-1" is
     * strtoul's largest value), where upstream 2.36 saturates it.  */
    if (v > 0xffffffffULL)
        return "protocol number out of range";
    if (end == line)
        return "no protocol number";
    if (nssfile_is_space(*end))
        do
            end++;
        while (nssfile_is_space(*end));
    else if (*end != '\0')
        return "protocol number followed by something other than white space";
    *number = (int32_t)(uint32_t)v;
    *linep = end;
    return NULL;
}

/* files-proto.c's line parser: 1 with *out filled, 2 for a line nss_files
 * rejects (*why says why), -1 when out of memory.  */
static int parse_fields(char *buf, struct protocols_line *out, const char **why)
{
    char *line = buf, *cut = strpbrk(line, "#\n");
    if (cut)
        *cut = '\0';
    memset(out, 0, sizeof *out);
    out->name = nssfile_string_field(&line);
    if ((*why = number_field(&line, &out->number)))
        return 2;
    return nssfile_list(line, &out->aliases, &out->nalias) < 0 ? -1 : 1;
}

typedef int glibc_parser(char *line, struct protoent *result, void *data, size_t datalen,
                         int *errnop);

/* libc's own parser, if it exports one that reads a plain line as any
 * nss_files does; NULL otherwise: whether it is there, not what one
 * glibc's rules make of an odd number (services.c).  */
static int protoent_parser_works(void *parser)
{
    glibc_parser *cand = (glibc_parser *)(uintptr_t)parser;
    char line[] = "probe 17 a b\n";
    char *data[16];
    struct protoent pe;
    int e = 0;
    return cand(line, &pe, data, sizeof data, &e) == 1 && strcmp(pe.p_name, "probe") == 0 &&
           pe.p_proto == 17 && pe.p_aliases[0] && strcmp(pe.p_aliases[1], "b") == 0 &&
           !pe.p_aliases[2];
}

static glibc_parser *libc_parser(void)
{
    static struct nssfile_parser_probe probe = {.symbol = "_nss_files_parse_protoent",
                                                .works = protoent_parser_works};
    return (glibc_parser *)(uintptr_t)nssfile_probed_parser(&probe);
}

/* glibc's line parser `parser` on buf.  */
static int call_glibc(void *parser, char *buf, void *line, char ***aliases, void *data,
                      size_t datalen)
{
    struct protocols_line *out = line;
    struct protoent pe;
    int e = 0;
    int rc = ((glibc_parser *)(uintptr_t)parser)(buf, &pe, data, datalen, &e);
    if (rc == 1) {
        memset(out, 0, sizeof *out);
        out->name = pe.p_name;
        out->number = pe.p_proto;
        *aliases = pe.p_aliases;
    }
    return rc;
}

/* glibc's line parser where there is one, unless a test or fuzzer asks
 * for ours.  */
static void *use_glibc(void)
{
    return protocols_file_use_glibc ? (void *)(uintptr_t)libc_parser() : NULL;
}

static int parse_line(char *buf, void *line, const char **why)
{
    return parse_fields(buf, line, why);
}

_Static_assert(offsetof(struct protocols_line, aliases) == offsetof(struct nssfile_line, aliases),
               "a protocols line begins as an nssfile line");
static const struct nssfile_reader reader = {
    .line_size = sizeof(struct protocols_line),
    .max_bytes = PROTOCOLS_FILE_MAX_BYTES,
    .parse = parse_line,
    .glibc = use_glibc,
    .call = call_glibc,
};

int protocols_file_parse(const char *path, const void *data, size_t len,
                         struct protocols_file *pf, FILE *warn, char *err, size_t errlen)
{
    struct nssfile f;
    int rc = nssfile_parse(&reader, path, data, len, &f, warn, err, errlen);
    NSSFILE_MOVE(pf, f);
    return rc;
}

int protocols_file_read(const char *path, struct protocols_file *pf, FILE *warn,
                        char *err, size_t errlen)
{
    struct nssfile f;
    int rc = nssfile_read(&reader, path, &f, warn, err, errlen);
    NSSFILE_MOVE(pf, f);
    return rc;
}

void protocols_file_free(struct protocols_file *pf)
{
    struct nssfile f;
    NSSFILE_MOVE(&f, *pf);
    nssfile_free(&f, sizeof *pf->lines);
    memset(pf, 0, sizeof *pf);
}

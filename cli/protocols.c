/* lookup --protocol, export --protocols: see protocols.h.  */
#define _GNU_SOURCE
#include "protocols.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* One protocols(5) line: name number aliases [# description].  */
static void print_line(FILE *out, const struct iana_db *db, uint32_t answer, int comment)
{
    struct iana_proto_view v;
    if (iana_db_proto(db, answer, &v) < 0)
        return;
    fprintf(out, "%-15s %-3d", v.names, (int)v.number);
    const char *a = v.names;
    for (unsigned i = 0; i < v.nalias; i++) {
        a += strlen(a) + 1;
        fprintf(out, " %s", a);
    }
    const char *desc = iana_db_proto_description(db, answer);
    if (comment && *desc) {
        /* On one line, whatever the registry's text holds.  */
        fputs("\t# ", out);
        for (int space = 0; *desc; desc++) {
            unsigned char c = (unsigned char)*desc;
            if (c <= ' ' || c == 0x7f) {
                space = 1;
                continue;
            }
            if (space)
                fputc(' ', out);
            fputc(c, out);
            space = 0;
        }
    }
    fputc('\n', out);
}

/* A number as getprotobynumber takes it: an int, in decimal.  */
static int as_number(const char *q, int *n)
{
    char *end;
    if (!*q || strspn(q + (*q == '-'), "0123456789") != strlen(q + (*q == '-')) || !q[*q == '-'])
        return 0;
    errno = 0;
    long v = strtol(q, &end, 10);
    if (errno || *end || v < INT_MIN || v > INT_MAX)
        return 0;
    *n = (int)v;
    return 1;
}

int protocols_lookup(const struct iana_db *db, const char *query, int verbose)
{
    int number;
    int64_t hit = as_number(query, &number) ? iana_db_proto_by_number(db, number)
                                            : iana_db_proto_by_name(db, query);
    struct iana_proto_view v;
    if (hit < 0 || iana_db_proto(db, (uint32_t)hit, &v) < 0) {
        fprintf(stderr, "iana-services: protocol %s: not found\n", query);
        return 0;
    }
    print_line(stdout, db, (uint32_t)hit, 0);
    if (verbose) {
        if (v.from_file) {
            printf("    %-12s %s line %u\n", "from", iana_db_protocols_path(db), v.line);
        } else {
            const char *desc = iana_db_proto_description(db, (uint32_t)hit);
            const char *ref = iana_db_proto_reference(db, (uint32_t)hit);
            if (*desc)
                printf("    %-12s %s\n", "description", desc);
            printf("    %-12s %s\n", "ipv6 ext hdr",
                   v.flags & IANA_PROTO_IPV6_EXT ? "yes (an IPv6 extension header)" : "no");
            if (v.flags & IANA_PROTO_DEPRECATED)
                printf("    %-12s %s\n", "deprecated", "yes (the registry says so)");
            if (*ref)
                printf("    %-12s %s\n", "reference", ref);
            printf("    %-12s %s line %u\n", "registry", iana_db_proto_source_path(db), v.line);
        }
    }
    return 1;
}

int protocols_export(FILE *out, const struct iana_db *db, int comments)
{
    uint32_t answer;
    fprintf(out, "# protocols(5) exported by nss-iana from IANA's Assigned Internet Protocol\n"
                 "# Numbers registry%s.\n",
            db->proto_file_count && !db->proto_from ? ", after the merged protocols file's lines"
                                                    : "");
    for (uint32_t c = 0; iana_db_proto_cursor_get(db, c, &answer); c++)
        print_line(out, db, answer, comments);
    return ferror(out) ? -1 : 0;
}

void protocols_summary(FILE *out, const struct build *b)
{
    if (!b->proto_read)
        return;
    const struct protocol_summary *s = &b->pset.summary;
    if (!b->proto_merged)
        fprintf(out, "  protocols file        none (--no-protocols-file): the registry alone, "
                     "for \"protocols: files iana\"\n");
    else if (!b->pf.present)
        fprintf(out, "  protocols file        %s: none there; the registry alone until one "
                     "appears\n", b->pf.path);
    else
        fprintf(out, "  protocols file        %s: %zu lines answer first, as nss_files reads "
                     "them; %zu lines it skips\n", b->pf.path, b->pf.nlines, b->pf.rejected);
    fprintf(out, "  protocol numbers      %s: %zu rows, %zu entries (%zu deprecated, %zu "
                 "named with hyphens); skipped %zu ranges, %zu without a keyword, %zu "
                 "reserved, %zu bad names, %zu names taken\n",
            b->preg.path, s->rows, s->entries, s->deprecated, s->hyphenated, s->skipped_range,
            s->skipped_unnamed, s->skipped_reserved, s->skipped_bad_name, s->skipped_duplicate);
}

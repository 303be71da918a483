/* db_dump DB: every answer the reader gives from a database, as text, so
 * that two builds of the reader (amd64, and another architecture under
 * qemu: tests/ports/cross.sh) can be compared with cmp.  In order:
 *
 *   the header's counts and what verify says;
 *   the enumeration, line by line (the services file's lines, then the
 *   registry's, range entries once per port);
 *   by name: every name and alias of every answer, as spelled and with its
 *   case flipped, for any protocol, each of the four, "TCP", "udplite" and
 *   its own protocol string;
 *   by port: every port 0-65535 for any protocol and each of the four
 *   (and, for any protocol, as a port with bits above the low 16);
 *   the metadata of every entry and every name without a port.
 *
 * Nothing here decides what is right: that is the other suites' job.  This
 * only has to say everything the reader says.  */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../db/reader.h"
#include "../../db/verify.h"

static const char *const protos[] = {NULL, "tcp", "udp", "sctp", "dccp", "TCP", "udplite"};
#define NPROTOS (sizeof protos / sizeof protos[0])

/* An answer as one line's tail: its index, names, port range, protocol
 * and file line.  */
static void answer(const struct iana_db *db, int64_t a)
{
    struct iana_view v;
    if (a < 0) {
        fputs(" -\n", stdout);
        return;
    }
    if (iana_db_answer(db, (uint32_t)a, &v) < 0) {
        printf(" %lld (does not decode)\n", (long long)a);
        return;
    }
    printf(" %lld", (long long)a);
    const char *p = v.names;
    for (unsigned i = 0; i <= v.nalias; i++, p += strlen(p) + 1)
        printf(" %s", p);
    printf(" %u-%u/%s line %u\n", v.port_lo, v.port_hi, v.proto_name, v.line);
}

static void by_name(const struct iana_db *db, const char *name, const char *own_proto)
{
    for (size_t k = 0; k <= NPROTOS; k++) {
        const char *proto = k < NPROTOS ? protos[k] : own_proto;
        printf("name %s/%s", name, proto ? proto : "(any)");
        answer(db, iana_db_service_by_name(db, name, proto));
    }
}

int main(int argc, char **argv)
{
    struct iana_db db;
    const char *why = NULL;
    if (argc != 2) {
        fprintf(stderr, "usage: db_dump DB\n");
        return 2;
    }
    if (iana_db_open(argv[1], &db, &why) < 0) {
        fprintf(stderr, "db_dump: %s: %s\n", argv[1], why ? why : "cannot open");
        return 1;
    }
    const uint64_t answers = (uint64_t)db.file_count + db.entry_count;
    printf("entries %u lines %u name_keys %u ports %u tuples %u portless %u file_lines %u\n",
           db.entry_count, db.enum_count, db.name_keys, db.port_count, db.tuple_count,
           db.portless_count, db.file_count);
    printf("services state %u size %llu hash %016llx\n", db.services.state,
           (unsigned long long)db.services.size, (unsigned long long)db.services.hash);
    printf("source %s\nservices %s\n", iana_db_source_path(&db), iana_db_services_path(&db));
    printf("verify %s\n", iana_db_verify(&db, &why) == 0 ? "ok" : why);

    struct iana_cursor c = {0};
    uint32_t a;
    uint16_t port;
    /* Bounded, should a damaged file make the cursor go round.  */
    const uint64_t lines = (uint64_t)db.file_count + db.enum_count;
    for (uint64_t n = 0; n <= lines && iana_db_cursor_get(&db, &c, &a, &port); n++) {
        printf("enum %u", port);
        answer(&db, a);
        iana_db_cursor_next(&db, &c);
    }

    for (uint64_t i = 0; i < answers; i++) {
        struct iana_view v;
        if (iana_db_answer(&db, (uint32_t)i, &v) < 0)
            continue;
        const char *p = v.names;
        for (unsigned k = 0; k <= v.nalias; k++, p += strlen(p) + 1) {
            char flipped[256];
            size_t n = 0;
            for (; p[n] && n + 1 < sizeof flipped; n++)
                flipped[n] = (char)(((p[n] | 0x20) >= 'a' && (p[n] | 0x20) <= 'z') ? p[n] ^ 0x20
                                                                                   : p[n]);
            flipped[n] = '\0';
            by_name(&db, p, v.proto_name);
            by_name(&db, flipped, v.proto_name);
        }
    }

    for (uint32_t p = 0; p < 65536; p++) {
        for (size_t k = 0; k < 5; k++) {
            printf("port %u/%s", p, protos[k] ? protos[k] : "(any)");
            answer(&db, iana_db_service_by_port(&db, (uint16_t)p, false, protos[k]));
        }
        printf("port %u+65536/(any)", p);
        answer(&db, iana_db_service_by_port(&db, (uint16_t)p, true, NULL));
    }

    for (uint32_t i = 0; i < db.entry_count; i++)
        for (int f = 0; f < IANA_NMETA; f++)
            printf("meta %u %d %s\n", i, f, iana_db_meta(&db, i, (enum iana_meta_field)f));
    for (uint32_t i = 0; i < db.portless_count; i++) {
        const char *name = iana_db_portless_name(&db, i);
        printf("portless %u %s at %lld", i, name, (long long)iana_db_portless(&db, name));
        for (int f = 0; f < IANA_NMETA; f++)
            printf(" | %s", iana_db_portless_meta(&db, i, (enum iana_meta_field)f));
        putchar('\n');
    }
    iana_db_close(&db);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

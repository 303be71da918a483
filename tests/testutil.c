#define _GNU_SOURCE
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../db/writer.h"

static char tmpdir[64];

static void cleanup(void)
{
    char cmd[128];
    if (tmpdir[0] && getpid() == (pid_t)strtol(strrchr(tmpdir, '-') + 1, NULL, 10)) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
    }
}

const char *tu_tmpdir(void)
{
    if (!tmpdir[0]) {
        char tmpl[] = "/tmp/nss-iana-test-XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        /* Name it after our pid so forked children leave it alone.  */
        snprintf(tmpdir, sizeof tmpdir, "%s-%d", tmpl, (int)getpid());
        assert_int_equal(rename(tmpl, tmpdir), 0);
        atexit(cleanup);
    }
    return tmpdir;
}

char *tu_write(const char *name, const void *data, size_t len)
{
    char *path;
    assert_true(asprintf(&path, "%s/%s", tu_tmpdir(), name) > 0);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

uint8_t *tu_build_merged(const char *csv, const char *services, size_t *len)
{
    struct registry reg;
    struct entry_set set;
    struct services_file sf;
    char err[256];
    uint8_t *bytes;
    if (registry_parse("test.csv", csv, strlen(csv), &reg, err, sizeof err) != 0)
        fail_msg("parse: %s", err);
    assert_int_equal(registry_entries(&reg, &set, NULL), 0);
    if (services && services_parse("services", services, strlen(services), &sf, NULL, err,
                                   sizeof err) != 0)
        fail_msg("services: %s", err);
    const struct db_sources src = {
        .set = &set,
        .source_sha256 = reg.sha256,
        .services = services ? &sf : NULL,
        .services_path = services ? "/etc/services" : NULL,
    };
    if (db_build(&src, &bytes, len, err, sizeof err) != 0)
        fail_msg("build: %s", err);
    if (services)
        services_free(&sf);
    entry_set_free(&set);
    registry_free(&reg);
    return bytes;
}

uint8_t *tu_build(const char *csv, size_t *len)
{
    return tu_build_merged(csv, NULL, len);
}

char *tu_compile(const char *name, const char *csv)
{
    size_t len;
    uint8_t *bytes = tu_build(csv, &len);
    char *path = tu_write(name, bytes, len);
    free(bytes);
    return path;
}

void tu_view(const uint8_t *bytes, size_t len, struct iana_db *db)
{
    const char *why = NULL;
    if (iana_db_view(bytes, len, db, &why) != 0)
        fail_msg("view: %s", why);
}

const char *tu_describe(const struct iana_db *db, int64_t entry)
{
    static char out[128];
    struct iana_view v;
    if (entry < 0)
        return "-";
    assert_int_equal(iana_db_entry(db, (uint32_t)entry, &v), 0);
    snprintf(out, sizeof out, "%s %u/%s", v.names, v.port_lo, iana_proto_name(v.proto));
    return out;
}

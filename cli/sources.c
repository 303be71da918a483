/* DB.sources: see sources.h.  */
#define _GNU_SOURCE
#include "sources.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db/writer.h"
#include "build.h"

char *sources_path(const char *db)
{
    char *p;
    return asprintf(&p, "%s.sources", db) < 0 ? NULL : p;
}

void sources_free(struct sources *s)
{
    free(s->registry);
    free(s->services);
    free(s->site);
    free(s->protocols);
    free(s->protocols_file);
    memset(s, 0, sizeof *s);
}

/* A database of format 2 (iana-services 0.1.0) may have been compiled with
 * `--local FILE`, whose lines it held: the path of FILE, or NULL.  Read
 * from that format's header (the path's offset in META_STRINGS at byte
 * 52, META_STRINGS's offset and size at bytes 96 and 100, little-endian),
 * every offset checked; the file need not verify.  */
static char *format2_local_file(const char *db)
{
    FILE *f = fopen(db, "rbe");
    unsigned char h[104];
    char *path = NULL;
    if (!f)
        return NULL;
    if (fread(h, 1, sizeof h, f) == sizeof h && memcmp(h, IANA_MAGIC, IANA_MAGIC_LEN) == 0) {
        const unsigned char *w[] = {h + 8, h + 52, h + 96, h + 100};
        uint32_t v[4];
        for (int i = 0; i < 4; i++)
            v[i] = (uint32_t)w[i][0] | (uint32_t)w[i][1] << 8 | (uint32_t)w[i][2] << 16 |
                   (uint32_t)w[i][3] << 24;
        uint32_t version = v[0], local = v[1], meta_off = v[2], meta_size = v[3];
        char buf[4096];
        if (version == 2 && local && local < meta_size &&
            fseek(f, (long)meta_off + (long)local, SEEK_SET) == 0) {
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            buf[n] = '\0';
            if (n && strnlen(buf, n) < n && buf[0] == '/')
                path = strdup(buf);
        }
    }
    fclose(f);
    return path;
}

/* DB.sources parsed into s: 1 read, 0 there is none, -1 it could not be
 * read or is not what sources_save writes (*why says which line).  */
static int parse_file(const char *path, struct sources *s, char *why, size_t whylen)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned lineno = 0;
    int rc = 1;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (n && line[n - 1] == '\n')
            line[--n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        char *value = strchr(line, ' ');
        char **slot = NULL;
        if (value)
            *value++ = '\0';
        if (value && strcmp(line, "registry") == 0)
            slot = &s->registry;
        else if (value && strcmp(line, "services") == 0)
            slot = &s->services;
        else if (value && strcmp(line, "site") == 0)
            slot = &s->site;
        else if (value && strcmp(line, "protocols") == 0)
            slot = &s->protocols;
        else if (value && strcmp(line, "protocols-file") == 0)
            slot = &s->protocols_file;
        else if (value)
            continue; /* a key of a later version: not ours to judge */
        int may_be_none = slot == &s->services || slot == &s->protocols_file;
        if (!slot || *slot || (value[0] != '/' && !(may_be_none && strcmp(value, "none") == 0))) {
            snprintf(why, whylen, "line %u is not KEY /PATH, or repeats its key", lineno);
            rc = -1;
            break;
        }
        if (slot == &s->services || slot == &s->protocols_file) {
            *(slot == &s->services ? &s->services_known : &s->protocols_known) = 1;
            if (strcmp(value, "none") == 0)
                continue;
        }
        if (!(*slot = strdup(value))) {
            snprintf(why, whylen, "%s", strerror(ENOMEM));
            rc = -1;
            break;
        }
    }
    if (rc > 0 && ferror(f)) {
        snprintf(why, whylen, "%s", strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}

int sources_load(const char *db, const struct iana_db *cur, struct sources *s, const char *who)
{
    char why[256];
    char *path = sources_path(db);
    memset(s, 0, sizeof *s);
    if (!path)
        return -1;
    int rc = parse_file(path, s, why, sizeof why);
    if (rc > 0) {
        free(path);
        return 0;
    }
    sources_free(s);
    if (rc < 0)
        fprintf(stderr, "iana-services: %s: warning: %s: %s; compiling from what %s records "
                        "instead\n", who, path, why, db);
    free(path);

    if (cur) {
        const char *reg = iana_db_source_path(cur), *sv = build_services_of(cur);
        const char *preg = iana_db_proto_source_path(cur), *pf = build_protocols_of(cur);
        s->services_known = 1;
        s->protocols_known = cur->proto_count > 0; /* else a database before protocols */
        if ((*reg && !(s->registry = strdup(reg))) || (sv && !(s->services = strdup(sv))) ||
            (*preg && !(s->protocols = strdup(preg))) ||
            (s->protocols_known && pf && !(s->protocols_file = strdup(pf)))) {
            sources_free(s);
            return -1;
        }
        return 0;
    }
    /* An upgrade from 0.1.0: the site's names were inside the database.
     * They stay merged, after the services file's lines, as 0.1.0
     * answered them after nss_files' (services: files iana).  */
    s->site = format2_local_file(db);
    if (s->site)
        fprintf(stderr, "iana-services: %s: %s was compiled by iana-services 0.1.0 with --local "
                        "%s: that file's lines are merged after %s's, as they were answered "
                        "before\n", who, db, s->site, IANA_SERVICES_FILE);
    return 0;
}

char *sources_text(const char *db, const struct sources *s, size_t *outlen, char *err,
                   size_t errlen)
{
    const char *const paths[] = {s->registry, s->services, s->site, s->protocols,
                                 s->protocols_file};
    for (size_t i = 0; i < 5; i++)
        if (paths[i] && (strchr(paths[i], '\n') || paths[i][0] != '/')) {
            snprintf(err, errlen, "%s: cannot be recorded in %s.sources (not an absolute path "
                                  "on one line)", paths[i], db);
            return NULL;
        }
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        snprintf(err, errlen, "%s: %s", db, strerror(ENOMEM));
        return NULL;
    }
    fprintf(out, "# Written by iana-services with %s: what it was compiled from, which\n"
                 "# compile (with no CSV) and update compile again.  Set by compile's\n"
                 "# options (CSV, --services, --no-services, --no-site, --protocols,\n"
                 "# --protocols-file, --no-protocols-file).\n", db);
    if (s->registry)
        fprintf(out, "registry %s\n", s->registry);
    fprintf(out, "services %s\n", s->services ? s->services : "none");
    if (s->site)
        fprintf(out, "site %s\n", s->site);
    if (s->protocols)
        fprintf(out, "protocols %s\n", s->protocols);
    if (s->protocols_known)
        fprintf(out, "protocols-file %s\n", s->protocols_file ? s->protocols_file : "none");
    if (fclose(out) != 0) {
        free(text);
        snprintf(err, errlen, "%s: %s", db, strerror(ENOMEM));
        return NULL;
    }
    *outlen = len;
    return text;
}

int sources_save(const char *db, const struct sources *s, char *err, size_t errlen)
{
    size_t len;
    char *path = sources_path(db), *text = path ? sources_text(db, s, &len, err, errlen) : NULL;
    int rc = -1;
    if (!path)
        snprintf(err, errlen, "%s: %s", db, strerror(ENOMEM));
    else if (text)
        rc = db_write_file(path, (const uint8_t *)text, len, err, errlen);
    free(text);
    free(path);
    return rc;
}

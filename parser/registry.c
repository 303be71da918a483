/* The services registry's CSV -> rows: the columns it has, and the checks
 * of a row's port and protocol.  The CSV itself is read by table.c.  */
#define _GNU_SOURCE
#include "registry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

static const char *const column_names[NCOLUMNS] = {
    [COL_NAME] = "Service Name",
    [COL_PORT] = "Port Number",
    [COL_PROTO] = "Transport Protocol",
    [COL_DESCRIPTION] = "Description",
    [COL_ASSIGNEE] = "Assignee",
    [COL_CONTACT] = "Contact",
    [COL_REGISTERED] = "Registration Date",
    [COL_MODIFIED] = "Modification Date",
    [COL_REFERENCE] = "Reference",
    [COL_NOTES] = "Assignment Notes",
};

/* Columns without which the file is not the port registry.  */
static const unsigned required[] = {COL_NAME, COL_PORT, COL_PROTO};

struct rows_state {
    struct registry *reg;
    size_t cap;
};

static int parse_port(const char *s, uint16_t *out)
{
    unsigned long v = 0;
    if (!*s || strlen(s) > 5)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    if (v > 65535)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

static int parse_proto(const char *s)
{
    static const char *const names[IANA_NPROTO] = {"tcp", "udp", "sctp", "dccp"};
    if (!*s)
        return PROTO_BLANK;
    for (int p = 0; p < IANA_NPROTO; p++)
        if (iana_ascii_caseeq(s, names[p]))
            return p;
    return -2;
}

static void check_row(struct table_parse *tp, struct registry_row *row)
{
    const char *port = row->col[COL_PORT];
    if (*port) {
        char lo[8];
        const char *dash = strchr(port, '-');
        size_t n = dash ? (size_t)(dash - port) : strlen(port);
        if (n >= sizeof lo) {
            table_fail(tp, row->line, "bad port number \"%s\"", port);
            return;
        }
        memcpy(lo, port, n);
        lo[n] = '\0';
        if (parse_port(lo, &row->port_lo) < 0 ||
            parse_port(dash ? dash + 1 : lo, &row->port_hi) < 0) {
            table_fail(tp, row->line, "bad port number \"%s\"", port);
            return;
        }
        if (row->port_hi < row->port_lo) {
            table_fail(tp, row->line, "reversed port range \"%s\"", port);
            return;
        }
        row->has_port = 1;
    }
    row->proto = parse_proto(row->col[COL_PROTO]);
    if (row->proto == -2)
        table_fail(tp, row->line, "unknown transport protocol \"%s\"", row->col[COL_PROTO]);
}

static void take_row(struct table_parse *tp, unsigned line, char **col, void *ctx)
{
    struct rows_state *rs = ctx;
    struct registry *reg = rs->reg;
    if (reg->nrows == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 1024;
        struct registry_row *rows = reallocarray(reg->rows, cap, sizeof *rows);
        if (!rows) {
            table_fail(tp, line, "%s", strerror(ENOMEM));
            return;
        }
        reg->rows = rows;
        rs->cap = cap;
    }
    struct registry_row *row = &reg->rows[reg->nrows++];
    memset(row, 0, sizeof *row);
    row->line = line;
    memcpy(row->col, col, sizeof row->col);
    check_row(tp, row);
}

static const struct table_spec spec = {
    .columns = column_names,
    .ncolumns = NCOLUMNS,
    .required = required,
    .nrequired = sizeof required / sizeof required[0],
    .max_bytes = REGISTRY_MAX_BYTES,
    .what = "a port registry",
    .record = take_row,
};

int registry_parse(const char *path, const void *data, size_t len,
                   struct registry *reg, char *err, size_t errlen)
{
    struct rows_state rs = {.reg = reg};
    memset(reg, 0, sizeof *reg);
    if (!(reg->path = strdup(path))) {
        snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
        return -1;
    }
    table_sha256(data, len, reg->sha256);
    return table_parse(&spec, path, data, len, &reg->text, &rs, err, errlen);
}

int registry_read(const char *path, struct registry *reg, char *err, size_t errlen)
{
    char *buf;
    size_t len;
    memset(reg, 0, sizeof *reg);
    if (table_slurp(path, REGISTRY_MAX_BYTES, &buf, &len, err, errlen) < 0)
        return -1;
    int rc = registry_parse(path, buf, len, reg, err, errlen);
    free(buf);
    return rc;
}

const char *registry_newest_date(const struct registry *reg)
{
    const char *newest = "";
    for (size_t i = 0; i < reg->nrows; i++)
        for (int c = COL_REGISTERED; c <= COL_MODIFIED; c++)
            if (strcmp(reg->rows[i].col[c], newest) > 0)
                newest = reg->rows[i].col[c];
    return newest;
}

void registry_free(struct registry *reg)
{
    table_text_free(&reg->text);
    free(reg->rows);
    free(reg->path);
    memset(reg, 0, sizeof *reg);
}

const char *registry_name_problem(const char *name)
{
    return table_name_problem(name);
}

int registry_name_ok(const char *name)
{
    return table_name_problem(name) == NULL;
}

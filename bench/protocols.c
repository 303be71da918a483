/* The proto.* rows: getprotobyname_r and getprotobynumber_r through
 * glibc against nss_files over netbase's /etc/protocols, which is what
 * stock Debian answers from.  One child in `unshare -m` with netbase's
 * file bind-mounted over /etc/protocols, the backends switched with
 * __nss_configure_lookup("protocols", ...) and taking turns round by round:
 *
 *   proto.files.netbase   protocols: files
 *   proto.files_iana      protocols: files iana, a database without the
 *                         file (compile --no-protocols-file)
 *   proto.iana_files      protocols: iana [!UNAVAIL=return] files, a
 *                         database that merged netbase's file
 *
 * Queries (fixed seed): by name, half the names and aliases of netbase's
 * file, a fifth those only the registry has, a tenth one of those in upper
 * case, the rest strings no one has; by number, uniform over 0-299 (the
 * registry assigns 0-255 but for a range, netbase's file names about 60).
 * Each row's ratio is to proto.files.netbase, per round.  */
#include <netdb.h>
#include <nss.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

#define PROTO_QUERIES 4000
#define PROTO_BACKENDS 3

static const char *const proto_lines[PROTO_BACKENDS] = {"files", "files iana",
                                                  "iana [!UNAVAIL=return] files"};
static const char *const labels[PROTO_BACKENDS] = {"proto.files.netbase", "proto.files_iana",
                                                   "proto.iana_files"};

static char **names;
static size_t nnames;
static int numbers[PROTO_QUERIES];

static uint64_t rng = SEED ^ 0x9507;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* The names of a protocols(5) file (its first two fields skipped: the
 * number), or of an export --protocols.  */
static void read_names(const char *path, char ***out, size_t *n)
{
    FILE *f = fopen(path, "re");
    if (!f)
        die("%s: cannot read", path);
    char line[4096];
    size_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "#\n")] = '\0';
        char *save = NULL;
        int field = 0;
        for (char *t = strtok_r(line, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
            if (field++ == 1)
                continue;
            if (*n == cap)
                *out = xrealloc(*out, (cap = cap ? cap * 2 : 64) * sizeof **out);
            (*out)[(*n)++] = xstrdup(t);
        }
    }
    fclose(f);
}

static void make_proto_queries(const char *netbase, const char *registry_export)
{
    char **file = NULL, **reg = NULL;
    size_t nf = 0, nr = 0;
    read_names(netbase, &file, &nf);
    read_names(registry_export, &reg, &nr);
    if (!nf || !nr)
        die("no protocol names to ask for");
    names = xmalloc(PROTO_QUERIES * sizeof *names);
    for (size_t i = 0; i < PROTO_QUERIES; i++) {
        unsigned pick = (unsigned)(next_rand() % 100);
        char *s;
        if (pick < 50) {
            s = xstrdup(file[next_rand() % nf]);
        } else if (pick < 80) {
            s = xstrdup(reg[next_rand() % nr]);
            if (pick >= 70) /* upper case: the case-insensitive step */
                for (char *p = s; *p; p++)
                    *p = *p >= 'a' && *p <= 'z' ? (char)(*p - 32) : *p;
        } else {
            s = xasprintf("noproto-%llu", (unsigned long long)(next_rand() % 100000));
        }
        names[i] = s;
        numbers[i] = (int)(next_rand() % 300);
    }
    nnames = PROTO_QUERIES;
    for (size_t i = 0; i < nf; i++)
        free(file[i]);
    for (size_t i = 0; i < nr; i++)
        free(reg[i]);
    free(file);
    free(reg);
}

static unsigned long pass(int by_number, unsigned long *errors)
{
    char buf[BUFLEN];
    unsigned long hits = 0;
    for (size_t i = 0; i < nnames; i++) {
        struct protoent pe, *res = NULL;
        int rc = by_number ? getprotobynumber_r(numbers[i], &pe, buf, sizeof buf, &res)
                           : getprotobyname_r(names[i], &pe, buf, sizeof buf, &res);
        hits += rc == 0 && res;
        *errors += rc != 0;
    }
    return hits;
}

static void use(size_t b)
{
    if (__nss_configure_lookup("protocols", proto_lines[b]) != 0)
        die("__nss_configure_lookup(protocols, %s) failed", proto_lines[b]);
}

int protocols_child_main(const char *netbase, const char *registry_export, unsigned rounds)
{
    make_proto_queries(netbase, registry_export);
    static const char *const kind[2] = {"protobyname", "protobynumber"};
    for (int k = 0; k < 2; k++) {
        double *sample[PROTO_BACKENDS];
        struct result r[PROTO_BACKENDS];
        unsigned long errors[PROTO_BACKENDS] = {0};
        for (size_t b = 0; b < PROTO_BACKENDS; b++) {
            use(b);
            r[b] = (struct result){.ops = nnames, .reps = 1, .rounds = rounds, .pair = -1};
            r[b].hits = pass(k, &errors[b]); /* loads the module, warms the caches */
            sample[b] = xmalloc(rounds * sizeof(double));
        }
        double *ratio[PROTO_BACKENDS];
        for (size_t b = 0; b < PROTO_BACKENDS; b++)
            ratio[b] = xmalloc(rounds * sizeof(double));
        for (unsigned j = 0; j < rounds; j++)
            for (size_t b = 0; b < PROTO_BACKENDS; b++) {
                use(b);
                unsigned long e = 0;
                pass(k, &e); /* this backend's data back in the caches */
                double t0 = now_ns();
                pass(k, &errors[b]);
                sample[b][j] = (now_ns() - t0) / (double)nnames;
                ratio[b][j] = sample[b][j] / sample[0][j];
            }
        for (size_t b = 0; b < PROTO_BACKENDS; b++) {
            r[b].med = median(sample[b], rounds);
            r[b].min = vmin(sample[b], rounds);
            r[b].max = vmax(sample[b], rounds);
            r[b].errors = errors[b];
            if (b > 0) {
                r[b].pair = median(ratio[b], rounds);
                snprintf(r[b].ref, sizeof r[b].ref, "%s.%s", labels[0], kind[k]);
            }
            char label[64];
            snprintf(label, sizeof label, "%s.%s", labels[b], kind[k]);
            print_row(label, &r[b]);
            free(sample[b]);
            free(ratio[b]);
        }
    }
    return 0;
}

void protocols_rows(bool root_ns, const char *rundir, const char *tool)
{
    if (!root_ns) {
        add_note("proto.*: skipped (needs root and unshare -m to bind-mount netbase's file over "
                 "/etc/protocols)");
        return;
    }
    char *netbase = netbase_file(rundir, "protocols");
    if (!netbase)
        return;
    char *reg = xasprintf("%s/proto-registry.db", rundir);
    char *merged = xasprintf("%s/proto-merged.db", rundir);
    char *exp = xasprintf("%s/proto-registry.export", rundir);
    char *t = (char *)tool;
    char *regonly[] = {t, "compile", "--no-services", "--no-protocols-file", "--output", reg, NULL};
    char *merge[] = {t, "compile", "--no-services", "--protocols-file", netbase, "--output",
                     merged, NULL};
    char *export[] = {"sh", "-c", "\"$0\" export --protocols --db \"$1\" > \"$2\"", t, reg, exp,
                      NULL};
    if (run(regonly, NULL, NULL) != 0 || run(merge, NULL, NULL) != 0 ||
        run(export, NULL, NULL) != 0) {
        add_note("proto.*: skipped (compiling or exporting the databases failed)");
        goto out;
    }
    /* files iana answers from the registry-only database, iana_files from
     * the merged one: two children, each with its database; the files rows
     * of the second are the ones kept (the first's are labelled apart).  */
    char rs[32];
    snprintf(rs, sizeof rs, "%u", settings.rounds);
    char *sh = "mount --bind \"$1\" /etc/protocols || exit 1; shift; exec \"$@\"";
    char *env = xasprintf("NSS_IANA_DB=%s", merged), *env_reg = xasprintf("NSS_IANA_DB=%s", reg);
    char *argv[] = {"unshare", "-m", "sh", "-c", sh, "sh", netbase, "env", env, settings.self_exe,
                    "--protocols-child", netbase, exp, "--rounds", rs, NULL};
    fprintf(stderr, "bench: measuring protocols (netbase's /etc/protocols) ...\n");
    char *out;
    for (int side = 0; side < 2; side++) {
        argv[8] = side ? env : env_reg;
        if (run(argv, &out, NULL) != 0) {
            add_note("proto.*: the child failed");
            free(out);
            break;
        }
        for (char *save = NULL, *ln = strtok_r(out, "\n", &save); ln;
             ln = strtok_r(NULL, "\n", &save)) {
            struct row row;
            if (!parse_row(ln, &row))
                continue;
            /* The registry-only database serves files iana; the merged
             * one iana_files; files is the same either way.  */
            bool keep = side ? !strstr(row.label, "files_iana") : !!strstr(row.label, "files_iana");
            if (keep)
                add_row(row.label, row.r);
            free(row.label);
        }
        free(out);
    }
    free(env);
    free(env_reg);
out:
    free(netbase);
    free(reg);
    free(merged);
    free(exp);
}

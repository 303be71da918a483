/* The report: the rows, scaling lines and notes the children and the
 * orchestrator collected, printed as a table, one BENCH line per row, and
 * a PASS/FAIL/SKIP verdict per target.  */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

struct row *rows;
size_t nrows;
static char **notes;
static size_t nnotes;
struct scale scales[MAX_SCALES];
size_t nscales;
static struct pair {
    char a[64], b[64];
    double ratio;
} *pairs;
static size_t npairs;

static const struct scale *find_scale(const char *label)
{
    for (size_t i = 0; i < nscales; i++)
        if (strcmp(scales[i].label, label) == 0)
            return &scales[i];
    return NULL;
}

/* The 1-minute load average.  */
double loadavg(void)
{
    double l = NAN;
    FILE *f = fopen("/proc/loadavg", "re");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = NAN;
        fclose(f);
    }
    return l;
}

void add_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    notes = xrealloc(notes, (nnotes + 1) * sizeof *notes);
    notes[nnotes++] = s;
}

void add_row(const char *label, struct result r)
{
    rows = xrealloc(rows, (nrows + 1) * sizeof *rows);
    rows[nrows++] = (struct row){xstrdup(label), r};
}

static const struct result *find_row(const char *label)
{
    for (size_t i = 0; i < nrows; i++)
        if (strcmp(rows[i].label, label) == 0)
            return &rows[i].r;
    return NULL;
}

static double med_of(const char *label)
{
    const struct result *r = find_row(label);
    return r ? r->med : NAN;
}

bool parse_row(const char *line, struct row *out)
{
    char label[256];
    struct result r = {0};
    if (sscanf(line, "ROW label=%255s ns=%lf min=%lf max=%lf ops=%zu reps=%u rounds=%u hits=%lu "
                     "errors=%lu pair=%lf",
               label, &r.med, &r.min, &r.max, &r.ops, &r.reps, &r.rounds, &r.hits, &r.errors,
               &r.pair) != 10)
        return false;
    const char *ref = strstr(line, " ref=");
    if (ref && sscanf(ref, " ref=%63s", r.ref) != 1)
        r.ref[0] = '\0';
    out->label = xstrdup(label);
    out->r = r;
    return true;
}

bool parse_pair(const char *line)
{
    struct pair p;
    if (sscanf(line, "PAIR a=%63s b=%63s ratio=%lf", p.a, p.b, &p.ratio) != 3)
        return false;
    pairs = xrealloc(pairs, (npairs + 1) * sizeof *pairs);
    pairs[npairs++] = p;
    return true;
}

/* The floor row a row is compared with.  */
static const char *floor_of(const char *label)
{
    static const char *const kinds[][2] = {
        {".byname", "floor.glibc.byname"},
        {".byport", "floor.glibc.byport"},
        {".enum", "floor.glibc.enum"},
        {".first_call", "floor.first_call"},
        {".first_lookup", "getent.floor.first_lookup"},
        {".mixed.1thread", "floor.glibc.mixed.1thread"},
        {".mixed.2threads", "floor.glibc.mixed.2threads"},
        {".mixed.2processes", "floor.glibc.mixed.2processes"},
    };
    size_t len = strlen(label);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t k = strlen(kinds[i][0]);
        if (len > k && strcmp(label + len - k, kinds[i][0]) == 0)
            return kinds[i][1];
    }
    return NULL;
}

/* Ratio to the floor: measured round by round beside it where it was (the
 * same process, rounds taking turns), else the ratio of the medians.  */
static double ratio_to_floor(const char *label)
{
    const struct result *r = find_row(label);
    const char *f = floor_of(label);
    if (!r)
        return NAN;
    if (r->pair >= 0 && strncmp(r->ref, "floor.", 6) == 0)
        return r->pair;
    double fm = f ? med_of(f) : NAN;
    return fm > 0 ? r->med / fm : NAN;
}

/* How many times faster row `fast` is than row `slow`: the median of
 * per-round ratios where the two took turns in one process (*paired),
 * else the ratio of their medians, from separate processes of this run.  */
static double times_faster(const char *fast, const char *slow, bool *paired)
{
    const struct result *f = find_row(fast), *s = find_row(slow);
    *paired = true;
    if (!f || !s)
        return NAN;
    if (f->pair > 0 && strcmp(f->ref, slow) == 0)
        return 1 / f->pair;
    if (s->pair > 0 && strcmp(s->ref, fast) == 0)
        return s->pair;
    for (size_t i = 0; i < npairs; i++) {
        if (strcmp(pairs[i].a, fast) == 0 && strcmp(pairs[i].b, slow) == 0)
            return 1 / pairs[i].ratio;
        if (strcmp(pairs[i].a, slow) == 0 && strcmp(pairs[i].b, fast) == 0)
            return pairs[i].ratio;
    }
    *paired = false;
    return f->med > 0 ? s->med / f->med : NAN;
}

static void fmt_ns(char *buf, size_t n, double ns)
{
    if (isnan(ns))
        snprintf(buf, n, "-");
    else if (ns >= 1e6)
        snprintf(buf, n, "%.2f ms", ns / 1e6);
    else if (ns >= 1e4)
        snprintf(buf, n, "%.1f us", ns / 1e3);
    else
        snprintf(buf, n, "%.1f ns", ns);
}

struct target {
    const char *name;
    const char *what;
    double value;
    const char *op; /* "<=", ">=" or "<" */
    double limit;
    const char *unit;
    char detail[160];
};

static const char *verdict(const struct target *t)
{
    if (isnan(t->value))
        return "SKIP";
    bool pass = strcmp(t->op, "<=") == 0 ? t->value <= t->limit
              : strcmp(t->op, ">=") == 0 ? t->value >= t->limit
                                         : t->value < t->limit;
    return pass ? "PASS" : "FAIL";
}

static void detail_vs(struct target *t, double a, double b, const char *suffix)
{
    char x[32], y[32];
    fmt_ns(x, sizeof x, a);
    fmt_ns(y, sizeof y, b);
    snprintf(t->detail, sizeof t->detail, "%s vs %s%s", x, y, suffix);
}

static void print_table(void)
{
    char gai[160], gai4[160];
    int ng = gai_lookups();
    snprintf(gai, sizeof gai, "getaddrinfo(NULL, name, AF_UNSPEC) as installed, per call: %d "
             "lookups (tcp udp dccp udplite sctp sctp%s)", ng, ng == 7 ? " mptcp" : "");
    snprintf(gai4, sizeof gai4, "getaddrinfo(NULL, name, AF_INET, AI_PASSIVE) as installed, per "
             "call: a server's bind address, the same %d lookups, nothing to sort", ng);
    const char *const sections[][2] = {
        {"by name (random names, aliases, upper case, misses; every protocol and none)", "byname"},
        {"by port (registry ports and uniform 0-65535; every protocol and none)", "byport"},
        {gai, "gai"},
        {gai4, "gai4"},
        {"enumeration: setservent/getservent_r/endservent, per line", "enum"},
        {"one thread, two threads, two processes (mixed name+port), aggregate per op", "thread"},
        {"first lookup in a new process: the first getservbyname_r in-process", "first_call"},
        {"first lookup in a new process: `getent -s B services http`, spawn to exit", "first_lookup"},
        {"getprotobyname_r (netbase's names and aliases, the registry's, upper case, misses), "
         "netbase's /etc/protocols", "protobyname"},
        {"getprotobynumber_r (uniform 0-299), netbase's /etc/protocols", "protobynumber"},
    };
    printf("%-30s %12s %8s %9s %5s %22s %7s\n", "row", "per op", "x floor", "ops/pass", "reps",
           "min .. max", "hits");
    for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++) {
        printf("-- %s\n", sections[s][0]);
        for (size_t i = 0; i < nrows; i++) {
            const char *l = rows[i].label, *dot = strrchr(l, '.');
            bool thread = strstr(l, ".mixed.") != NULL;
            bool in = strcmp(sections[s][1], "thread") == 0 ? thread
                                                            : !thread && strcmp(dot + 1, sections[s][1]) == 0;
            if (!in)
                continue;
            const struct result *r = &rows[i].r;
            double x = ratio_to_floor(l);
            char a[32], lo[32], hi[32], mm[80], xs[16], hs[24];
            fmt_ns(a, sizeof a, r->med);
            fmt_ns(lo, sizeof lo, r->min);
            fmt_ns(hi, sizeof hi, r->max);
            snprintf(mm, sizeof mm, "%s .. %s", lo, hi);
            snprintf(xs, sizeof xs, isnan(x) ? "-" : "%.2f", x);
            snprintf(hs, sizeof hs, "%lu", r->hits);
            printf("%-30s %12s %8s %9zu %5u %22s %7s%s\n", l, a, xs, r->ops, r->reps, mm,
                   thread || strstr(l, "first") ? "-" : hs, r->errors ? " ERRORS" : "");
        }
    }
}

void report(const struct run_facts *facts)
{
    size_t queries = settings.queries, ncs = facts->ncs;
    unsigned rounds = settings.rounds;
    double cmed = facts->cmed, dbsize = facts->dbsize;
    const double *csample = facts->csample;
    printf("\nnss-iana benchmark: %zu name + %zu port queries (seed %#llx) from %zu export lines "
           "(%zu aliases); median of %u rounds\n",
           queries, queries, (unsigned long long)SEED, nlines, naliases, rounds);
    printf("glibc rows: getservbyname_r/getservbyport_r/getservent_r, __nss_configure_lookup(\"services\", B);\n"
           "*.installed, inst.* rows: the services line of a bind-mounted /etc/nsswitch.conf instead "
           "(inst.*: /etc/services bind-mounted too)\n"
           "x floor: per-round ratio to the floor measured in the same process where it was, else of medians\n\n");
    print_table();

    /* The protocols rows: each against nss_files over netbase's file,
     * per round in the same process.  */
    for (size_t i = 0; i < nrows; i++) {
        const struct result *r = &rows[i].r;
        if (strncmp(rows[i].label, "proto.", 6) == 0 && r->pair > 0)
            printf("%-30s %8.2fx as fast as %s (median of per-round ratios)\n", rows[i].label,
                   1 / r->pair,
                   r->ref);
    }
    printf("-- whole registry, one enumeration\n");
    for (size_t i = 0; i < nrows; i++) {
        const char *l = rows[i].label, *dot = strrchr(l, '.');
        if (dot && strcmp(dot, ".enum") == 0) {
            char a[32];
            fmt_ns(a, sizeof a, rows[i].r.med * (double)rows[i].r.ops);
            printf("%-30s %12s  %lu lines\n", l, a, rows[i].r.ops);
        }
    }
    printf("-- two threads against one: throughput ratios (medians of per-round ratios)\n");
    printf("   control: the same loop in two processes (fork) at once: what the machine gives two\n"
           "   of anything; threads/control below 1 is the code (shared writes, locks), not the machine\n");
    for (size_t i = 0; i < nscales; i++) {
        const struct scale *p = &scales[i];
        printf("%-14s 2 threads %5.2fx  2 processes %5.2fx  threads/control %.2f  CPU/op %.1f ns "
               "-> %.1f (threads), %.1f (processes)\n",
               p->label, p->speedup, p->control, p->speedup / p->control, p->cpu1, p->cpu2, p->cpup);
    }
    printf("-- build\n");
    if (ncs)
        printf("%-30s %9.1f ms  median of %zu (%.1f .. %.1f)\n", "compile full CSV", cmed / 1e6,
               ncs, vmin(csample, ncs) / 1e6, vmax(csample, ncs) / 1e6);
    printf("%-30s %9.0f B   (%.1f KiB)\n", "database size", dbsize, dbsize / 1024);

    /* Machine-readable: one line per row.  */
    printf("\n");
    for (size_t i = 0; i < nrows; i++) {
        const struct result *r = &rows[i].r;
        printf("BENCH name=%s ns_per_op=%.1f ratio_to_floor=%.3f min=%.1f max=%.1f ops=%zu reps=%u "
               "rounds=%u hits=%lu errors=%lu\n",
               rows[i].label, r->med, ratio_to_floor(rows[i].label), r->min, r->max, r->ops, r->reps,
               r->rounds, r->hits, r->errors);
    }
    for (size_t i = 0; i < nscales; i++)
        printf("BENCH name=scaling.%s speedup_2_threads=%.3f speedup_2_processes=%.3f "
               "threads_over_processes=%.3f cpu_ns_per_op_1_thread=%.1f cpu_ns_per_op_2_threads=%.1f "
               "cpu_ns_per_op_2_processes=%.1f cpus_busy_2_threads=%.2f\n",
               scales[i].label, scales[i].speedup, scales[i].control,
               scales[i].speedup / scales[i].control, scales[i].cpu1, scales[i].cpu2,
               scales[i].cpup, scales[i].parallelism);
    printf("BENCH name=compile.full_csv ms=%.2f runs=%zu\n", cmed / 1e6, ncs);
    printf("BENCH name=db.size bytes=%.0f\n", dbsize);

    /* Sanity: the module and the reader answer the same queries.  */
    const struct result *gn = find_row("iana.glibc.byname"), *dn = find_row("iana.direct.byname");
    const struct result *gp = find_row("iana.glibc.byport"), *dp = find_row("iana.direct.byport");
    const struct result *e_iana = find_row("iana.glibc.enum"), *e_files = find_row("files.export.enum");
    if (gn && dn && gn->ops == dn->ops && gn->hits != dn->hits)
        add_note("iana.glibc.byname and iana.direct.byname found %lu and %lu", gn->hits, dn->hits);
    if (gp && dp && gp->ops == dp->ops && gp->hits != dp->hits)
        add_note("iana.glibc.byport and iana.direct.byport found %lu and %lu", gp->hits, dp->hits);
    if (e_iana && e_iana->ops != nlines)
        add_note("iana.glibc.enum listed %zu lines, the export has %zu", e_iana->ops, nlines);
    for (size_t i = 0; i < nrows; i++)
        if (rows[i].r.errors)
            add_note("%s: %lu calls failed with something other than not-found", rows[i].label,
                     rows[i].r.errors);

    /* Targets.  */
    const struct scale *si = find_scale("iana.glibc"), *sf = find_scale("floor.glibc");
    const struct scale *sd = find_scale("iana.direct");
    double gi = med_of("getent.iana.first_lookup"), gf = med_of("getent.files.first_lookup");
    /* The by-name and by-port limit, which the note on iana.noindex below
     * turns into what it leaves an index.  */
    const double lookup_limit = 1.6;
    struct target t[] = {
        {"byname_vs_floor", "by name through glibc / floor", ratio_to_floor("iana.glibc.byname"), "<=", lookup_limit, "x", ""},
        {"byport_vs_floor", "by port through glibc / floor", ratio_to_floor("iana.glibc.byport"), "<=", lookup_limit, "x", ""},
        {"enum_vs_files", "enumeration / nss_files over the export",
         e_iana && e_files ? e_iana->med / e_files->med : NAN, "<=", 0.5, "x", ""},
        {"compile_ms", "compile the full CSV", cmed / 1e6, "<", 50, "ms", ""},
        {"db_size_mib", "database size", dbsize / 1048576.0, "<", 1.0, "MiB", ""},
        {"first_lookup_vs_files", "first lookup, new process / nss_files over /etc/services",
         gi / gf, "<=", 1.0, "x", ""},
        {"two_threads_speedup", "two threads / one, iana through glibc (throughput)",
         si ? si->speedup : NAN, ">=", 1.8, "x", ""},
        /* As installed: how many times faster than stock Debian's files,
         * and than files over the whole registry.  */
        {"gai_installed_vs_files_netbase", "getaddrinfo: inst.files.netbase / inst.iana_files",
         NAN, ">=", 20, "x", ""},
        {"byname_installed_vs_files_netbase", "by name: inst.files.netbase / inst.iana_files",
         NAN, ">=", 20, "x", ""},
        {"byport_installed_vs_files_netbase", "by port: inst.files.netbase / inst.iana_files",
         NAN, ">=", 20, "x", ""},
        {"gai_installed_vs_files_fullreg", "getaddrinfo: inst.files.fullreg / inst.iana_files",
         NAN, ">=", 1000, "x", ""},
        {"byname_installed_vs_files_fullreg", "by name: inst.files.fullreg / inst.iana_files",
         NAN, ">=", 1000, "x", ""},
        {"byport_installed_vs_files_fullreg", "by port: inst.files.fullreg / inst.iana_files",
         NAN, ">=", 1000, "x", ""},
        {"gai4_installed_vs_files_netbase", "getaddrinfo, AF_INET passive: files.netbase / iana_files",
         NAN, ">=", 20, "x", ""},
        {"gai4_installed_vs_files_fullreg", "getaddrinfo, AF_INET passive: files.fullreg / iana_files",
         NAN, ">=", 1000, "x", ""},
        /* As installed (nsswitch.conf, which glibc stats on every call):
         * what the module adds to a lookup against one that does nothing.  */
        {"byname_installed_vs_floor", "by name as installed / the floor as installed",
         ratio_to_floor("iana.installed.byname"), "<=", 1.15, "x", ""},
        {"byport_installed_vs_floor", "by port as installed / the floor as installed",
         ratio_to_floor("iana.installed.byport"), "<=", 1.15, "x", ""},
    };
    for (size_t i = 7; i < 13; i++) {
        static const char *const kind[] = {"gai", "byname", "byport"};
        char fast[64], slow[64];
        bool paired;
        snprintf(fast, sizeof fast, "inst.iana_files.%s", kind[(i - 7) % 3]);
        snprintf(slow, sizeof slow, "inst.files.%s.%s", i < 10 ? "netbase" : "fullreg",
                 kind[(i - 7) % 3]);
        t[i].value = times_faster(fast, slow, &paired);
        detail_vs(&t[i], med_of(fast), med_of(slow), paired ? ", per round" : ", medians");
    }
    for (size_t i = 13; i < 15; i++) {
        bool paired;
        const char *fast = "inst.iana_files.gai4";
        const char *slow = i == 13 ? "inst.files.netbase.gai4" : "inst.files.fullreg.gai4";
        t[i].value = times_faster(fast, slow, &paired);
        detail_vs(&t[i], med_of(fast), med_of(slow), paired ? ", per round" : ", medians");
    }
    detail_vs(&t[0], med_of("iana.glibc.byname"), med_of("floor.glibc.byname"), "");
    detail_vs(&t[1], med_of("iana.glibc.byport"), med_of("floor.glibc.byport"), "");
    detail_vs(&t[2], e_iana ? e_iana->med * (double)e_iana->ops : NAN,
              e_files ? e_files->med * (double)e_files->ops : NAN, " a pass");
    detail_vs(&t[5], gi, gf, "");
    if (si)
        snprintf(t[6].detail, sizeof t[6].detail,
                 "2 processes %.2fx; 2 threads: floor %.2fx, iana direct %.2fx", si->control,
                 sf ? sf->speedup : NAN, sd ? sd->speedup : NAN);
    printf("\nTargets:\n");
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        printf("  %-4s %-55s %8.3f %-3s (target %s %g)  %s\n", verdict(&t[i]), t[i].what,
               isnan(t[i].value) ? 0.0 : t[i].value, t[i].unit, t[i].op, t[i].limit,
               isnan(t[i].value) ? "not measured" : t[i].detail);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        printf("BENCH_TARGET name=%s value=%.4f unit=%s target=%s%g result=%s\n", t[i].name,
               t[i].value, t[i].unit, t[i].op, t[i].limit, verdict(&t[i]));

    if (si && si->control < 1.8)
        add_note("two processes running the iana loop got %.2fx one thread's throughput, not 2x: "
                 "the machine did not give two of anything two cores' worth during the run (other "
                 "work, or vCPUs that are hyperthreads of one core), so the two-thread target was "
                 "out of reach for any code; threads reached %.2f of what processes did",
                 si->control, si->speedup / si->control);
    double in = ratio_to_floor("iana.installed.byname"), ip = ratio_to_floor("iana.installed.byport");
    if (!isnan(in) && !isnan(ip))
        add_note("as installed (the services line of /etc/nsswitch.conf, which glibc stats on "
                 "every call unless __nss_configure_lookup was called): iana is %.2fx the floor by "
                 "name and %.2fx by port, %.0f ns and %.0f ns a lookup against %.0f ns and %.0f ns; "
                 "the targets above are the module measured without that check",
                 in, ip, med_of("iana.installed.byname"), med_of("iana.installed.byport"),
                 med_of("floor.installed.byname"), med_of("floor.installed.byport"));
    double dg = med_of("inst.iana_files.gai"), db1 = med_of("inst.iana_files.byname");
    int ng = gai_lookups();
    if (!isnan(dg) && !isnan(db1))
        add_note("getaddrinfo asks the services backend %d times a call (tcp, udp, dccp, udplite, "
                 "sctp twice%s); of inst.iana_files' %.1f us a call about %.1f us are not those "
                 "lookups (its by-name time %d times over taken away): glibc's own work under any "
                 "services line, which keeps any backend under about %.0fx inst.files.netbase's "
                 "getaddrinfo here",
                 ng, ng == 7 ? ", mptcp" : "", dg / 1e3, (dg - ng * db1) / 1e3, ng,
                 med_of("inst.files.netbase.gai") / (dg - ng * db1));
    double nn = ratio_to_floor("iana.noindex.byname"), np = ratio_to_floor("iana.noindex.byport");
    if (!isnan(nn) && !isnan(np)) {
        /* What the limit leaves an index on this machine: below zero, no
         * index can meet it, however fast.  */
        double room_n = (lookup_limit - nn) * med_of("floor.glibc.byname"),
               room_p = (lookup_limit - np) * med_of("floor.glibc.byport");
        add_note("the module around its index: iana.noindex (nss_iana.c answering what the index "
                 "would, without looking anything up) is %.2fx the floor by name and %.2fx by port; "
                 "the index adds %.1f ns and %.1f ns a lookup, where the %.1fx targets leave it "
                 "%.1f ns and %.1f ns on this machine%s",
                 nn, np, med_of("iana.glibc.byname") - med_of("iana.noindex.byname"),
                 med_of("iana.glibc.byport") - med_of("iana.noindex.byport"), lookup_limit,
                 room_n, room_p,
                 room_n <= 0 || room_p <= 0 ? " (no index can meet a target with no room)" : "");
    }
    if (sf && sd && sf->speedup < 0.9 * sf->control && sd->speedup >= 0.9 * sd->control)
        add_note("glibc's NSS dispatch does not scale: the floor (a module that does nothing) gets "
                 "%.2fx from two threads against %.2fx from two processes, while the reader called "
                 "without glibc gets %.2fx from two threads: a cost every backend pays",
                 sf->speedup, sf->control, sd->speedup);
    if (!(facts->load_start < 0.5 * (double)facts->ncpu) ||
        !(facts->load_end < 0.5 * (double)facts->ncpu))
        add_note("the machine was busy (load average %.2f at the start, %.2f at the end, %ld "
                 "CPUs): absolute times are noisy; ratios taken round by round less so",
                 facts->load_start, facts->load_end, facts->ncpu);
    if (nnotes) {
        printf("\nNotes:\n");
        for (size_t i = 0; i < nnotes; i++)
            printf("  - %s\n", notes[i]);
    }
    printf("\nTimes depend on the machine and its neighbours; `make bench-profile` counts "
           "instructions.\nbench: done in %.1f s\n", (now_ns() - facts->t_start) / 1e9);
}

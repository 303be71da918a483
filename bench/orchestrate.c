/* The orchestrator: runs a child of this binary per group of backends
 * (under `unshare -m` with a file bind-mounted where a backend needs one),
 * times compiles and first lookups in new processes, and hands everything
 * to report().  */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/bench.h"

struct settings settings = {.queries = DEFAULT_QUERIES, .rounds = 7};

void run_child(char *const prefix[], const char *spec, struct child_opts o)
{
    char *argv[40];
    size_t n = 0;
    for (size_t i = 0; prefix && prefix[i]; i++)
        argv[n++] = prefix[i];
    char qs[32], rs[32];
    snprintf(qs, sizeof qs, "%zu", settings.queries);
    snprintf(rs, sizeof rs, "%u", settings.rounds);
    argv[n++] = settings.self_exe;
    argv[n++] = "--backend";
    argv[n++] = (char *)spec;
    argv[n++] = "--export";
    argv[n++] = settings.export_path;
    argv[n++] = "--queries";
    argv[n++] = qs;
    argv[n++] = "--rounds";
    argv[n++] = rs;
    if (o.threads)
        argv[n++] = "--threads";
    if (o.check_http)
        argv[n++] = "--check-http";
    if (o.nsswitch) {
        argv[n++] = "--nsswitch";
        argv[n++] = (char *)o.nsswitch;
    }
    if (o.gai) {
        argv[n++] = "--gai";
        argv[n++] = (char *)o.gai;
    }
    argv[n] = NULL;
    fprintf(stderr, "bench: measuring %s ...\n", spec);
    char *out;
    int rc = run(argv, &out, NULL);
    for (char *save = NULL, *ln = strtok_r(out, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        struct row row;
        if (parse_row(ln, &row)) {
            add_row(row.label, row.r);
            free(row.label);
        } else if (strncmp(ln, "SCALE ", 6) == 0 && nscales < sizeof scales / sizeof scales[0]) {
            struct scale *p = &scales[nscales];
            if (sscanf(ln, "SCALE label=%63s speedup=%lf control=%lf cpu1=%lf cpu2=%lf cpup=%lf "
                           "parallelism=%lf",
                       p->label, &p->speedup, &p->control, &p->cpu1, &p->cpu2, &p->cpup,
                       &p->parallelism) == 7)
                nscales++;
        } else if (strncmp(ln, "SKIP ", 5) == 0) {
            add_note("%s: skipped (%s)", spec, ln + 5);
        } else {
            parse_pair(ln); /* PAIR lines; nothing else is ours */
        }
    }
    free(out);
    if (rc != 0 && rc != 3)
        add_note("%s: the child exited with status %d", spec, rc);
}

bool write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "we");
    if (!f)
        return false;
    bool ok = fputs(text, f) != EOF;
    return fclose(f) == 0 && ok;
}

static bool can_unshare(void)
{
    if (geteuid() != 0)
        return false;
    char *argv[] = {"unshare", "-m", "true", NULL};
    return run(argv, NULL, NULL) == 0;
}

/* The makedb input the libnss-db package's /var/lib/misc/Makefile writes
 * for services (its awk, FS="[ \t/]+"): "0N line", ".name/proto line",
 * ".name/ line", "=port/proto line", "=port/ line", and the same two for
 * each alias.  */
static bool write_makedb_input(const char *in, const char *out)
{
    FILE *f = fopen(in, "re"), *o = fopen(out, "we");
    if (!f || !o) {
        if (f)
            fclose(f);
        if (o)
            fclose(o);
        return false;
    }
    char *buf = NULL;
    size_t cap = 0;
    unsigned long cnt = 0;
    while (getline(&buf, &cap, f) > 0) {
        buf[strcspn(buf, "\n")] = '\0';
        const char *s = buf + strspn(buf, " \t");
        if (*s == '\0' || *s == '#')
            continue;
        fprintf(o, "0%lu %s\n", cnt++, buf);
        char *copy = xstrdup(buf), *save = NULL;
        char *fld[64];
        size_t nf = 0;
        for (char *t = strtok_r(copy, " \t/", &save); t && nf < 64; t = strtok_r(NULL, " \t/", &save))
            fld[nf++] = t;
        if (nf >= 3) {
            fprintf(o, ".%s/%s %s\n.%s/ %s\n", fld[0], fld[2], buf, fld[0], buf);
            fprintf(o, "=%s/%s %s\n=%s/ %s\n", fld[1], fld[2], buf, fld[1], buf);
            for (size_t i = 3; i < nf && fld[i][0] != '#'; i++)
                fprintf(o, ".%s/%s %s\n.%s/ %s\n", fld[i], fld[2], buf, fld[i], buf);
        }
        free(copy);
    }
    free(buf);
    fclose(f);
    return fclose(o) == 0;
}

/* First lookups in fresh processes, interleaved: `getent -s B services
 * http` (wall, spawn to exit) and this binary's --first-call B (the first
 * getservbyname_r alone, in-process).  */
void first_lookups(void)
{
    static const char *const be[] = {"floor", "iana", "files"};
    enum { NB = 3 };
    double *wall[NB], *call[NB];
    size_t nw[NB] = {0}, nc[NB] = {0};
    for (int b = 0; b < NB; b++) {
        wall[b] = xmalloc(PROCESS_RUNS * sizeof(double));
        call[b] = xmalloc(PROCESS_RUNS * sizeof(double));
    }
    for (int i = 0; i <= PROCESS_RUNS; i++) {
        for (int b = 0; b < NB; b++) {
            char *g[] = {"getent", "-s", (char *)be[b], "services", "http", NULL};
            double t;
            int rc = run(g, NULL, &t);
            if (i == 0 && rc != 0) /* the first run of each is untimed: a check */
                add_note("getent -s %s services http exited %d", be[b], rc);
            if (i > 0 && rc == 0)
                wall[b][nw[b]++] = t;
            char *f[] = {settings.self_exe, "--first-call", (char *)be[b], NULL};
            char *out;
            double ns;
            rc = run(f, &out, NULL);
            if (i > 0 && rc == 0 && sscanf(out, "FIRST ns=%lf", &ns) == 1)
                call[b][nc[b]++] = ns;
            free(out);
        }
    }
    for (int b = 0; b < NB; b++) {
        if (nw[b]) {
            char *l = xasprintf("getent.%s.first_lookup", be[b]);
            add_row(l, (struct result){median(wall[b], nw[b]), vmin(wall[b], nw[b]),
                                       vmax(wall[b], nw[b]), 1, 1, (unsigned)nw[b], 1, 0, -1, ""});
            free(l);
        }
        if (nc[b]) {
            char *l = xasprintf("%s.first_call", be[b]);
            add_row(l, (struct result){median(call[b], nc[b]), vmin(call[b], nc[b]),
                                       vmax(call[b], nc[b]), 1, 1, (unsigned)nc[b], 1, 0, -1, ""});
            free(l);
        }
        free(wall[b]);
        free(call[b]);
    }
}

/* First lookups as an installed module gets them: found through the
 * dynamic linker's cache, not by searching LD_LIBRARY_PATH (ten failed
 * opens of glibc-hwcaps and tls directories, for libc as well, in every
 * new process, which no installed module pays).  As root: a cache that
 * also lists the build directories, bind-mounted over /etc/ld.so.cache in
 * `unshare -m`, and LD_LIBRARY_PATH unset for every backend alike.  */
static void installed_first_lookups_with(bool root_ns, const char *rundir, const char *bdir,
                                         const char *bbdir, char *mount_sh);

/* FS_IMMUTABLE_FL on or off; false where the file system or the user
 * cannot.  */
static bool set_immutable(const char *path, bool on)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), flags = 0;
    bool ok = fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
    flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
    ok = ok && ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* The database as the tools leave the system's: immutable, so the module
 * maps it shared instead of copying it into each process (which the
 * first lookup of a process would pay).  A copy in the run directory, or
 * NULL where the attribute cannot be set.  */
static char *immutable_copy(const char *rundir)
{
    const char *path = getenv("NSS_IANA_DB");
    char *copy = xasprintf("%s/installed.db", rundir);
    char *cp[] = {"cp", (char *)path, copy, NULL};
    if (path && run(cp, NULL, NULL) == 0 && set_immutable(copy, true))
        return copy;
    unlink(copy);
    free(copy);
    return NULL;
}

static void installed_first_lookups(bool root_ns, const char *rundir, const char *bdir,
                                    const char *bbdir, char *mount_sh)
{
    char *saved_db = xstrdup(getenv("NSS_IANA_DB"));
    char *imm = immutable_copy(rundir);
    if (imm) {
        setenv("NSS_IANA_DB", imm, 1);
        add_note("first lookups: iana's database immutable, as the tools leave the system's "
                 "(mapped shared, not copied into the process)");
    } else {
        add_note("first lookups: iana's database is not immutable here (needs root and a file "
                 "system with the attribute): each process copies it, as it would on such a "
                 "system");
    }
    installed_first_lookups_with(root_ns, rundir, bdir, bbdir, mount_sh);
    if (imm) {
        set_immutable(imm, false);
        unlink(imm);
        free(imm);
    }
    setenv("NSS_IANA_DB", saved_db, 1);
    free(saved_db);
}

static void installed_first_lookups_with(bool root_ns, const char *rundir, const char *bdir,
                                         const char *bbdir, char *mount_sh)
{
    char *conf = xasprintf("%s/ld.so.conf", rundir), *cache = xasprintf("%s/ld.so.cache", rundir);
    FILE *f = fopen(conf, "we");
    bool ok = root_ns && in_path("ldconfig") && f &&
              fprintf(f, "include /etc/ld.so.conf.d/*.conf\n%s\n%s\n", bbdir, bdir) > 0;
    if (f && fclose(f) != 0)
        ok = false;
    char *ldc[] = {"ldconfig", "-X", "-C", cache, "-f", conf, NULL};
    if (ok && run(ldc, NULL, NULL) == 0) {
        char *argv[] = {"unshare", "-m", "sh", "-c", mount_sh, "sh", cache, "/etc/ld.so.cache",
                        "env", "-u", "LD_LIBRARY_PATH", settings.self_exe, "--first-lookups", NULL};
        char *out;
        int rc = run(argv, &out, NULL);
        size_t got = 0;
        for (char *save = NULL, *ln = strtok_r(out, "\n", &save); ln;
             ln = strtok_r(NULL, "\n", &save)) {
            struct row row;
            if (parse_row(ln, &row)) {
                add_row(row.label, row.r);
                free(row.label);
                got++;
            }
        }
        free(out);
        if (rc == 0 && got) {
            add_note("first lookups: modules found through a dynamic linker cache listing the "
                     "build directories (bind-mounted over /etc/ld.so.cache), no LD_LIBRARY_PATH, "
                     "as when installed");
            free(conf);
            free(cache);
            return;
        }
        add_note("first lookups: the run with a private linker cache failed (status %d); "
                 "measured with LD_LIBRARY_PATH instead", rc);
    } else {
        add_note("first lookups: measured with LD_LIBRARY_PATH (needs root, unshare -m and "
                 "ldconfig for a private linker cache): every new process searches its "
                 "directories, which an installed module does not");
    }
    free(conf);
    free(cache);
    first_lookups();
}

int orchestrate(const char *build, const char *dbp, const char *tool, const char *csv)
{
    char *bdir = absolute(build), *dbpath = absolute(dbp), *toolpath = absolute(tool);
    char *csvpath = absolute(csv);
    char *bbdir = xasprintf("%s/bench", bdir);
    char *rundir = xasprintf("%s/run", bbdir);
    mkdir(rundir, 0755);
    char *ld = xasprintf("%s:%s", bbdir, bdir);
    setenv("LD_LIBRARY_PATH", ld, 1);
    setenv("NSS_IANA_DB", dbpath, 1);
    struct run_facts facts = {.t_start = now_ns(), .load_start = loadavg(),
                              .ncpu = sysconf(_SC_NPROCESSORS_ONLN)};

    /* The export: the query source, nss_files' file and makedb's input.  */
    char *export_path = settings.export_path = xasprintf("%s/services.export", rundir);
    {
        char *argv[] = {toolpath, "export", "--db", dbpath, NULL};
        char *out;
        if (run(argv, &out, NULL) != 0)
            die("%s export failed", toolpath);
        FILE *f = fopen(export_path, "we");
        if (!f || fputs(out, f) == EOF || fclose(f) != 0)
            die("%s: cannot write", export_path);
        free(out);
    }
    load_export(export_path);
    char *enum_n = xasprintf("%zu", nlines);
    setenv("NSS_FLOOR_ENUM", enum_n, 1); /* the floor enumerates as many lines */

    /* The floor, iana through glibc and the reader, side by side.  */
    run_child(NULL, "floor:floor.glibc,iana:iana.glibc,noindex:iana.noindex,direct:iana.direct",
              (struct child_opts){.threads = true, .check_http = true});

    bool root_ns = can_unshare();
    char *mount_sh = "mount --bind \"$1\" \"$2\" && shift 2 && exec \"$@\"";
    if (root_ns) {
        char *pre[] = {"unshare", "-m", "sh", "-c", mount_sh, "sh", export_path, "/etc/services", NULL};
        run_child(pre, "files:files.export", (struct child_opts){.check_http = true});
    } else {
        add_note("files.export: skipped (needs root and unshare -m to bind-mount the export over "
                 "/etc/services)");
    }
    run_child(NULL, "files:files.etc", (struct child_opts){0});

    /* As installed: the services line of /etc/nsswitch.conf (a file of the
     * run directory bind-mounted over it), which glibc stats on every call
     * when nothing called __nss_configure_lookup.  */
    if (root_ns) {
        char *conf = xasprintf("%s/nsswitch.conf", rundir);
        if (!write_file(conf, "services: floor\n"))
            die("%s: cannot write", conf);
        char *pre[] = {"unshare", "-m", "sh", "-c", mount_sh, "sh", conf, "/etc/nsswitch.conf", NULL};
        run_child(pre, "floor:floor.installed,iana:iana.installed",
                  (struct child_opts){.check_http = true, .nsswitch = conf});
        free(conf);
    } else {
        add_note("*.installed: skipped (needs root and unshare -m to bind-mount over "
                 "/etc/nsswitch.conf)");
    }

    /* As real systems are installed: getaddrinfo and both lookups under
     * stock Debian's services line and file, and the alternatives.  */
    installed_rows(root_ns, rundir, toolpath, csvpath);
    protocols_rows(root_ns, rundir, toolpath);

    /* libnss-db over the export: makedb into run/misc, bind-mounted over
     * /var/lib/misc where libnss_db looks for services.db.  */
    char *misc = xasprintf("%s/misc", rundir);
    char *mdb_in = xasprintf("%s/makedb.in", rundir);
    char *mdb_out = xasprintf("%s/services.db", misc);
    mkdir(misc, 0755);
    unlink(mdb_out);
    struct stat sb;
    if (!in_path("makedb")) {
        add_note("db.export: skipped (no makedb: Debian package libnss-db)");
    } else if (!root_ns) {
        add_note("db.export: skipped (needs root and unshare -m to bind-mount over /var/lib/misc)");
    } else if (stat("/var/lib/misc", &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        add_note("db.export: skipped (/var/lib/misc is not a directory)");
    } else if (!write_makedb_input(export_path, mdb_in)) {
        add_note("db.export: skipped (cannot write %s)", mdb_in);
    } else {
        char *argv[] = {"makedb", "--quiet", "-o", mdb_out, mdb_in, NULL};
        if (run(argv, NULL, NULL) != 0) {
            add_note("db.export: skipped (makedb failed)");
        } else {
            char *pre[] = {"unshare", "-m", "sh", "-c", mount_sh, "sh", misc, "/var/lib/misc", NULL};
            run_child(pre, "db:db.export", (struct child_opts){.check_http = true});
        }
    }

    /* Compiling the full CSV.  */
    fprintf(stderr, "bench: compile, database size, first lookups ...\n");
    char *cdb = xasprintf("%s/compile.db", rundir);
    double *csample = facts.csample;
    size_t ncs = 0;
    for (int i = 0; i < COMPILE_RUNS; i++) {
        unlink(cdb);
        char *argv[] = {toolpath, "compile", "--output", cdb, csvpath, NULL};
        double t;
        if (run(argv, NULL, &t) == 0)
            csample[ncs++] = t;
    }
    unlink(cdb);
    if (ncs == 0)
        add_note("compile: every run failed");
    facts.ncs = ncs;
    facts.cmed = ncs ? median(csample, ncs) : NAN;
    struct stat dbst;
    facts.dbsize = stat(dbpath, &dbst) == 0 ? (double)dbst.st_size : NAN;
    installed_first_lookups(root_ns, rundir, bdir, bbdir, mount_sh);
    facts.load_end = loadavg();

    report(&facts);
    return 0;
}

/* The inst.* rows: getaddrinfo(NULL, name, AF_UNSPEC), getservbyname_r and
 * getservbyport_r as real systems are configured.  The services line comes
 * from /etc/nsswitch.conf, which glibc 2.36 stats on every call when
 * nothing called __nss_configure_lookup, and /etc/services is the file the
 * system ships; both are bind-mounted in `unshare -m`:
 *
 *   inst.files.netbase   services: files, netbase's /etc/services (stock Debian)
 *   inst.files.fullreg   services: files, an /etc/services of the whole
 *                        registry (what Arch, Fedora and NixOS ship from
 *                        iana-etc): the export of a registry-only database
 *   inst.files_iana      services: files iana, a registry-only database
 *   inst.iana_files      services: iana [!UNAVAIL=return] files, a database
 *                        merged with netbase's file (compile --services),
 *                        which answers as `files iana` does
 *
 * inst.files.netbase, inst.iana_files and inst.files.fullreg take turns in
 * one process (the last with its own file over /etc/services while it is
 * measured), so the ratios between them are taken round by round;
 * inst.files_iana needs a database of its own, so a process of its own.
 * Every file is under the run directory; the mounts end with their
 * namespace.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"

/* Bind-mount pairs "FROM TO" up to "--", then run the rest.  */
static char binds_sh[] = "while [ \"$1\" != -- ]; do mount --bind \"$1\" \"$2\" || exit 1; "
                         "shift 2; done; shift; exec \"$@\"";

static bool copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "re");
    if (!in)
        return false;
    FILE *out = fopen(to, "we");
    bool ok = out != NULL;
    char buf[65536];
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    ok = ok && !ferror(in);
    fclose(in);
    if (out && fclose(out) != 0)
        ok = false;
    return ok;
}

/* argv's standard output into `path`.  */
static bool run_to_file(char *const argv[], const char *path)
{
    char *out;
    bool ok = run(argv, &out, NULL) == 0 && write_file(path, out);
    free(out);
    return ok;
}

/* This machine's /etc/NAME, if dpkg says netbase owns it and that it is as
 * netbase shipped it.  */
static bool etc_file_is_netbase(const char *name)
{
    char *owner[] = {"sh", "-c", "dpkg -S \"/etc/$0\" 2>/dev/null", (char *)name, NULL};
    char *verify[] = {"sh", "-c", "dpkg --verify netbase 2>&1", NULL};
    char *out;
    bool ok = run(owner, &out, NULL) == 0 && strncmp(out, "netbase: ", 9) == 0;
    free(out);
    if (!ok)
        return false;
    /* A changed conffile is listed as "??5?????? c /etc/services"; exit
     * status 1 may be about another of netbase's files.  */
    char *listed = xasprintf(" /etc/%s", name);
    int rc = run(verify, &out, NULL);
    ok = (rc == 0 || rc == 1) && !strstr(out, listed);
    free(listed);
    free(out);
    return ok;
}

char *netbase_file(const char *rundir, const char *name)
{
    const char *which = strcmp(name, "services") == 0 ? "inst.*" : "proto.*";
    char *path = xasprintf("%s/netbase.%s", rundir, name), *etc = xasprintf("/etc/%s", name);
    if (etc_file_is_netbase(name) && copy_file(etc, path)) {
        add_note("%s: netbase's %s is this machine's (dpkg --verify netbase: unchanged)", which,
                 etc);
        free(etc);
        return path;
    }
    char tmpl[] = "/tmp/nss-iana-bench.XXXXXX";
    char *tmp = mkdtemp(tmpl);
    bool ok = false;
    if (tmp) {
        char *get[] = {"sh", "-c",
                       "cd \"$1\" && apt-get download -q netbase >/dev/null 2>&1 && "
                       "dpkg-deb -x netbase_*.deb x && dpkg-deb -f netbase_*.deb Version",
                       "sh", tmp, NULL};
        char *version;
        char *file = xasprintf("%s/x%s", tmp, etc);
        ok = run(get, &version, NULL) == 0 && copy_file(file, path);
        if (ok)
            add_note("%s: this machine's %s is not netbase's as shipped; netbase's is taken "
                     "from its package (apt-get download: version %.*s)", which, etc,
                     (int)strcspn(version, "\n"), version);
        free(version);
        free(file);
        char *rm[] = {"rm", "-rf", "--", tmp, NULL};
        run(rm, NULL, NULL);
    }
    if (!ok) {
        add_note("%s: skipped (this machine's %s is not netbase's as shipped, and apt-get "
                 "download netbase failed)", which, etc);
        free(path);
        path = NULL;
    }
    free(etc);
    return path;
}

/* Whether `compile` has --services FILE and --no-services yet.  */
static bool compile_takes_services(const char *tool)
{
    char *argv[] = {(char *)tool, "compile", "--help", NULL};
    char *out;
    bool yes = run(argv, &out, NULL) == 0 && strstr(out, "--services") && strstr(out, "--no-services");
    free(out);
    return yes;
}

/* The mount namespace prefix: nsswitch.conf and /etc/services bound,
 * NSS_IANA_DB set.  */
static void prefix(char *pre[14], const char *conf, const char *services, char *env)
{
    char *p[] = {"unshare", "-m", "sh", "-c", binds_sh, "sh", (char *)conf, "/etc/nsswitch.conf",
                 (char *)services, "/etc/services", "--", "env", env, NULL};
    memcpy(pre, p, sizeof p);
}

static void run_installed(const char *conf, const char *services, const char *dbpath,
                          const char *spec, const char *gai)
{
    char *env = xasprintf("NSS_IANA_DB=%s", dbpath), *pre[14];
    prefix(pre, conf, services, env);
    run_child(pre, spec, (struct child_opts){.check_http = true, .nsswitch = conf, .gai = gai});
    free(env);
}

/* The module serves `dbpath` in that namespace (`getent -s iana`): else
 * inst.iana_files would be measuring its fallback, files.  */
static bool iana_serves(const char *conf, const char *services, const char *dbpath)
{
    char *env = xasprintf("NSS_IANA_DB=%s", dbpath), *pre[14 + 5];
    prefix(pre, conf, services, env);
    char *tail[] = {"getent", "-s", "iana", "services", "http", NULL};
    memcpy(&pre[13], tail, sizeof tail);
    bool ok = run(pre, NULL, NULL) == 0;
    free(env);
    return ok;
}

void installed_rows(bool root_ns, const char *rundir, const char *tool, const char *csv)
{
    if (!root_ns) {
        add_note("inst.*: skipped (needs root and unshare -m to bind-mount over "
                 "/etc/nsswitch.conf and /etc/services)");
        return;
    }
    fprintf(stderr, "bench: as installed: netbase's /etc/services, databases ...\n");
    char *netbase = netbase_file(rundir, "services");
    if (!netbase)
        return;
    char *reg = xasprintf("%s/registry.db", rundir), *merged = xasprintf("%s/merged.db", rundir);
    char *regexp = xasprintf("%s/registry.export", rundir);
    char *conf = xasprintf("%s/nsswitch.conf", rundir);
    bool flags = compile_takes_services(tool);
    char *t = (char *)tool, *c = (char *)csv;
    char *regonly[] = {t, "compile", "--no-services", "--output", reg, c, NULL};
    char *today[] = {t, "compile", "--output", reg, c, NULL};
    char *merge[] = {t, "compile", "--services", netbase, "--output", merged, c, NULL};
    char *export[] = {t, "export", "--db", reg, NULL};
    if (run(flags ? regonly : today, NULL, NULL) != 0 || !run_to_file(export, regexp) ||
        (flags && run(merge, NULL, NULL) != 0) || !write_file(conf, "services: files\n")) {
        add_note("inst.*: skipped (compiling or exporting the databases failed)");
        goto out;
    }
    const char *dbd = merged;
    if (!flags) {
        dbd = reg;
        add_note("inst.*: %s compile has no --services/--no-services yet: inst.files_iana and "
                 "inst.iana_files both use the registry-only database compile writes today, so "
                 "inst.iana_files answers as iana alone would, not as files iana (names only "
                 "netbase has are not found)", tool);
    }
    if (!iana_serves(conf, netbase, dbd))
        add_note("inst.iana_files: the module did not serve %s in its namespace (getent -s iana "
                 "services http failed): its rows measure the fallback to files", dbd);
    char *spec = xasprintf("files:inst.files.netbase,iana-files:inst.iana_files,"
                           "files:inst.files.fullreg:%s", regexp);
    run_installed(conf, netbase, dbd, spec, netbase);
    run_installed(conf, netbase, reg, "files-iana:inst.files_iana", netbase);
    free(spec);
out:
    free(netbase);
    free(reg);
    free(merged);
    free(regexp);
    free(conf);
}

/* glibc's nss_files as an oracle for fuzz_services: what it reads from a
 * services(5) file, and what its lookups answer.  libc.so.6 exports the
 * services database's nss_files entry points and line parser
 * (GLIBC_PRIVATE, since glibc 2.34 merged nss_files into libc), so the
 * oracle is glibc's own code, not a model of it, wherever it can be: as
 * root, reading the very bytes as /etc/services in a mount namespace of
 * this process's own.  Elsewhere the lines are cut as __nss_readline cuts
 * them (nf_emulate) and handed to glibc's line parser.  Every failure of
 * glibc itself (a status other than found or not found) aborts.  */
#ifndef NSS_IANA_FUZZ_NSS_FILES_H
#define NSS_IANA_FUZZ_NSS_FILES_H

#include <netdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NF_ETC_SERVICES "/etc/services"

/* A line as nss_files returns it (a copy of its struct servent).  */
struct nf_line {
    char *name, *proto;
    char **aliases;
    size_t nalias;
    uint16_t port;            /* host order */
};

struct nf_lines {
    struct nf_line *l;        /* file order */
    size_t n, cap;
    size_t candidates;        /* lines neither blank nor comments (nf_emulate) */
};

/* As root: unshare a mount namespace, make / private in it, bind-mount a
 * temporary file over /etc/services.  The file is unlinked at once; the
 * mount and the descriptor returned keep it until the process ends, and
 * with it the namespace.  Returns the descriptor, or -1 with *why (and
 * *err, an errno or 0).  */
int nf_overmount(const char **why, int *err);

/* nss_files' enumeration of /etc/services: setservent, getservent_r until
 * NOTFOUND (a bigger buffer on ERANGE), endservent.  */
void nf_enumerate(struct nf_lines *out);
/* The same from bytes, without nss_files: lines cut at '\n', put through
 * __nss_readline's steps, parsed by glibc's _nss_files_parse_servent.  */
void nf_emulate(const void *data, size_t size, struct nf_lines *out);
void nf_lines_free(struct nf_lines *m);

/* nss_files' getservbyname_r / getservbyport_r on /etc/services (`port` as
 * the caller passes it: network order, in an int).  */
bool nf_by_name(const char *name, const char *proto, struct servent *se);
bool nf_by_port(int port, const char *proto, struct servent *se);

/* nss_files' rules over lines (files-service.c): the first line in file
 * order with the name or an alias, compared with strcmp, and the protocol
 * string (NULL: any); by port, the port, and never one with bits above 16
 * (`wide`).  The index of the line, or -1.  */
int64_t nf_rules_by_name(const struct nf_lines *m, const char *name, const char *proto);
int64_t nf_rules_by_port(const struct nf_lines *m, uint16_t port, bool wide, const char *proto);

bool nf_line_eq(const struct nf_line *a, const struct nf_line *b);
bool nf_servent_is(const struct servent *se, const struct nf_line *l);

#endif

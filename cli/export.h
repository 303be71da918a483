/* `iana-services export --portable`: services(5) text for programs that
 * read /etc/services themselves instead of asking NSS.  */
#ifndef NSS_IANA_CLI_EXPORT_H
#define NSS_IANA_CLI_EXPORT_H

#include <stdio.h>

#include "../db/reader.h"

/* The lines of `export`, without descriptions, no line longer than a
 * reader with a 128-byte line buffer takes in one piece (longer lines put
 * their aliases on lines of their own), then lines that make the readers
 * with other rules give the module's answers: for every name and protocol
 * whose last line names another port than the module's answer, one more
 * line with the module's port (Go's pure resolver keeps a name's last
 * line); for every name as written and in lower case (Go lower-cases the
 * name it asks for), with each protocol that has no line of that spelling
 * but for which the module answers it (in another case), that spelling
 * with the module's port.  0, or -1 with errno set.  */
int export_portable(FILE *out, const struct iana_db *db);

/* The protocols(5) text of `export --protocols` without descriptions, then
 * for every name or alias with upper-case letters whose lower-case spelling
 * no line has, that spelling with the module's number for it, else for the
 * spelling as written (a protocols file's alias matches in its own case
 * only; Go lower-cases the name it looks for in /etc/protocols and keeps
 * the first line, as nss_files does).  0, or -1.  */
int export_portable_protocols(FILE *out, const struct iana_db *db);

/* The longest line export_portable writes, without its newline: musl's
 * fgets(line, 128, ...) reads 127 bytes, newline included.  */
#define EXPORT_PORTABLE_LINE_MAX 126

#endif

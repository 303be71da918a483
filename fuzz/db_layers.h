/* fuzz_db: the reader's calls that span both layers of a database (a
 * merged services file's lines, then the registry's entries), checked on
 * any bytes iana_db_view accepts, and more strictly when iana_db_verify
 * does too.  `ro` is iana_db_registry_only of `db`.  A failed check aborts
 * (fuzz_util.h).  */
#ifndef NSS_IANA_FUZZ_DB_LAYERS_H
#define NSS_IANA_FUZZ_DB_LAYERS_H

#include <stdbool.h>
#include <stdint.h>

#include "../db/reader.h"

/* Once, before any other: the empty file layers_services_state asks about.  */
void layers_init(void);

/* iana_db_answer and iana_db_answer_bounded on every answer index (up to a
 * cap) and on some past the end.  */
void layers_answers(const struct iana_db *db, bool verified);
/* The cursor across both layers, and odd cursors.  */
void layers_enumerate(const struct iana_db *db, bool verified);
/* iana_db_service_by_name / _by_port with the protocols NULL, "tcp", "ddp",
 * "" and `line_proto` unless NULL; ports also wide.  */
void layers_by_name(const struct iana_db *db, const struct iana_db *ro, bool verified,
                    const char *name, const char *line_proto);
void layers_by_port(const struct iana_db *db, const struct iana_db *ro, bool verified,
                    uint16_t port, const char *line_proto);
/* The registry_only view, and iana_db_services_state on an empty file, a
 * missing path and a directory.  */
void layers_registry_only(const struct iana_db *db, const struct iana_db *ro, bool verified);
void layers_services_state(const struct iana_db *db, const struct iana_db *ro);

#endif

/* fuzz_db: the protocols answers (db/format.h PROTO_*, db/reader.h), on
 * any bytes iana_db_view accepts, and more strictly when iana_db_verify
 * does too.  A failed check aborts (fuzz_util.h).  */
#ifndef NSS_IANA_FUZZ_DB_PROTOCOLS_H
#define NSS_IANA_FUZZ_DB_PROTOCOLS_H

#include <stdbool.h>

#include "../db/reader.h"

/* Lookups by name (fixed names, the file's own spellings, case flipped)
 * and by number, every answer decoded both ways, the enumeration, the
 * registry-only view, the tool's metadata and the protocols file state.  */
void protocols_exercise(const struct iana_db *db, bool verified);

#endif

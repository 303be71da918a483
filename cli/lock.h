/* One writer at a time for a database: compile, update, and the package's
 * scripts and units (which run compile) each hold an exclusive flock on
 * DB.lock from reading the current database to the rename of the new one.
 * Without it, an update that downloaded for minutes would replace a
 * compile's result made meanwhile, or call "up to date" a database that
 * another update had just replaced.
 *
 * DB.lock is made beside the database, mode 0644 whatever the umask, and
 * never removed: removing it would let a second writer lock a new file
 * while a first still holds the old one.  It holds the pid of the last
 * holder, for the message of whoever waits.  */
#ifndef NSS_IANA_CLI_LOCK_H
#define NSS_IANA_CLI_LOCK_H

/* Waits for the lock on `db` (saying so on stderr if it takes more than a
 * moment), then removes the temporary files that killed writers of `db`
 * left in its directory: under the lock, none can be anyone's work in
 * progress.  Messages are prefixed "iana-services: WHO: ".  Returns the
 * descriptor that holds the lock, or -1 having said why.  */
int db_lock(const char *db, const char *who);

/* Releases it (fd -1: nothing to do).  */
void db_unlock(int fd);

#endif

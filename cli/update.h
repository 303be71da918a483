/* iana-services update: fetch IANA's registry over HTTP(S) when it has
 * changed, check it, and compile it into the database atomically.  */
#ifndef NSS_IANA_CLI_UPDATE_H
#define NSS_IANA_CLI_UPDATE_H

/* The exit status of update.  */
enum {
    UPDATE_OK = 0,
    UPDATE_DOWNLOAD = 1, /* download or HTTP error */
    UPDATE_USAGE = 2,
    UPDATE_INVALID = 3,  /* the download is not a plausible registry */
    UPDATE_WRITE = 4,    /* the database could not be written */
};

/* argv[0] is "update".  Returns the exit status.  */
int update_main(int argc, char **argv);

/* "iana-services: update: WHAT: message" on stderr.  */
void fail(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

/* iana-services update: fetch IANA's registry over HTTP(S) when it has
 * changed, check it, and compile it into the database atomically.  */
#ifndef NSS_IANA_CLI_UPDATE_H
#define NSS_IANA_CLI_UPDATE_H

/* argv[0] is "update".  Returns the exit status: 0 updated or already
 * current, 1 download or HTTP error, 2 usage, 3 the download is not a
 * plausible registry, 4 the database could not be written.  */
int update_main(int argc, char **argv);

#endif

/* `iana-services update` for a build without libcurl: the ports' builds
 * (tests/ports/cross.mk), whose target sysroot holds the libraries the
 * database needs and not libcurl's tree of dependencies.  Everything else
 * in the tool is the real thing; this command says it was left out.  */
#include <stdio.h>

#include "../../cli/update.h"

int update_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    fprintf(stderr, "iana-services: update: not in this build (made without libcurl)\n");
    return UPDATE_DOWNLOAD;
}

/* The library's version at run time (include/smv.h): a program linked with libsmv.so reads the
 * version of the library it was loaded with, not of the header it was compiled with. */
#include "smv.h"

unsigned smv_version(void) { return SMV_VERSION; }

const char *smv_version_string(void) { return SMV_VERSION_STRING; }

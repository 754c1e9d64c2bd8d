/* Reading a whole (small) file: configuration, route tables, request bodies, recorded layouts. */
#ifndef SMV_IO_READFILE_H
#define SMV_IO_READFILE_H

#include <stddef.h>

/* The file's bytes, NUL-terminated, from malloc() (free() them); *len (may be NULL) excludes the
 * NUL. NULL with errno set when it cannot be read or is larger than max bytes (EFBIG). */
char *smv__read_file(const char *path, size_t max, size_t *len);

#endif

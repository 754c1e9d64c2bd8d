/* smv.h's versioned structs (smv_config, smv_client_options) follow one rule: any version from 1 to
 * the current one is accepted, and the fields a version lacks take their defaults (zero). */
#ifndef SMV_IO_CONFIG_H
#define SMV_IO_CONFIG_H

#include <stddef.h>

#include "smv.h"

/* Copies the struct at src (whose first member is its int version) into dst (size bytes: the
 * current struct), zero-filling what its version lacks; sizes[v - 1] is version v's size.
 * Returns 0, or SMV_ERR_INVALID_ARG for a version outside 1..nversions. */
int smv__versioned_copy(void *dst, size_t size, const void *src, const size_t *sizes, int nversions);

extern const size_t smv__config_sizes[SMV_CONFIG_VERSION];
extern const size_t smv__client_options_sizes[SMV_CLIENT_OPTIONS_VERSION];

#endif

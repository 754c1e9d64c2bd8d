/* The result a flow reports: who owns its memory and how it is copied. One list of the owned
 * fields (SMV__RESULT_STRINGS, SMV__HOP_STRINGS) serves release and copy, so that a field added
 * to smv_result cannot be forgotten by one of them. */
#ifndef SMV_IO_RESULT_H
#define SMV_IO_RESULT_H

#include "core/alloc.h"
#include "smv.h"

/* The NUL-terminated strings smv_result owns (the body, with its length, is handled beside them). */
#define SMV__RESULT_STRINGS(X)                                                                    \
  X(error_message) X(final_url) X(token) X(return_url) X(service_error.name)                     \
  X(service_error.description) X(authorization.code) X(authorization.state)                     \
  X(authorization.error) X(authorization.error_description)
/* ...and those each hop owns. */
#define SMV__HOP_STRINGS(X) X(url) X(method) X(location) X(response_headers)

/* Releases what one hop owns and zeroes it. */
void smv__hop_clear(smv__alloc *a, smv_hop *h);
/* Releases everything r owns (allocated from a) and zeroes it. */
void smv__result_clear(smv__alloc *a, smv_result *r);
/* A deep copy of r, allocated from a, all or nothing: 0 and *out, or SMV_ERR_NOMEM with nothing
 * left allocated. */
int smv__result_copy(smv__alloc *a, const smv_result *r, smv_result **out);

#endif

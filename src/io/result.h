/* Internal helpers for smv_result. */
#ifndef SMV_IO_RESULT_H
#define SMV_IO_RESULT_H

#include "core/alloc.h"
#include "smv.h"

/* Frees every string and the hops of r with a, and zeroes it. */
void smv__result_clear(smv__alloc *a, smv_result *r);

#endif

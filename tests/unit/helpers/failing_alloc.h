/* Test helper: an allocator hook that refuses one allocation (the fail_at-th, counting from 0) and
 * counts the blocks still live, so that a test can fail every allocation of a whole operation in
 * turn and check that each failure is clean and leaks nothing. */
#ifndef SMV_TEST_FAILING_ALLOC_H
#define SMV_TEST_FAILING_ALLOC_H

#include "smv.h"

typedef struct smv_test_failer {
  long fail_at;        /* the allocation that fails (malloc and realloc count alike); -1: none */
  long count;          /* allocations asked for so far */
  long live;           /* blocks given out and not freed */
  int failed;          /* the refusal happened */
} smv_test_failer;

/* f reset to fail at fail_at, and the hook that uses it. */
smv_allocator smv_test_failer_init(smv_test_failer *f, long fail_at);

#endif

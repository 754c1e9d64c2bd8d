/* Test helper: the failing allocator (see failing_alloc.h). */
#include "helpers/failing_alloc.h"

#include <stdlib.h>

static void *f_malloc(size_t n, void *ud) {
  smv_test_failer *f = ud;
  if (f->count++ == f->fail_at) {
    f->failed = 1;
    return NULL;
  }
  void *p = malloc(n);
  if (p) f->live++;
  return p;
}

static void *f_realloc(void *p, size_t n, void *ud) {
  smv_test_failer *f = ud;
  if (f->count++ == f->fail_at) {
    f->failed = 1;
    return NULL;
  }
  void *q = realloc(p, n);
  if (q && !p) f->live++;
  return q;
}

static void f_free(void *p, void *ud) {
  smv_test_failer *f = ud;
  if (p) f->live--;
  free(p);
}

smv_allocator smv_test_failer_init(smv_test_failer *f, long fail_at) {
  f->fail_at = fail_at;
  f->count = f->live = 0;
  f->failed = 0;
  smv_allocator h = {f_malloc, f_realloc, f_free, f};
  return h;
}

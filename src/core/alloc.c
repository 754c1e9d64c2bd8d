/* The accounting allocator. A block is [size_t size][padding to max_align_t][user bytes]. */
#include "core/alloc.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define SMV__HDR ((sizeof(size_t) + alignof(max_align_t) - 1) / alignof(max_align_t) * alignof(max_align_t))

static void *libc_malloc(size_t n, void *ud) { (void)ud; return malloc(n); }
static void *libc_realloc(void *p, size_t n, void *ud) { (void)ud; return realloc(p, n); }
static void libc_free(void *p, void *ud) { (void)ud; free(p); }

/* Per thread: clients on different threads (each on its own loop) run at once, and mbedTLS's
 * calloc/free hooks find the allocator of the client whose call is running on this thread. The
 * default allocator's counts are per thread too (libc itself is shared). */
static _Thread_local smv__alloc smv__alloc_default = {{libc_malloc, libc_realloc, libc_free, NULL}, 0, 0, 0};
static _Thread_local smv__alloc *smv__alloc_cur; /* NULL: this thread's default */

void smv__alloc_init(smv__alloc *a, const smv_allocator *hook) {
  memset(a, 0, sizeof(*a));
  if (hook && hook->malloc && hook->realloc && hook->free)
    a->hook = *hook;
  else
    a->hook = smv__alloc_default.hook;
}

void *smv__malloc(smv__alloc *a, size_t n) {
  if (!a) a = smv__alloc_current();
  if (n > SIZE_MAX - SMV__HDR) return NULL;
  unsigned char *p = a->hook.malloc(n + SMV__HDR, a->hook.user_data);
  if (!p) { a->failures++; return NULL; }
  memcpy(p, &n, sizeof(n));
  a->current += n;
  if (a->current > a->peak) a->peak = a->current;
  return p + SMV__HDR;
}

void *smv__calloc(smv__alloc *a, size_t count, size_t n) {
  if (n && count > SIZE_MAX / n) return NULL;
  void *p = smv__malloc(a, count * n);
  if (p) memset(p, 0, count * n);
  return p;
}

void *smv__realloc(smv__alloc *a, void *up, size_t n) {
  if (!a) a = smv__alloc_current();
  if (!up) return smv__malloc(a, n);
  if (n > SIZE_MAX - SMV__HDR) return NULL;
  unsigned char *p = (unsigned char *)up - SMV__HDR;
  size_t old;
  memcpy(&old, p, sizeof(old));
  unsigned char *q = a->hook.realloc(p, n + SMV__HDR, a->hook.user_data);
  if (!q) { a->failures++; return NULL; }
  memcpy(q, &n, sizeof(n));
  a->current = a->current - old + n;
  if (a->current > a->peak) a->peak = a->current;
  return q + SMV__HDR;
}

void smv__free(smv__alloc *a, void *up) {
  if (!up) return;
  if (!a) a = smv__alloc_current();
  unsigned char *p = (unsigned char *)up - SMV__HDR;
  size_t old;
  memcpy(&old, p, sizeof(old));
  a->current -= old;
  a->hook.free(p, a->hook.user_data);
}

char *smv__strndup(smv__alloc *a, const char *s, size_t n) {
  char *d = smv__malloc(a, n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *smv__strdup(smv__alloc *a, const char *s) { return smv__strndup(a, s, strlen(s)); }

void smv__alloc_set_current(smv__alloc *a) { smv__alloc_cur = a; }

smv__alloc *smv__alloc_enter(smv__alloc *a) {
  smv__alloc *prev = smv__alloc_cur;  /* NULL stays NULL: leave() restores the default */
  smv__alloc_set_current(a);
  return prev;
}

void smv__alloc_leave(smv__alloc *prev) { smv__alloc_set_current(prev); }
smv__alloc *smv__alloc_current(void) { return smv__alloc_cur ? smv__alloc_cur : &smv__alloc_default; }

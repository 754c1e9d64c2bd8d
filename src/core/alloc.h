/* The per-client allocator: every allocation of the library goes through it, and it keeps the
 * current and peak byte counts (smv_stats.heap_peak_bytes). Each block carries a small header with
 * its size so that free and realloc can account for it. */
#ifndef SMV_CORE_ALLOC_H
#define SMV_CORE_ALLOC_H

#include <stddef.h>
#include "smv.h"

typedef struct smv__alloc {
  smv_allocator hook;      /* never NULL functions: libc when the user gave none */
  size_t current;
  size_t peak;
  unsigned long failures;  /* allocations the hook refused: tells NOMEM from other errors */
} smv__alloc;

void smv__alloc_init(smv__alloc *a, const smv_allocator *hook);
void *smv__malloc(smv__alloc *a, size_t n);
void *smv__calloc(smv__alloc *a, size_t count, size_t n);
void *smv__realloc(smv__alloc *a, void *p, size_t n);
void smv__free(smv__alloc *a, void *p);
char *smv__strndup(smv__alloc *a, const char *s, size_t n);
char *smv__strdup(smv__alloc *a, const char *s);

/* The allocator third-party libraries (mbedTLS, cJSON, c-ares) use while smv drives them: they have
 * process-wide hooks, so smv points them at the allocator of the client that is running. */
void smv__alloc_set_current(smv__alloc *a);
smv__alloc *smv__alloc_current(void);
/* Brackets a call into a library that allocates through the process-wide hooks: makes a current and
 * returns the allocator to restore with smv__alloc_leave. Never leave a client's allocator current
 * after returning to the caller: the client may be freed next. */
smv__alloc *smv__alloc_enter(smv__alloc *a);
void smv__alloc_leave(smv__alloc *prev);

#endif

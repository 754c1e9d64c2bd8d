/* The LRU session cache (see tls_session_cache.h). A linear scan: there are at most a handful. */
#include "io/tls_session_cache.h"

#include <stdint.h>
#include <string.h>

typedef struct smv__tls_sess {
  char *key;            /* NULL: free slot */
  unsigned char *blob;
  size_t len;
  uint64_t used;
} smv__tls_sess;

struct smv__tls_session_cache {
  smv__alloc *a;
  size_t cap;
  uint64_t clock;
  smv__tls_sess e[];
};

smv__tls_session_cache *smv__tls_session_cache_new(smv__alloc *a, size_t capacity) {
  if (capacity == 0) capacity = 1;
  smv__tls_session_cache *c = smv__calloc(a, 1, sizeof(*c) + capacity * sizeof(c->e[0]));
  if (!c) return NULL;
  c->a = a;
  c->cap = capacity;
  return c;
}

static smv__tls_sess *find(smv__tls_session_cache *c, const char *key) {
  for (size_t i = 0; i < c->cap; i++)
    if (c->e[i].key && strcmp(c->e[i].key, key) == 0) return &c->e[i];
  return NULL;
}

static void clear(smv__tls_session_cache *c, smv__tls_sess *s) {
  smv__free(c->a, s->key);
  smv__free(c->a, s->blob);
  memset(s, 0, sizeof(*s));
}

void smv__tls_session_cache_put(smv__tls_session_cache *c, const char *key, unsigned char *blob,
                                size_t len) {
  smv__tls_sess *s = find(c, key);
  if (!s) {
    s = &c->e[0];
    for (size_t i = 0; i < c->cap; i++) {
      if (!c->e[i].key) { s = &c->e[i]; break; }
      if (c->e[i].used < s->used) s = &c->e[i];
    }
    clear(c, s);
    s->key = smv__strdup(c->a, key);
    if (!s->key) { smv__free(c->a, blob); return; }
  }
  smv__free(c->a, s->blob);
  s->blob = blob;
  s->len = len;
  s->used = ++c->clock;
}

int smv__tls_session_cache_get(smv__tls_session_cache *c, const char *key, const unsigned char **blob,
                               size_t *len) {
  smv__tls_sess *s = find(c, key);
  if (!s) return 0;
  s->used = ++c->clock;
  *blob = s->blob;
  *len = s->len;
  return 1;
}

void smv__tls_session_cache_remove(smv__tls_session_cache *c, const char *key) {
  smv__tls_sess *s = find(c, key);
  if (s) clear(c, s);
}

size_t smv__tls_session_cache_count(const smv__tls_session_cache *c) {
  size_t n = 0;
  for (size_t i = 0; c && i < c->cap; i++) n += c->e[i].key != NULL;
  return n;
}

void smv__tls_session_cache_free(smv__tls_session_cache *c) {
  if (!c) return;
  for (size_t i = 0; i < c->cap; i++) clear(c, &c->e[i]);
  smv__free(c->a, c);
}

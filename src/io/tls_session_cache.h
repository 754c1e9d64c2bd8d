/* The client's TLS session cache: serialised mbedTLS sessions keyed by "host:port", a handful of
 * entries with least-recently-used eviction, so that hops and flows of one client resume. Entries are
 * the compact mbedtls_ssl_session_save() form (no peer certificate), a few hundred bytes each. */
#ifndef SMV_IO_TLS_SESSION_CACHE_H
#define SMV_IO_TLS_SESSION_CACHE_H

#include <stddef.h>

#include "core/alloc.h"

typedef struct smv__tls_session_cache smv__tls_session_cache;

smv__tls_session_cache *smv__tls_session_cache_new(smv__alloc *a, size_t capacity);
/* Stores blob (allocated from the cache's allocator; the cache takes it, and frees it on failure) under
 * key, replacing the entry for key or evicting the least recently used one. */
void smv__tls_session_cache_put(smv__tls_session_cache *c, const char *key, unsigned char *blob,
                                size_t len);
/* 1 and the entry (valid until the next put/remove) when key is cached; marks it recently used. */
int smv__tls_session_cache_get(smv__tls_session_cache *c, const char *key, const unsigned char **blob,
                               size_t *len);
void smv__tls_session_cache_remove(smv__tls_session_cache *c, const char *key);
size_t smv__tls_session_cache_count(const smv__tls_session_cache *c);
void smv__tls_session_cache_free(smv__tls_session_cache *c);

#endif

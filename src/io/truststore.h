/* The trust store as an index, not as parsed certificates: a system store holds ~140 roots, which
 * parsed whole cost a client a few hundred KiB of heap, while one chain needs one root. The index
 * keeps, per root, a hash of its (canonicalised) subject name and where its PEM lies on disk; the
 * mbedTLS CA callback parses only the roots whose subject matches the issuer it is asked about. */
#ifndef SMV_IO_TRUSTSTORE_H
#define SMV_IO_TRUSTSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"

typedef struct smv__truststore smv__truststore;

/* Indexes a PEM bundle file (--cacert; always indexed the same way, whatever its size) or, with
 * file NULL, the system store: dir/ca-certificates.crt when present (one file, every root at an
 * offset), else each PEM file of dir (dir NULL: /etc/ssl/certs; OpenSSL's hash links and other
 * names for the same file are skipped). Returns SMV_ERR_TLS_CACERT when nothing usable was found. */
int smv__truststore_new(smv__alloc *a, const char *file, const char *dir, smv__truststore **out);

size_t smv__truststore_count(const smv__truststore *ts);
/* Heap bytes of the index (entries and file names). */
size_t smv__truststore_bytes(const smv__truststore *ts);

struct mbedtls_x509_crt;
/* The mbedtls_ssl_conf_ca_cb callback (p_ctx is the store): parses the roots whose subject equals
 * child's issuer into a new chain in *candidates (mbedTLS frees it), or sets it NULL. */
int smv__truststore_ca_cb(void *p_ctx, const struct mbedtls_x509_crt *child,
                          struct mbedtls_x509_crt **candidates);

/* How many roots the callback parsed since the store was made (tests, statistics). */
size_t smv__truststore_loads(const smv__truststore *ts);

void smv__truststore_free(smv__truststore *ts);

#endif

/* Certificates made at start-up with mbedTLS: the sandbox and the test servers serve HTTPS under a CA
 * they generate themselves (EC P-256) and hand the CA's PEM to clients as a file. The tests also make
 * the certificates a client must refuse (expired, not yet valid, wrong host, untrusted issuer, issuer
 * that is not a CA, SHA-1 signed), so every property is a parameter. */
#ifndef SMV_SERVER_CERTGEN_H
#define SMV_SERVER_CERTGEN_H

#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"

typedef struct smv__certgen_opts {
  const char *cn;                /* subject commonName (no ',' '=' '+' '\\'); NULL: "smv" */
  const char *const *dns;        /* subjectAltName dNSName entries */
  size_t dns_count;
  const char *const *ips;        /* subjectAltName iPAddress entries, as text: "127.0.0.1", "::1" */
  size_t ip_count;
  int64_t not_before;            /* Unix seconds; 0: an hour ago */
  int64_t not_after;             /* Unix seconds; 0: not_before + 30 days (a CA: 10 years) */
  int is_ca;                     /* basicConstraints CA:TRUE and keyCertSign; else a TLS server leaf */
  int sha1;                      /* sign with SHA-1 instead of SHA-256 (weak-hash tests) */
  unsigned rsa_bits;             /* an RSA key of this size instead of EC P-256 (weak-key tests) */
} smv__certgen_opts;

/* A generated key and certificate (and what it takes to sign others with it). */
typedef struct smv__certgen_cert smv__certgen_cert;

/* Makes a P-256 (or RSA) key and a certificate for it, signed by issuer, or self-signed when issuer is NULL
 * (a CA: set o->is_ca). SMV_ERR_INVALID_ARG for a bad name or address. */
int smv__certgen_issue(smv__alloc *a, const smv__certgen_cert *issuer, const smv__certgen_opts *o,
                       smv__certgen_cert **out);

/* A self-signed CA named cn, valid from an hour ago for ten years. */
int smv__certgen_ca(smv__alloc *a, const char *cn, smv__certgen_cert **out);

/* A server leaf for the given names and addresses, valid from an hour ago for 30 days. */
int smv__certgen_server(smv__alloc *a, const smv__certgen_cert *ca, const char *const *dns,
                        size_t dns_count, const char *const *ips, size_t ip_count,
                        smv__certgen_cert **out);

/* NUL-terminated PEM strings, owned by the cert. */
const char *smv__certgen_cert_pem(const smv__certgen_cert *c);
const char *smv__certgen_key_pem(const smv__certgen_cert *c);

/* Writes a PEM string to path (mode 0644, replaced atomically). SMV_ERR_IO on failure. */
int smv__certgen_write_file(const char *path, const char *pem);

void smv__certgen_free(smv__certgen_cert *c);

#endif

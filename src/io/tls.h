/* A TLS engine that owns no socket (in the manner of BearSSL's engine): the driver hands it the
 * ciphertext it read, takes from it the ciphertext to write, and exchanges plaintext with it. The
 * engine wraps mbedTLS 3.6 with smv's policy (TLS 1.2/1.3, AEAD only, verification required, the
 * indexed trust store, SPKI pins, session resumption) and maps every failure to an SMV_ERR_TLS_* code.
 * Keeping sockets out means the whole handshake can be tested in memory, client against server. */
#ifndef SMV_IO_TLS_H
#define SMV_IO_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"

/* Returned by handshake/read/write/close_notify when the engine needs I/O: write out everything that
 * smv__tls_pending_out() shows, then feed more ciphertext (if none was pending, reading is what it
 * waits for). Distinct from every SMV_ERR_* code (those are <= -900) and from byte counts. */
#define SMV__TLS_WANT_IO (-1)

/* Protocol versions for smv__tls_conf_set_versions(). */
#define SMV__TLS_V12 0x0303
#define SMV__TLS_V13 0x0304

/* ---- Shared configuration (one per client, or per server listener) ------------------------------- */
typedef struct smv__tls_conf smv__tls_conf;

typedef struct smv__tls_client_opts {
  const char *cacert_file;    /* PEM bundle to trust instead of the system store (indexed too) */
  const char *ca_dir;         /* the system store directory; NULL: /etc/ssl/certs */
  int disable_resumption;     /* no session cache, no tickets */
  int resume_without_ecdhe;   /* TLS 1.3 resumption offers psk_ke, not psk_dhe_ke */
  size_t session_cache_size;  /* entries of the host:port session cache; 0: 8 */
} smv__tls_client_opts;

/* The client configuration: builds the trust store index (SMV_ERR_TLS_CACERT when it cannot be read
 * or holds no certificate), seeds a DRBG, owns the session cache. All its heap, and that of the
 * engines made from it, is charged to a (which must outlive the conf). */
int smv__tls_conf_client_new(smv__alloc *a, const smv__tls_client_opts *o, smv__tls_conf **out);

/* A server configuration (sandbox, test servers) from a PEM chain (leaf first) and its PEM key;
 * session tickets and a session-ID cache are on, so that clients resume. */
int smv__tls_conf_server_new(smv__alloc *a, const char *cert_pem, const char *key_pem,
                             smv__tls_conf **out);

/* Server: tickets and session IDs issued so far stop resuming (tests of a client whose ticket is
 * refused). Call between connections. */
int smv__tls_conf_server_forget_sessions(smv__tls_conf *c);

/* Restrict the versions (tests: force TLS 1.2, or refuse it). Call before making engines. */
int smv__tls_conf_set_versions(smv__tls_conf *c, int min_version, int max_version);

/* Pin the SHA-256 of a SubjectPublicKeyInfo for a host (client). With pins for a host, a chain is
 * accepted only if one of its certificates carries a pinned key (SMV_ERR_TLS_CERT_PIN otherwise). */
int smv__tls_conf_add_pin(smv__tls_conf *c, const char *host, const uint8_t sha256[32]);

/* The SHA-256 of the SubjectPublicKeyInfo of the first certificate in a PEM string (for pins). */
int smv__tls_spki_sha256(const char *cert_pem, uint8_t out[32]);

/* Heap bytes the trust store index holds (0 on a server conf). */
size_t smv__tls_conf_truststore_bytes(const smv__tls_conf *c);

void smv__tls_conf_free(smv__tls_conf *c);

/* ---- One connection ------------------------------------------------------------------------------ */
typedef struct smv__tls smv__tls;

/* A client engine for host (a DNS name, or an IPv4/IPv6 literal without brackets, which is then matched
 * against the certificate's IP SANs); port keys the session cache ("host:port"). For a server conf,
 * host and port are ignored (pass NULL, 0). */
int smv__tls_new(smv__tls_conf *c, const char *host, unsigned port, smv__tls **out);

/* Runs the handshake as far as the available ciphertext allows: 0 when it is complete,
 * SMV__TLS_WANT_IO, or an SMV_ERR_TLS_* (then the pending output may hold an alert worth sending). */
int smv__tls_handshake(smv__tls *t);

/* Copies ciphertext read from the peer; returns how many bytes were taken (may be fewer than len when
 * the engine's input buffer is full: run handshake/read, then feed the rest). */
size_t smv__tls_feed(smv__tls *t, const void *data, size_t len);

/* Zero-copy input (libuv's alloc_cb): where the driver may read ciphertext to, and how much it put there.
 * The space stays valid until the next engine call other than in_commit. */
void smv__tls_in_space(smv__tls *t, uint8_t **ptr, size_t *len);
void smv__tls_in_commit(smv__tls *t, size_t n);

/* Ciphertext to write. The region is lent to the driver (the engine neither moves nor frees it) until
 * consume_out(n) says n bytes of it were written; a whole handshake flight is in it at once. */
void smv__tls_pending_out(smv__tls *t, const uint8_t **ptr, size_t *len);
void smv__tls_consume_out(smv__tls *t, size_t n);

/* Encrypts up to len plaintext bytes: returns how many were taken (> 0), SMV__TLS_WANT_IO (call again
 * with the same data after the pending output was written), or an error. */
int smv__tls_write(smv__tls *t, const void *data, size_t len);

/* Decrypts into buf: bytes (> 0), 0 when the peer sent close_notify, SMV__TLS_WANT_IO, or an error
 * (SMV_ERR_TLS_ALERT for alerts and bad records). New TLS 1.3 session tickets are taken in passing. */
int smv__tls_read(smv__tls *t, void *buf, size_t cap);

/* Plaintext already decrypted and waiting in the engine (read it before feeding more). */
size_t smv__tls_read_pending(const smv__tls *t);

/* Queues a close_notify alert (then write out the pending output). */
int smv__tls_close_notify(smv__tls *t);

/* "tls1.3", "tls1.3-resumed", "tls1.2", "tls1.2-resumed"; "none" before the handshake completes. */
const char *smv__tls_version_name(const smv__tls *t);
/* The negotiated suite, e.g. "TLS1-3-AES-128-GCM-SHA256" (mbedTLS's name); "" before the handshake. */
const char *smv__tls_cipher_name(const smv__tls *t);
int smv__tls_resumed(const smv__tls *t);
/* 1 when the handshake failed after offering a ticket with psk_ke alone (resume_without_ecdhe): the
 * ticket is gone from the cache, and a fresh connection will make a full handshake. */
int smv__tls_retry_full(const smv__tls *t);

/* The mbedTLS error behind the last SMV_ERR_TLS_* and the verification flags (for messages). */
int smv__tls_last_mbedtls_error(const smv__tls *t);
uint32_t smv__tls_verify_flags(const smv__tls *t);

void smv__tls_free(smv__tls *t);

/* mbedTLS's process-wide setup (allocator hooks routed to smv__alloc_current(), psa_crypto_init);
 * done by the conf constructors, idempotent and thread-safe. */
int smv__tls_global_init(void);

#endif

/* JSON Web Signatures in compact form (RFC 7515) with mbedTLS, for the sandbox's CAMARA side: the
 * token endpoint verifies private_key_jwt client assertions (RFC 7523) and the demo's backend signs
 * them; the sandbox signs its ID tokens. Two algorithms (RFC 7518 3): ES256 (ECDSA P-256 with
 * SHA-256; the signature is R || S, 32 bytes each, not DER) and RS256 (RSASSA-PKCS1-v1_5 with
 * SHA-256, keys of 2048 bits or more). Sandbox-only: never linked into the client library.
 *
 * Everything is bounded: a JWS of at most SMV__SB_JWS_MAX bytes, a header of at most 1 KiB and a
 * payload of at most 4 KiB once decoded. The header is checked before any key is touched: "alg" must
 * be the key's own algorithm ("none" and HMAC never are), a "crit" header is refused (no extension
 * is understood, RFC 7515 4.1.11), and names may not repeat (RFC 7515 4; cJSON would keep the
 * first). Keys named in the header (jwk, jku, x5u, x5c, kid) are never used: the verifier trusts
 * only the key it was given. */
#ifndef SMV_SANDBOX_SB_JWT_H
#define SMV_SANDBOX_SB_JWT_H

#include <cJSON.h>
#include <mbedtls/pk.h>
#include <stddef.h>

#define SMV__SB_JWS_MAX 8192

typedef enum smv__sb_jws_alg { SMV__SB_JWS_NONE = 0, SMV__SB_JWS_ES256, SMV__SB_JWS_RS256 } smv__sb_jws_alg;

/* Why a JWS was refused; each has its own message (smv__sb_jws_strerror). */
typedef enum smv__sb_jws_err {
  SMV__SB_JWS_OK = 0,
  SMV__SB_JWS_E_SIZE = -1,       /* empty or longer than SMV__SB_JWS_MAX */
  SMV__SB_JWS_E_FORM = -2,       /* not three base64url parts separated by '.' */
  SMV__SB_JWS_E_HEADER = -3,     /* header not a JSON object, repeated names, or too large */
  SMV__SB_JWS_E_ALG = -4,        /* alg missing or not the key's algorithm */
  SMV__SB_JWS_E_CRIT = -5,       /* a crit header */
  SMV__SB_JWS_E_SIGNATURE = -6,  /* the signature does not verify (or has the wrong length) */
  SMV__SB_JWS_E_PAYLOAD = -7,    /* payload not a JSON object, repeated names, or too large */
  SMV__SB_JWS_E_KEY = -8,        /* the key is not P-256 or RSA >= 2048 */
  SMV__SB_JWS_E_NOMEM = -9,
  SMV__SB_JWS_E_CRYPTO = -10     /* mbedTLS failed to sign */
} smv__sb_jws_err;

const char *smv__sb_jws_strerror(int err);

/* base64url without padding (RFC 4648 5). encode returns the length written (NUL added), or 0
 * when cap is too small. decode returns the bytes written, or -1 for a character outside the
 * alphabet, padding, a length that no encoding has (4k+1), non-zero unused bits (so that one value
 * has one encoding), or output that does not fit. */
size_t smv__sb_b64url_encode(const unsigned char *in, size_t n, char *out, size_t cap);
long smv__sb_b64url_decode(const char *in, size_t n, unsigned char *out, size_t cap);

/* mbedTLS allocates through smv's hook once src/io/tls.c installs it (smv__tls_global_init): a
 * process that uses these functions installs it before the first of them, or never (the unit tests,
 * the fuzzer), because a block allocated before the hook is freed wrongly after it. Every mbedTLS
 * call of the sandbox's key code goes through this file and runs on the default allocator. */
/* Parses a PEM public key (NUL-terminated). Returns 0, or E_KEY. */
int smv__sb_jws_parse_public(mbedtls_pk_context *pk, const char *pem);
/* The public half of pk as PEM into out. Returns 0 or E_SIZE. */
int smv__sb_jws_public_pem(mbedtls_pk_context *pk, char *out, size_t cap);
/* Frees what the key holds (mbedtls_pk_free on the default allocator). */
void smv__sb_jws_key_free(mbedtls_pk_context *pk);

/* The algorithm a key signs with, or SMV__SB_JWS_NONE for a key of another kind or size. */
smv__sb_jws_alg smv__sb_jws_key_alg(const mbedtls_pk_context *pk);

/* Verifies the compact JWS of len bytes with pk. On success returns 0 and hands over the payload
 * object in *claims (cJSON_Delete it). On failure returns an smv__sb_jws_err, *claims NULL. */
int smv__sb_jws_verify(const char *jws, size_t len, mbedtls_pk_context *pk,
                       cJSON **claims);

/* The payload of a compact JWS parsed WITHOUT checking the signature: only to learn which key to
 * verify it with (a client assertion names its client in "iss"). Returns 0 and *claims, or an
 * smv__sb_jws_err. */
int smv__sb_jws_peek(const char *jws, size_t len, cJSON **claims);

/* Signs the claims (a JSON text) with pk as a compact JWS with header {"alg":..,"typ":"JWT"[,"kid"]}
 * (kid may be NULL). f_rng is mbedTLS's random callback (ECDSA blinding and nonces). Returns 0 and
 * the length in *outlen, or an smv__sb_jws_err (E_SIZE when out is too small). */
int smv__sb_jws_sign(mbedtls_pk_context *pk, const char *kid, const char *claims,
                     int (*f_rng)(void *, unsigned char *, size_t), void *p_rng, char *out,
                     size_t cap, size_t *outlen);

/* A new P-256 key in pk (initialised by the caller with mbedtls_pk_init). Returns 0 or E_CRYPTO. */
int smv__sb_jws_keygen_es256(mbedtls_pk_context *pk,
                             int (*f_rng)(void *, unsigned char *, size_t), void *p_rng);

/* The public JWK of a P-256 key (RFC 7517, RFC 7518 6.2): {"kty":"EC","crv":"P-256","x","y",
 * "use":"sig","alg":"ES256","kid"}. Returns the length written, or 0 (no room, not a P-256 key). */
size_t smv__sb_jwk_public(const mbedtls_pk_context *pk, const char *kid, char *out,
                          size_t cap);

#endif

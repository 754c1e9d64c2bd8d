/* JWS compact serialisation over mbedTLS's pk layer. mbedTLS's ECDSA speaks DER (SEQUENCE of two
 * INTEGERs); JWS speaks the fixed-width R || S of RFC 7518 3.4, so signatures are converted both
 * ways with psa_util's helpers. The signing input is the header and payload exactly as received
 * (RFC 7515 5.2 step 8): nothing is re-encoded before it is verified. */
#include "sandbox/sb_jwt.h"

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/psa_util.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

#define HEADER_MAX 1024
#define PAYLOAD_MAX 4096
#define SIG_MAX 1024                 /* RSA up to 8192 bits */

const char *smv__sb_jws_strerror(int err) {
  switch (err) {
  case SMV__SB_JWS_OK: return "ok";
  case SMV__SB_JWS_E_SIZE: return "the JWT is empty or too long";
  case SMV__SB_JWS_E_FORM: return "the JWT is not three base64url parts";
  case SMV__SB_JWS_E_HEADER: return "the JWT header is not a JSON object with unique names";
  case SMV__SB_JWS_E_ALG: return "the JWT alg is not the registered key's algorithm";
  case SMV__SB_JWS_E_CRIT: return "the JWT has a crit header (no extension is supported)";
  case SMV__SB_JWS_E_SIGNATURE: return "the JWT signature does not verify";
  case SMV__SB_JWS_E_PAYLOAD: return "the JWT claims are not a JSON object with unique names";
  case SMV__SB_JWS_E_KEY: return "the key is neither P-256 nor RSA of 2048 bits or more";
  case SMV__SB_JWS_E_NOMEM: return "out of memory";
  case SMV__SB_JWS_E_CRYPTO: return "signing failed";
  default: return "unknown JWS error";
  }
}

/* ---- base64url ---- */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t smv__sb_b64url_encode(const unsigned char *in, size_t n, char *out, size_t cap) {
  size_t need = n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
  if (need + 1 > cap) return 0;
  size_t o = 0, i = 0;
  for (; i + 3 <= n; i += 3) {
    unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
    out[o++] = b64url[v >> 18 & 63];
    out[o++] = b64url[v >> 12 & 63];
    out[o++] = b64url[v >> 6 & 63];
    out[o++] = b64url[v & 63];
  }
  if (n - i == 1) {
    unsigned v = (unsigned)in[i] << 16;
    out[o++] = b64url[v >> 18 & 63];
    out[o++] = b64url[v >> 12 & 63];
  } else if (n - i == 2) {
    unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
    out[o++] = b64url[v >> 18 & 63];
    out[o++] = b64url[v >> 12 & 63];
    out[o++] = b64url[v >> 6 & 63];
  }
  out[o] = 0;
  return o;
}

static int b64val(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

long smv__sb_b64url_decode(const char *in, size_t n, unsigned char *out, size_t cap) {
  if (n % 4 == 1) return -1;
  size_t need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
  if (need > cap) return -1;
  size_t o = 0;
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    int v = b64val((unsigned char)in[i]);
    if (v < 0) return -1;
    acc = (acc << 6 | (unsigned)v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (unsigned char)(acc >> bits);
    }
  }
  /* The bits left over must be zero (RFC 4648 3.5): otherwise two texts decode alike. */
  if (bits && (acc & ((1u << bits) - 1))) return -1;
  return (long)o;
}

/* ---- keys ---- */

/* Brackets every allocating mbedTLS call: the default allocator is current, so that what one call
 * allocates any later one may free, whoever's flow is running then. */
#define MBED_BEGIN smv__alloc *saved_ = smv__alloc_enter(NULL)
#define MBED_END smv__alloc_leave(saved_)

int smv__sb_jws_parse_public(mbedtls_pk_context *pk, const char *pem) {
  MBED_BEGIN;
  /* mbedTLS wants the PEM's terminating NUL counted in the length */
  int rc = mbedtls_pk_parse_public_key(pk, (const unsigned char *)pem, strlen(pem) + 1);
  MBED_END;
  return rc ? SMV__SB_JWS_E_KEY : 0;
}

int smv__sb_jws_public_pem(mbedtls_pk_context *pk, char *out, size_t cap) {
  MBED_BEGIN;
  int rc = mbedtls_pk_write_pubkey_pem(pk, (unsigned char *)out, cap);
  MBED_END;
  return rc ? SMV__SB_JWS_E_SIZE : 0;
}

void smv__sb_jws_key_free(mbedtls_pk_context *pk) {
  MBED_BEGIN;
  mbedtls_pk_free(pk);
  MBED_END;
}

smv__sb_jws_alg smv__sb_jws_key_alg(const mbedtls_pk_context *pk) {
  if (!pk) return SMV__SB_JWS_NONE;
  mbedtls_pk_type_t t = mbedtls_pk_get_type(pk);
  if (t == MBEDTLS_PK_RSA) return mbedtls_pk_get_bitlen(pk) >= 2048 ? SMV__SB_JWS_RS256 : SMV__SB_JWS_NONE;
  if (t == MBEDTLS_PK_ECKEY || t == MBEDTLS_PK_ECDSA) {
    const mbedtls_ecp_keypair *ec = mbedtls_pk_ec(*pk);
    return ec && mbedtls_ecp_keypair_get_group_id(ec) == MBEDTLS_ECP_DP_SECP256R1 ? SMV__SB_JWS_ES256
                                                                                  : SMV__SB_JWS_NONE;
  }
  return SMV__SB_JWS_NONE;
}

static const char *alg_name(smv__sb_jws_alg a) {
  return a == SMV__SB_JWS_ES256 ? "ES256" : a == SMV__SB_JWS_RS256 ? "RS256" : NULL;
}

/* ---- JSON parts ---- */

/* A decoded part as a JSON object whose member names are all distinct; NULL otherwise. */
static cJSON *json_part(const char *b64, size_t n, size_t max) {
  unsigned char buf[PAYLOAD_MAX + 1];
  if (max > PAYLOAD_MAX) max = PAYLOAD_MAX;
  long len = smv__sb_b64url_decode(b64, n, buf, max);
  if (len <= 0) return NULL;
  cJSON *o = cJSON_ParseWithLength((const char *)buf, (size_t)len);
  if (!o || !cJSON_IsObject(o)) {
    cJSON_Delete(o);
    return NULL;
  }
  for (const cJSON *a = o->child; a; a = a->next)
    for (const cJSON *b = a->next; b; b = b->next)
      if (a->string && b->string && strcmp(a->string, b->string) == 0) {
        cJSON_Delete(o);
        return NULL;
      }
  return o;
}

int smv__sb_jws_verify(const char *jws, size_t len, mbedtls_pk_context *pk, cJSON **claims) {
  *claims = NULL;
  if (len == 0 || len > SMV__SB_JWS_MAX) return SMV__SB_JWS_E_SIZE;
  smv__sb_jws_alg want = smv__sb_jws_key_alg(pk);
  if (want == SMV__SB_JWS_NONE) return SMV__SB_JWS_E_KEY;
  const char *d1 = memchr(jws, '.', len);
  const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jws)) : NULL;
  if (!d1 || !d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - jws))) return SMV__SB_JWS_E_FORM;
  size_t hl = (size_t)(d1 - jws), pl = (size_t)(d2 - d1 - 1), sl = len - (size_t)(d2 + 1 - jws);
  if (!hl || !pl || !sl) return SMV__SB_JWS_E_FORM;

  cJSON *hdr = json_part(jws, hl, HEADER_MAX);
  if (!hdr) return SMV__SB_JWS_E_HEADER;
  const cJSON *alg = cJSON_GetObjectItemCaseSensitive(hdr, "alg");
  int rc = 0;
  if (!cJSON_IsString(alg) || strcmp(alg->valuestring, alg_name(want)) != 0) rc = SMV__SB_JWS_E_ALG;
  else if (cJSON_GetObjectItemCaseSensitive(hdr, "crit")) rc = SMV__SB_JWS_E_CRIT;
  cJSON_Delete(hdr);
  if (rc) return rc;

  unsigned char sig[SIG_MAX], der[MBEDTLS_ECDSA_MAX_SIG_LEN(256)];
  long sn = smv__sb_b64url_decode(d2 + 1, sl, sig, sizeof(sig));
  if (sn < 0) return SMV__SB_JWS_E_FORM;
  unsigned char hash[32];
  if (mbedtls_sha256((const unsigned char *)jws, hl + 1 + pl, hash, 0) != 0) return SMV__SB_JWS_E_CRYPTO;
  int bad;
  MBED_BEGIN;
  if (want == SMV__SB_JWS_ES256) {
    size_t dl = 0;
    bad = sn != 64 || mbedtls_ecdsa_raw_to_der(256, sig, 64, der, sizeof(der), &dl) != 0 ||
          mbedtls_pk_verify(pk, MBEDTLS_MD_SHA256, hash, sizeof(hash), der, dl) != 0;
  } else {
    bad = (size_t)sn != mbedtls_pk_get_len(pk) ||
          mbedtls_pk_verify(pk, MBEDTLS_MD_SHA256, hash, sizeof(hash), sig, (size_t)sn) != 0;
  }
  MBED_END;
  if (bad) return SMV__SB_JWS_E_SIGNATURE;
  /* Only a verified payload is parsed. */
  *claims = json_part(d1 + 1, pl, PAYLOAD_MAX);
  return *claims ? 0 : SMV__SB_JWS_E_PAYLOAD;
}

int smv__sb_jws_peek(const char *jws, size_t len, cJSON **claims) {
  *claims = NULL;
  if (len == 0 || len > SMV__SB_JWS_MAX) return SMV__SB_JWS_E_SIZE;
  const char *d1 = memchr(jws, '.', len);
  const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jws)) : NULL;
  if (!d1 || !d2) return SMV__SB_JWS_E_FORM;
  *claims = json_part(d1 + 1, (size_t)(d2 - d1 - 1), PAYLOAD_MAX);
  return *claims ? 0 : SMV__SB_JWS_E_PAYLOAD;
}

int smv__sb_jws_sign(mbedtls_pk_context *pk, const char *kid, const char *claims,
                     int (*f_rng)(void *, unsigned char *, size_t), void *p_rng, char *out,
                     size_t cap, size_t *outlen) {
  smv__sb_jws_alg alg = smv__sb_jws_key_alg(pk);
  if (alg == SMV__SB_JWS_NONE) return SMV__SB_JWS_E_KEY;
  char hdr[256];
  int hn = kid ? snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
                          alg_name(alg), kid)
               : snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg_name(alg));
  if (hn < 0 || (size_t)hn >= sizeof(hdr) || (kid && strpbrk(kid, "\"\\"))) return SMV__SB_JWS_E_SIZE;
  size_t cl = strlen(claims);
  if (cl > PAYLOAD_MAX) return SMV__SB_JWS_E_SIZE;
  size_t o = smv__sb_b64url_encode((const unsigned char *)hdr, (size_t)hn, out, cap);
  if (!o || o + 2 > cap) return SMV__SB_JWS_E_SIZE;
  out[o++] = '.';
  size_t p = smv__sb_b64url_encode((const unsigned char *)claims, cl, out + o, cap - o);
  if (!p) return SMV__SB_JWS_E_SIZE;
  o += p;
  unsigned char hash[32], sig[SIG_MAX];
  size_t sl = 0;
  if (mbedtls_sha256((const unsigned char *)out, o, hash, 0) != 0) return SMV__SB_JWS_E_CRYPTO;
  MBED_BEGIN;
  int rc = mbedtls_pk_sign(pk, MBEDTLS_MD_SHA256, hash, sizeof(hash), sig, sizeof(sig), &sl, f_rng, p_rng);
  MBED_END;
  if (rc) return SMV__SB_JWS_E_CRYPTO;
  if (alg == SMV__SB_JWS_ES256 && mbedtls_ecdsa_der_to_raw(256, sig, sl, sig, sizeof(sig), &sl) != 0)
    return SMV__SB_JWS_E_CRYPTO;
  if (o + 2 > cap) return SMV__SB_JWS_E_SIZE;
  out[o++] = '.';
  size_t s = smv__sb_b64url_encode(sig, sl, out + o, cap - o);
  if (!s) return SMV__SB_JWS_E_SIZE;
  *outlen = o + s;
  return 0;
}

int smv__sb_jws_keygen_es256(mbedtls_pk_context *pk, int (*f_rng)(void *, unsigned char *, size_t),
                             void *p_rng) {
  MBED_BEGIN;
  int rc = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
           mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk), f_rng, p_rng) != 0;
  MBED_END;
  return rc ? SMV__SB_JWS_E_CRYPTO : 0;
}

size_t smv__sb_jwk_public(const mbedtls_pk_context *pk, const char *kid, char *out, size_t cap) {
  if (smv__sb_jws_key_alg(pk) != SMV__SB_JWS_ES256 || strpbrk(kid, "\"\\")) return 0;
  unsigned char pt[65];
  size_t n = 0;
  MBED_BEGIN;
  int rc = mbedtls_ecp_write_public_key(mbedtls_pk_ec(*pk), MBEDTLS_ECP_PF_UNCOMPRESSED, &n, pt,
                                        sizeof(pt));
  MBED_END;
  if (rc || n != 65) return 0;
  char x[48], y[48];
  smv__sb_b64url_encode(pt + 1, 32, x, sizeof(x));
  smv__sb_b64url_encode(pt + 33, 32, y, sizeof(y));
  int w = snprintf(out, cap,
                   "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"use\":\"sig\","
                   "\"alg\":\"ES256\",\"kid\":\"%s\"}",
                   x, y, kid);
  return w > 0 && (size_t)w < cap ? (size_t)w : 0;
}

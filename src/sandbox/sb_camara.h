/* CAMARA Number Verification v2 (release r3.2, API 2.1.0) in the sandbox, sans I/O: an OpenID
 * Connect authorization server that recognises the subscriber from the device's connection (the
 * operators' IP/port matching or header enrichment, as in the vendor flow), and the Number
 * Verification API that the app's backend calls with the access token. docs/sandbox.md has the
 * contract; ../shared/testdata/camara/ the official definitions it follows.
 *
 * Endpoints, on the API listener (HTTPS):
 *   GET       /.well-known/openid-configuration     discovery (OpenID Connect Discovery 1.0 3)
 *   GET       /oauth2/jwks                          the key that signs ID tokens
 *   GET|POST  /oauth2/authorize                     authorization code flow (RFC 6749 4.1, PKCE)
 *   GET       /oauth2/authorize/he/<id>?msisdn&ts&sig   back from an operator's header enrichment
 *   POST      /oauth2/token                         code exchange; private_key_jwt (RFC 7523),
 *                                                   client_secret_basic, client_secret_post
 *   POST      /number-verification/v2/verify        {"phoneNumber"} or {"hashedPhoneNumber"}
 *   GET       /number-verification/v2/device-phone-number
 *   POST      /sandbox/camara/tokens                test tokens (sandbox credentials)
 *
 * State: one table (sb_tokens) of authorization codes, access tokens, authorizations waiting for an
 * operator, and the ids of client assertions already used; each expires, the sweep removes it. */
#ifndef SMV_SANDBOX_SB_CAMARA_H
#define SMV_SANDBOX_SB_CAMARA_H

#include <stddef.h>
#include <mbedtls/pk.h>
#include <stdint.h>

#include "sandbox/sb_msg.h"
#include "sandbox/sb_tokens.h"

#define SMV__SB_OIDC_DISCOVERY "/.well-known/openid-configuration"
#define SMV__SB_OIDC_JWKS "/oauth2/jwks"
#define SMV__SB_OIDC_AUTHORIZE "/oauth2/authorize"
#define SMV__SB_OIDC_HE_PREFIX "/oauth2/authorize/he/"
#define SMV__SB_OIDC_TOKEN "/oauth2/token"
#define SMV__SB_NV_VERIFY "/number-verification/v2/verify"
#define SMV__SB_NV_SHARE "/number-verification/v2/device-phone-number"
#define SMV__SB_TEST_TOKENS "/sandbox/camara/tokens"

#define SMV__SB_CAMARA_ID_LEN 43       /* codes, tokens, ids: 32 random bytes in base64url */
#define SMV__SB_STATE_MAX 512          /* state and nonce bytes: the redirect stays under 4 KiB */
#define SMV__SB_JWT_BEARER "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

struct smv__sb_service;

typedef struct smv__sb_camara {
  smv__sb_tokens store;
  size_t jti_count;                    /* assertion ids in the store */
  mbedtls_pk_context *id_key;   /* signs ID tokens; made on first use (P-256) */
  char kid[24];
  unsigned char sub_key[32];           /* pseudonymous "sub" of ID tokens: HMAC of the MSISDN */
  struct {
    uint64_t authorize, codes, tokens, api;
  } n;
} smv__sb_camara;

int smv__sb_camara_init(smv__sb_camara *c, const smv__sb_effects *fx);
void smv__sb_camara_free(smv__sb_camara *c);

/* Answers req when its path (the first plen bytes of its target) is one of the CAMARA endpoints:
 * returns 1 with res written; 0 when the path is not one of them. */
int smv__sb_camara_handle(struct smv__sb_service *svc, const smv__sb_request *req, size_t plen,
                          const char *query, uint64_t now_ms, smv__sb_response *res);

/* Removes what has expired at now_ms; returns how many. */
size_t smv__sb_camara_sweep(struct smv__sb_service *svc, uint64_t now_ms);

/* 1 when s (n bytes) has the shape of the ids this module makes (43 base64url characters). */
int smv__sb_camara_id_ok(const char *s, size_t n);

/* The signing key of ID tokens (made on first use through the effects' random source), to verify
 * them in tests; NULL when it cannot be made. */
mbedtls_pk_context *smv__sb_camara_id_key(struct smv__sb_service *svc);

#endif

/* The verification service and the operator, sans I/O: a parsed request and the time go in, a
 * response comes out, and the side effects (random bytes, "deliver this result to that callback")
 * are calls on an effects table. The libuv glue (sandbox.c) owns sockets, timers and the journal;
 * everything the seed's API demands is decided here and unit-tested without a network.
 *
 * Endpoints (docs/sandbox.md):
 *   API listener (HTTPS)       POST /mi/verification/1/verify
 *                              POST /mi/verification/1/zero-rated/init
 *                              POST /mi/verification/1/verify/zero-rated
 *                              GET  /mi/device/<token>            the deviceRedirectUrl
 *                              GET  /mi/device/<token>/he?msisdn=&ts=&sig=   back from the operator
 *                              the CAMARA endpoints (sb_camara.h)
 *   operator listener (HTTP)   GET  /he/<operator>/<token>        header enrichment
 *                              GET  /he/<operator>/oidc/<id>      the same for a CAMARA authorization
 */
#ifndef SMV_SANDBOX_SB_SERVICE_H
#define SMV_SANDBOX_SB_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox/sb_camara.h"
#include "sandbox/sb_config.h"
#include "sandbox/sb_msg.h"
#include "sandbox/sb_tokens.h"
#include "sandbox/sb_urls.h"

#define SMV__SB_VERIFY_PATH "/mi/verification/1/verify"
#define SMV__SB_ZR_INIT_PATH "/mi/verification/1/zero-rated/init"
#define SMV__SB_ZR_VERIFY_PATH "/mi/verification/1/verify/zero-rated"
#define SMV__SB_DEVICE_PREFIX "/mi/device/"
#define SMV__SB_HE_PREFIX "/he/"

typedef struct smv__sb_counters {
  uint64_t verify_requests, ok, redirect, errors, device_visits, valid, invalid, error_results,
      zero_rated;
} smv__sb_counters;

typedef struct smv__sb_service {
  const smv__sb_config *cfg;
  smv__sb_effects fx;
  smv__sb_tokens tokens;
  smv__sb_camara camara;
  char api_base[300];           /* "https://127.0.0.1:8443" */
  char operator_base[300];      /* "http://127.0.0.1:8080" */
  smv__sb_counters n;
} smv__sb_service;

/* cfg must outlive the service; operators without an hmac key get a random one here (cfg is
 * written to for that). Returns 0 or SMV_ERR_NOMEM. */
int smv__sb_service_init(smv__sb_service *svc, smv__sb_config *cfg, const smv__sb_effects *fx,
                         const char *api_base, const char *operator_base);
void smv__sb_service_free(smv__sb_service *svc);

/* Answers one request at wall-clock time now_ms. Never fails: errors are responses. */
void smv__sb_service_handle(smv__sb_service *svc, const smv__sb_request *req, uint64_t now_ms,
                            smv__sb_response *res);

/* Expires the tokens whose TTL has passed at now_ms: each gets an ERROR-1021 result. Returns how
 * many expired. */
size_t smv__sb_service_sweep(smv__sb_service *svc, uint64_t now_ms);

/* Checks the header-enrichment assertion in query ("msisdn=..&ts=..&sig=..") for token under op's
 * key at now_ms; 0 and the vouched MSISDN ("" for an unidentified connection) in msisdn, or -1. */
int smv__sb_assert_check(const smv__sb_operator *op, const char *token, const char *query,
                         uint64_t now_ms, char msisdn[16]);

/* Validators, exposed for the tests (the URL checks are in sb_urls.h). */
int smv__sb_valid_msisdn(const char *s);
/* 1 when the Authorization value is Basic for user:password. */
int smv__sb_check_basic(const char *header, const char *user, const char *password);
/* The callback URL with every {result} and {token} replaced; malloc'd, NULL on no memory. */
char *smv__sb_callback_expand(const char *tmpl, const char *result, const char *token);

#endif

/* The verification service and the operator, sans I/O: a parsed request and the time go in, a
 * response comes out, and the side effects (random bytes, "deliver this result to that callback")
 * are calls on an effects table. The libuv glue (sandbox.c) owns sockets, timers and the journal;
 * everything the seed's API demands is decided here and unit-tested without a network.
 *
 * Endpoints (docs/sandbox.md):
 *   API listener (HTTPS)       POST /mi/verification/1/verify
 *                              GET  /mi/device/<token>            the deviceRedirectUrl
 *                              GET  /mi/device/<token>/he?msisdn=&ts=&sig=   back from the operator
 *   operator listener (HTTP)   GET  /he/<operator>/<token>        header enrichment
 */
#ifndef SMV_SANDBOX_SB_SERVICE_H
#define SMV_SANDBOX_SB_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox/sb_config.h"
#include "sandbox/sb_tokens.h"

#define SMV__SB_VERIFY_PATH "/mi/verification/1/verify"
#define SMV__SB_DEVICE_PREFIX "/mi/device/"
#define SMV__SB_HE_PREFIX "/he/"
#define SMV__SB_URL_MAX 2048        /* callbackUrl and returnUrl */

typedef enum smv__sb_listener { SMV__SB_API = 0, SMV__SB_OPERATOR = 1 } smv__sb_listener;

typedef struct smv__sb_effects {
  void *ud;
  /* n random bytes (token material). */
  void (*random)(void *ud, unsigned char *buf, size_t n);
  /* A verification has its result: GET url (placeholders already replaced) after delay_ms.
   * result is "VALID", "INVALID" or "ERROR-<id>". */
  void (*deliver)(void *ud, const char *url, const char *token, const char *result,
                  unsigned delay_ms);
  /* One line of narrative (may be NULL). */
  void (*log)(void *ud, const char *line);
} smv__sb_effects;

typedef struct smv__sb_request {
  smv__sb_listener listener;
  const char *method;
  const char *target;           /* "/path?query" */
  const char *authorization;    /* NULL when absent */
  const char *content_type;     /* NULL when absent */
  const char *body;
  size_t body_len;
  const char *peer_ip;          /* "127.0.0.1", "::1" */
  uint16_t peer_port;
} smv__sb_request;

typedef struct smv__sb_response {
  int status;
  char location[SMV__SB_URL_MAX + 512]; /* "" when none */
  const char *allow;            /* for 405 */
  int www_authenticate;         /* 401: add WWW-Authenticate: Basic realm="smv-sandbox" */
  unsigned delay_ms;            /* answer this late (operator latency) */
  char body[1024];              /* JSON ("" when none) */
  size_t body_len;
  int error_id;                 /* the ERROR id carried, 0 when none (for logs and tests) */
} smv__sb_response;

typedef struct smv__sb_counters {
  uint64_t verify_requests, ok, redirect, errors, device_visits, valid, invalid, error_results;
} smv__sb_counters;

typedef struct smv__sb_service {
  const smv__sb_config *cfg;
  smv__sb_effects fx;
  smv__sb_tokens tokens;
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

/* Validators, exposed for the tests. */
int smv__sb_valid_msisdn(const char *s);
/* 0 ok, SMV__SB_EC_INVALID_CALLBACK_URL or SMV__SB_EC_CALLBACK_PLACEHOLDERS */
int smv__sb_check_callback_url(const char *s);
int smv__sb_valid_return_url(const char *s);
/* 1 when the Authorization value is Basic for user:password. */
int smv__sb_check_basic(const char *header, const char *user, const char *password);
/* The callback URL with every {result} and {token} replaced; malloc'd, NULL on no memory. */
char *smv__sb_callback_expand(const char *tmpl, const char *result, const char *token);

#endif

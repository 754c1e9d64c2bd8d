/* What passes between the sandbox's sans-I/O logic (sb_service, sb_camara) and its libuv glue
 * (sandbox.c): the effects table, a parsed request, and the response to send. */
#ifndef SMV_SANDBOX_SB_MSG_H
#define SMV_SANDBOX_SB_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox/sb_urls.h"

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

typedef struct smv__sb_header {
  const char *name;             /* as received; compare case-insensitively */
  const char *value;
} smv__sb_header;

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
  const smv__sb_header *headers;  /* every header, in order (NULL: none given) */
  size_t header_count;
} smv__sb_request;

/* A redirect to a redirect_uri carries the code or the error, the state and their escapes. */
#define SMV__SB_LOCATION_MAX (SMV__SB_URL_MAX + 2560)

typedef struct smv__sb_response {
  int status;
  char location[SMV__SB_LOCATION_MAX]; /* "" when none */
  const char *allow;            /* for 405 */
  const char *www_authenticate; /* the WWW-Authenticate value (401), NULL when none */
  const char *content_type;     /* NULL: application/json when there is a body */
  int no_cache;                 /* add "Pragma: no-cache" (RFC 6749 5.1) beside Cache-Control */
  char x_correlator[260];       /* echoed "x-correlator" ("" when none) */
  unsigned delay_ms;            /* answer this late (operator latency) */
  char body[4096];              /* JSON, or the consent page's HTML ("" when none) */
  size_t body_len;
  int error_id;                 /* the ERROR id carried, 0 when none (for logs and tests) */
  const char *oauth_error;      /* the OAuth error code given, NULL when none (logs and tests) */
  const char *camara_code;      /* the CAMARA error code given, NULL when none (logs and tests) */
} smv__sb_response;

#define SMV__SB_BASIC_CHALLENGE "Basic realm=\"smv-sandbox\""

#endif

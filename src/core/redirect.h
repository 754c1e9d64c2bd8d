/* The redirect policy and the flow's outcome: every rule in one place (curl's Curl_follow is the
 * model). The engine sees URLs and response facts, never a socket. Per response the driver calls
 * smv__redirect_response_begin, hands it every header (it keeps what it decides on: Location,
 * Content-Type), then smv__redirect_on_response with the status, and gets one decision back: fetch
 * the next URL, or the flow's outcome (return_url, completed, service error) with the error it
 * carries, or a policy error.
 *
 * The rules, in the order they apply (the order is part of the contract):
 *  1. report mode (single_request): the first response is final; 2xx and 3xx complete.
 *  2. a status that is not followed (301, 302, 303, 307, 308) is final: 2xx completes, except the
 *     text/html page of an authorization chain (a consent or login page: smv never submits a form),
 *     which is SMV_ERR_INTERACTION_REQUIRED; anything else is a service error.
 *  3. exactly one Location (identical duplicates are one), bounded in length;
 *  4. resolved against the current URL (RFC 3986 section 5), else LOCATION_BAD;
 *  5. userinfo refused (a redirect must not smuggle credentials);
 *  6. the returnUrl wins before the scheme rules, because returnUrls are often app schemes; its OAuth
 *     parameters are captured there (RFC 6749 4.1.2): a state other than the expected one fails
 *     (10.12), error= is a service error, a code completes, and an authorization chain that arrives
 *     with neither is malformed;
 *  7. only http/https are fetched; plain http only when allowed;
 *  8. the same URL twice is a loop; more than max_redirects is too many;
 *  9. the next request keeps the first request's method and body only through 307 and 308; 303
 *     (RFC 9110 15.4.4), and 301 and 302 as browsers do (15.4.2, 15.4.3), turn it into a GET.
 * An authorization chain is a flow whose first URL is an OAuth authorization request (its query
 * has response_type and client_id, RFC 6749 4.1.1) or that expects a state.
 * Loop detection keeps 64-bit FNV-1a hashes of the fragment-less URLs: an accidental collision could
 * end a legitimate flow as a loop (fail closed), never let a loop run on. */
#ifndef SMV_CORE_REDIRECT_H
#define SMV_CORE_REDIRECT_H

#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"
#include "core/url.h"

#define SMV__REDIRECT_MAX_HOPS 64     /* hard ceiling on max_redirects (bounds the visited set) */
#define SMV__REDIRECT_LOCATION_MAX 4096 /* default and ceiling of max_location_bytes */
#define SMV__AUTH_PARAM_MAX 2048      /* an OAuth parameter, decoded: larger ones are malformed */

typedef struct smv__redirect_policy {
  unsigned max_redirects;     /* redirects followed; the (max+1)-th redirect fails */
  int no_http;                /* plain-HTTP hops forbidden even after the first */
  size_t max_location_bytes;  /* 0: SMV__REDIRECT_LOCATION_MAX */
  int single_request;         /* report mode: no redirect is followed */
  const char *return_url;     /* NULL: none. Parsed and kept by the engine */
  const char *expect_state;   /* NULL: none. The OAuth state the returnUrl must carry; the string
                                 must outlive the engine */
} smv__redirect_policy;

typedef enum smv__redirect_action {
  SMV__REDIRECT_FETCH = 1,    /* fetch r->current (the next hop) */
  SMV__REDIRECT_RETURN_URL,   /* a redirect pointed at the returnUrl (r->current): stop, success */
  SMV__REDIRECT_COMPLETED,    /* the final response completes the flow */
  SMV__REDIRECT_SERVICE_ERROR /* the flow ends on a service error: r->outcome_error says which */
} smv__redirect_action;

/* OAuth parameters found on the returnUrl reached, decoded; NULL when absent. */
typedef struct smv__authorization {
  int present;                /* a code or an error was there (an authorization response) */
  char *code, *state, *error, *error_description;
} smv__authorization;

typedef struct smv__redirect {
  smv__redirect_policy pol;
  smv__alloc *alloc;
  smv__url *current;          /* the URL being fetched: a compact copy (see url.h), from alloc */
  smv__url *return_url;       /* compact copy, or NULL */
  int authz_chain;            /* the flow is an OAuth authorization chain (see above) */
  unsigned redirects;         /* redirects followed so far */
  int keep_method;            /* the request to r->current repeats the first one's method and body
                                 (1 on the first hop; see rule 9) */
  unsigned nvisited;
  uint64_t visited[SMV__REDIRECT_MAX_HOPS + 1]; /* hashes of the fragment-less URLs fetched */
  /* The response being decided: */
  char *location;             /* the first Location (from alloc), NUL-terminated */
  size_t location_len;
  unsigned nlocations;
  int locations_differ;
  int html;                   /* Content-Type text/html or application/xhtml+xml */
  int outcome_error;          /* SERVICE_ERROR: SMV_ERR_SERVICE_ERROR, _INTERACTION_REQUIRED or
                                 _AUTHORIZATION_ERROR */
  smv__authorization auth;    /* filled when the returnUrl was reached */
} smv__redirect;

/* Checks and installs the first URL: must parse, be https, carry no userinfo; parses the returnUrl
 * (SMV_ERR_URL_PARSE when it is not a URL). URLs are kept in a at their own size (a flow holds them
 * for its whole life); smv__redirect_free releases everything, also after a failed start. */
int smv__redirect_start(smv__redirect *r, const smv__redirect_policy *pol, smv__alloc *a,
                        const char *url, size_t len);
void smv__redirect_free(smv__redirect *r);

/* A new response: forgets what the previous one said. */
void smv__redirect_response_begin(smv__redirect *r);
/* One header of the response, in order (value without surrounding whitespace). The first Location is
 * kept, later ones are compared with it. 0 or SMV_ERR_NOMEM. */
int smv__redirect_header(smv__redirect *r, const char *name, size_t name_len, const char *value,
                         size_t value_len);
/* The response's first Location (NULL when none): valid until the next response_begin. */
const char *smv__redirect_location(const smv__redirect *r);

/* Decides on the response whose headers were given. Returns 0 with *action set, or an SMV_ERR_*
 * policy error (exit status 8). */
int smv__redirect_on_response(smv__redirect *r, int status, smv__redirect_action *action);

/* Is this status one we follow (301, 302, 303, 307, 308)? */
int smv__redirect_is_redirect(int status);

#endif

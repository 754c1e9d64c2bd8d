/* The redirect policy: every redirect rule in one place (curl's Curl_follow is the
 * model). The engine sees URLs and response facts, never a socket: the driver asks it what to do with
 * each response and gets one decision back. */
#ifndef SMV_CORE_REDIRECT_H
#define SMV_CORE_REDIRECT_H

#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"
#include "core/url.h"

#define SMV__REDIRECT_MAX_HOPS 64   /* hard ceiling on max_redirects (bounds the visited set) */

typedef struct smv__redirect_policy {
  unsigned max_redirects;     /* redirects followed; the (max+1)-th redirect fails */
  int no_http;                /* plain-HTTP hops forbidden even after the first */
  size_t max_location_bytes;
  const smv__url *return_url; /* NULL: none */
} smv__redirect_policy;

typedef enum smv__redirect_action {
  SMV__REDIRECT_FETCH = 1,    /* fetch r->current (the next hop) */
  SMV__REDIRECT_RETURN_URL,   /* a redirect pointed at the returnUrl: stop, success */
  SMV__REDIRECT_FINAL         /* the response is the final one (2xx completed, else service error) */
} smv__redirect_action;

typedef struct smv__redirect {
  smv__redirect_policy pol;
  smv__alloc *alloc;
  smv__url *current;          /* the URL being fetched: a compact copy (see url.h), from alloc */
  unsigned redirects;         /* redirects followed so far */
  unsigned nvisited;
  uint64_t visited[SMV__REDIRECT_MAX_HOPS + 1]; /* hashes of the fragment-less URLs fetched */
} smv__redirect;

/* Checks and installs the first URL: must parse, be https, carry no userinfo. The current URL is
 * kept in a, at its own size (a flow holds it for its whole life); smv__redirect_free releases it,
 * also after a failed start. */
int smv__redirect_start(smv__redirect *r, const smv__redirect_policy *pol, smv__alloc *a,
                        const char *url, size_t len);
void smv__redirect_free(smv__redirect *r);

/* Given a response's status and its Location values (all of them, in order), decides. On FETCH the
 * next URL is in r->current. Returns 0 with *action set, or an SMV_ERR_* policy error. */
int smv__redirect_on_response(smv__redirect *r, int status, const char *const *locations,
                              const size_t *location_lens, size_t nlocations,
                              smv__redirect_action *action);

/* Is this status one we follow (301, 302, 303, 307, 308)? */
int smv__redirect_is_redirect(int status);

#endif

/* Redirect policy and outcome (the rules and their order are in redirect.h). */
#include "core/redirect.h"

#include <string.h>
#include <strings.h>

#include "core/http_framing.h"
#include "core/query.h"
#include "smv.h"

int smv__redirect_is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

static uint64_t url_hash(const smv__url *u) {
  uint64_t h = 1469598103934665603ull;
  size_t n = smv__url_href_nofrag_len(u);
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)u->href[i];
    h *= 1099511628211ull;
  }
  return h;
}

static int visit(smv__redirect *r) {
  uint64_t h = url_hash(r->current);
  for (unsigned i = 0; i < r->nvisited; i++)
    if (r->visited[i] == h) return SMV_ERR_REDIRECT_LOOP;
  if (r->nvisited >= sizeof(r->visited) / sizeof(r->visited[0])) return SMV_ERR_TOO_MANY_REDIRECTS;
  r->visited[r->nvisited++] = h;
  return 0;
}

/* Makes u (a full-size URL being built on the stack) the current one, at its own size. */
static int set_current(smv__redirect *r, const smv__url *u) {
  smv__url *c = smv__url_dup_compact(r->alloc, u);
  if (!c) return SMV_ERR_NOMEM;
  smv__free(r->alloc, r->current);
  r->current = c;
  return 0;
}

/* RFC 6749 4.1.1: an authorization request carries response_type and client_id. */
static int is_authorization_request(const smv__url *u) {
  const char *v;
  size_t vl;
  const char *q = u->href + u->query.off;
  return u->has_query && smv__query_find(q, u->query.len, "response_type", &v, &vl) == 1 &&
         smv__query_find(q, u->query.len, "client_id", &v, &vl) == 1;
}

int smv__redirect_start(smv__redirect *r, const smv__redirect_policy *pol, smv__alloc *a,
                        const char *url, size_t len) {
  memset(r, 0, sizeof(*r));
  r->pol = *pol;
  r->alloc = a;
  r->keep_method = 1;
  if (r->pol.max_redirects > SMV__REDIRECT_MAX_HOPS) r->pol.max_redirects = SMV__REDIRECT_MAX_HOPS;
  if (!r->pol.max_location_bytes || r->pol.max_location_bytes > SMV__REDIRECT_LOCATION_MAX)
    r->pol.max_location_bytes = SMV__REDIRECT_LOCATION_MAX;
  smv__url u;
  if (pol->return_url) {
    if (smv__url_parse(&u, pol->return_url, strlen(pol->return_url)) != 0) return SMV_ERR_URL_PARSE;
    if (!(r->return_url = smv__url_dup_compact(a, &u))) return SMV_ERR_NOMEM;
  }
  if (smv__url_parse(&u, url, len) != 0) return SMV_ERR_URL_PARSE;
  if (u.has_userinfo) return SMV_ERR_URL_USERINFO;
  if (u.is_http != 2) return SMV_ERR_URL_SCHEME;
  r->authz_chain = pol->expect_state != NULL || is_authorization_request(&u);
  int rc = set_current(r, &u);
  return rc ? rc : visit(r);
}

static void auth_clear(smv__redirect *r) {
  smv__authorization *z = &r->auth;
  smv__free(r->alloc, z->code);
  smv__free(r->alloc, z->state);
  smv__free(r->alloc, z->error);
  smv__free(r->alloc, z->error_description);
  memset(z, 0, sizeof(*z));
}

void smv__redirect_response_begin(smv__redirect *r) {
  smv__free(r->alloc, r->location);
  r->location = NULL;
  r->location_len = 0;
  r->nlocations = 0;
  r->locations_differ = 0;
  r->html = 0;
}

void smv__redirect_free(smv__redirect *r) {
  smv__redirect_response_begin(r);
  auth_clear(r);
  smv__free(r->alloc, r->current);
  smv__free(r->alloc, r->return_url);
  r->current = r->return_url = NULL;
}

/* The media type of a Content-Type value (before ';' and whitespace), case-insensitively. */
static int media_type_is(const char *v, size_t len, const char *type) {
  size_t n = 0;
  while (n < len && v[n] != ';' && v[n] != ' ' && v[n] != '\t') n++;
  return n == strlen(type) && strncasecmp(v, type, n) == 0;
}

int smv__redirect_header(smv__redirect *r, const char *name, size_t name_len, const char *value,
                         size_t value_len) {
  if (smv__http_name_is(name, name_len, "content-type")) {
    /* Content-Type is a singleton (RFC 9110 8.3); if a response sends it twice, one HTML value is
     * enough to call it a page (fail closed: a page is never reported as a completed flow). */
    r->html |= media_type_is(value, value_len, "text/html") ||
               media_type_is(value, value_len, "application/xhtml+xml");
    return 0;
  }
  if (!smv__http_name_is(name, name_len, "location")) return 0;
  /* Only a difference between copies matters, so one copy is kept (its size is bounded by the
   * response reader's header line limit). */
  if (r->nlocations++ > 0) {
    if (value_len != r->location_len || memcmp(value, r->location, value_len) != 0) r->locations_differ = 1;
    return 0;
  }
  if (!(r->location = smv__strndup(r->alloc, value, value_len))) return SMV_ERR_NOMEM;
  r->location_len = value_len;
  return 0;
}

const char *smv__redirect_location(const smv__redirect *r) { return r->location; }

/* One OAuth parameter of the returnUrl's query, decoded once; absent: *out stays NULL. */
static int auth_param(smv__redirect *r, const char *name, char **out) {
  const smv__url *u = r->current;
  const char *v;
  size_t vl;
  unsigned n = u->has_query ? smv__query_find(u->href + u->query.off, u->query.len, name, &v, &vl) : 0;
  if (n == 0) return 0;
  if (n > 1) return SMV_ERR_AUTHORIZATION_MALFORMED; /* RFC 6749 3.1: never more than once */
  char buf[SMV__AUTH_PARAM_MAX + 1];
  long dl = smv__form_decode(v, vl, buf, sizeof(buf));
  if (dl < 0) return SMV_ERR_AUTHORIZATION_MALFORMED;
  return (*out = smv__strndup(r->alloc, buf, (size_t)dl)) ? 0 : SMV_ERR_NOMEM;
}

/* The returnUrl reached: capture the authorization response and decide on it (rule 6). */
static int reach_return_url(smv__redirect *r, smv__redirect_action *action) {
  smv__authorization *z = &r->auth;
  int rc;
  auth_clear(r);
  if ((rc = auth_param(r, "code", &z->code)) || (rc = auth_param(r, "state", &z->state)) ||
      (rc = auth_param(r, "error", &z->error)) ||
      (rc = auth_param(r, "error_description", &z->error_description)))
    return rc;
  /* RFC 6749 10.12: a response without the state the client sent, or with another one, may be an
   * attacker's (CSRF); it is refused whatever it carries, so no code is reported as success. */
  if (r->pol.expect_state && (!z->state || strcmp(z->state, r->pol.expect_state) != 0))
    return SMV_ERR_AUTHORIZATION_STATE;
  /* An authorization response carries a code or an error (RFC 6749 4.1.2, 4.1.2.1); a returnUrl
   * without either (the seed's own, which may have any query) is no authorization. */
  z->present = z->code || z->error;
  if (z->error) {
    r->outcome_error = SMV_ERR_AUTHORIZATION_ERROR;
    *action = SMV__REDIRECT_SERVICE_ERROR;
    return 0;
  }
  if (!z->present) {
    if (r->authz_chain) return SMV_ERR_AUTHORIZATION_MALFORMED; /* the redirect_uri, without a code */
    auth_clear(r);
  }
  *action = SMV__REDIRECT_RETURN_URL;
  return 0;
}

/* A response that ends the flow (rules 1 and 2). */
static int final(smv__redirect *r, int status, smv__redirect_action *action) {
  int ok = status >= 200 && status < 300;
  if (r->pol.single_request && status >= 300 && status < 400) ok = 1;
  if (ok && r->authz_chain && r->html && !r->pol.single_request) {
    r->outcome_error = SMV_ERR_INTERACTION_REQUIRED;
    *action = SMV__REDIRECT_SERVICE_ERROR;
    return 0;
  }
  r->outcome_error = ok ? 0 : SMV_ERR_SERVICE_ERROR;
  *action = ok ? SMV__REDIRECT_COMPLETED : SMV__REDIRECT_SERVICE_ERROR;
  return 0;
}

int smv__redirect_on_response(smv__redirect *r, int status, smv__redirect_action *action) {
  r->outcome_error = 0;
  if (r->pol.single_request || !smv__redirect_is_redirect(status)) return final(r, status, action);
  if (r->nlocations == 0) return SMV_ERR_LOCATION_MISSING;
  if (r->locations_differ) return SMV_ERR_LOCATION_MULTIPLE;
  if (r->location_len > r->pol.max_location_bytes) return SMV_ERR_LOCATION_TOO_LONG;

  smv__url next;
  if (smv__url_resolve(&next, r->current, r->location, r->location_len) != 0) return SMV_ERR_LOCATION_BAD;
  if (next.has_userinfo) return SMV_ERR_URL_USERINFO;
  int rc;
  if (r->return_url && smv__url_matches_return(&next, r->return_url)) {
    if ((rc = set_current(r, &next)) != 0) return rc;
    return reach_return_url(r, action);
  }
  if (!next.is_http) return SMV_ERR_REDIRECT_SCHEME;
  if (next.is_http == 1 && r->pol.no_http) return SMV_ERR_REDIRECT_DOWNGRADE;
  if (r->redirects >= r->pol.max_redirects) return SMV_ERR_TOO_MANY_REDIRECTS;
  if ((rc = set_current(r, &next)) != 0) return rc;
  r->redirects++;
  r->keep_method = r->keep_method && (status == 307 || status == 308);
  if ((rc = visit(r)) != 0) return rc;
  *action = SMV__REDIRECT_FETCH;
  return 0;
}

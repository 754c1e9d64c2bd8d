/* Redirect policy. Order of the checks matters and is part of the contract:
 *  1. exactly one Location (identical duplicates are one), bounded in length;
 *  2. resolved against the current URL (RFC 3986 section 5), else LOCATION_BAD;
 *  3. userinfo refused (a redirect must not smuggle credentials);
 *  4. returnUrl match wins before the scheme rules, because returnUrls are often app schemes;
 *  5. only http/https are fetched; plain http only when allowed;
 *  6. the same URL twice is a loop; more than max_redirects is too many.
 * Loop detection keeps 64-bit FNV-1a hashes of the fragment-less URLs: an accidental collision could
 * end a legitimate flow as a loop (fail closed), never let a loop run on. */
#include "core/redirect.h"

#include <string.h>

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

int smv__redirect_start(smv__redirect *r, const smv__redirect_policy *pol, smv__alloc *a,
                        const char *url, size_t len) {
  memset(r, 0, sizeof(*r));
  r->pol = *pol;
  r->alloc = a;
  if (r->pol.max_redirects > SMV__REDIRECT_MAX_HOPS) r->pol.max_redirects = SMV__REDIRECT_MAX_HOPS;
  smv__url first;
  if (smv__url_parse(&first, url, len) != 0) return SMV_ERR_URL_PARSE;
  if (first.has_userinfo) return SMV_ERR_URL_USERINFO;
  if (first.is_http != 2) return SMV_ERR_URL_SCHEME;
  int rc = set_current(r, &first);
  return rc ? rc : visit(r);
}

void smv__redirect_free(smv__redirect *r) {
  smv__free(r->alloc, r->current);
  r->current = NULL;
}

int smv__redirect_on_response(smv__redirect *r, int status, const char *const *locations,
                              const size_t *location_lens, size_t nlocations,
                              smv__redirect_action *action) {
  if (!smv__redirect_is_redirect(status)) {
    *action = SMV__REDIRECT_FINAL;
    return 0;
  }
  if (nlocations == 0) return SMV_ERR_LOCATION_MISSING;
  for (size_t i = 1; i < nlocations; i++)
    if (location_lens[i] != location_lens[0] || memcmp(locations[i], locations[0], location_lens[0]) != 0)
      return SMV_ERR_LOCATION_MULTIPLE;
  size_t max = r->pol.max_location_bytes ? r->pol.max_location_bytes : 4096;
  if (location_lens[0] > max) return SMV_ERR_LOCATION_TOO_LONG;

  smv__url next;
  if (smv__url_resolve(&next, r->current, locations[0], location_lens[0]) != 0) return SMV_ERR_LOCATION_BAD;
  if (next.has_userinfo) return SMV_ERR_URL_USERINFO;
  int rc;
  if (r->pol.return_url && smv__url_matches_return(&next, r->pol.return_url)) {
    if ((rc = set_current(r, &next)) != 0) return rc;
    *action = SMV__REDIRECT_RETURN_URL;
    return 0;
  }
  if (!next.is_http) return SMV_ERR_REDIRECT_SCHEME;
  if (next.is_http == 1 && r->pol.no_http) return SMV_ERR_REDIRECT_DOWNGRADE;
  if (r->redirects >= r->pol.max_redirects) return SMV_ERR_TOO_MANY_REDIRECTS;
  if ((rc = set_current(r, &next)) != 0) return rc;
  r->redirects++;
  rc = visit(r);
  if (rc) return rc;
  *action = SMV__REDIRECT_FETCH;
  return 0;
}

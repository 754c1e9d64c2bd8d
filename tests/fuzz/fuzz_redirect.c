/* libFuzzer target for the redirect engine: the input scripts a whole chain. Line 1 is the first URL
 * (a fixed one when it is not acceptable), line 2 the returnUrl (empty: none); every further line is
 * one response: its first byte picks the status (and, with its top bit, a text/html Content-Type),
 * the rest are its Location values separated by 0x01. The engine must stop within max_redirects,
 * only ever fetch http(s) URLs without userinfo (https only under no_http), never fetch the same URL
 * twice, report a returnUrl only when it matches, a code only with the expected state, and answer the
 * same way when the chain is replayed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/redirect.h"
#include "smv.h"

#define MAX_LOCS 4

static const int statuses[] = {200, 204, 301, 302, 303, 307, 308, 300, 304, 305, 100, 404, 500, 302};

typedef struct outcome {
  int rc;
  smv__redirect_action action;
  unsigned fetches;
  uint64_t h;
} outcome;

static smv__redirect r;
static smv__alloc alloc;
static smv__url ret;
static char ret_text[SMV__URL_MAX];
static smv__url fetched[SMV__REDIRECT_MAX_HOPS + 2];

static const char *line_end(const char *p, const char *end) {
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  return nl ? nl : end;
}

static void run(const char *s, size_t size, unsigned max, int no_http, outcome *o) {
  const char *end = s + size, *p = s, *e = line_end(p, end);
  static const char fallback[] = "https://a.example/start";
  smv__redirect_policy pol = {max, no_http, 64 + (size_t)(max * 37), 0, NULL, (max & 1) ? "st" : NULL};
  const char *l2 = e < end ? e + 1 : end, *e2 = line_end(l2, end);
  if (e2 > l2 && (size_t)(e2 - l2) < sizeof ret_text && smv__url_parse(&ret, l2, (size_t)(e2 - l2)) == 0 &&
      !memchr(l2, 0, (size_t)(e2 - l2))) {
    memcpy(ret_text, l2, (size_t)(e2 - l2));
    ret_text[e2 - l2] = '\0';
    pol.return_url = ret_text;
  }

  memset(o, 0, sizeof *o);
  smv__redirect_free(&r);
  if (smv__redirect_start(&r, &pol, &alloc, p, (size_t)(e - p)) != 0 &&
      (smv__redirect_free(&r), smv__redirect_start(&r, &pol, &alloc, fallback, sizeof fallback - 1)) != 0)
    abort();
  if (r.current->is_http != 2 || r.current->has_userinfo) abort();
  smv__url_copy(&fetched[0], r.current);
  o->fetches = 1;

  for (p = e2 < end ? e2 + 1 : end; p < end; ) {
    e = line_end(p, end);
    int status = statuses[(unsigned char)*p % (sizeof statuses / sizeof statuses[0])];
    smv__redirect_response_begin(&r);
    if ((unsigned char)*p & 0x80) smv__redirect_header(&r, "Content-Type", 12, "text/html", 9);
    size_t n = 0;
    for (const char *q = p + 1; q <= e && n < MAX_LOCS && e > p + 1;) {
      const char *sep = memchr(q, 0x01, (size_t)(e - q));
      if (!sep) sep = e;
      if (smv__redirect_header(&r, "Location", 8, q, (size_t)(sep - q)) != 0) abort();
      n++;
      q = sep + 1;
    }
    o->rc = smv__redirect_on_response(&r, status, &o->action);
    o->h = (o->h ^ (uint64_t)(o->rc + 7 * (int)o->action)) * 0x100000001b3ULL;
    if (o->rc == 0 && o->action == SMV__REDIRECT_SERVICE_ERROR && r.outcome_error == 0) abort();
    if (o->rc == 0 && r.auth.code && pol.expect_state && (!r.auth.state || strcmp(r.auth.state, "st")))
      abort();  /* a code without the expected state reported as success */
    if (o->rc != 0 || o->action != SMV__REDIRECT_FETCH) break;

    const smv__url *u = r.current;
    if (!u->is_http || u->has_userinfo || (no_http && u->is_http != 2)) abort();
    if (r.redirects > max || o->fetches > SMV__REDIRECT_MAX_HOPS) abort();
    size_t nl = smv__url_href_nofrag_len(u);
    for (unsigned i = 0; i < o->fetches; i++)
      if (smv__url_href_nofrag_len(&fetched[i]) == nl && memcmp(fetched[i].href, u->href, nl) == 0)
        abort();  /* fetched twice: the loop check failed */
    smv__url_copy(&fetched[o->fetches++], u);
    for (size_t i = 0; i < u->href_len; i++) o->h = (o->h ^ (unsigned char)u->href[i]) * 0x100000001b3ULL;
    p = e < end ? e + 1 : end;
  }
  if (o->rc == 0 && o->action == SMV__REDIRECT_RETURN_URL &&
      (!pol.return_url || !smv__url_matches_return(r.current, &ret)))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  if (!alloc.hook.malloc) smv__alloc_init(&alloc, NULL);
  unsigned max = data[0] % 12;
  int no_http = (data[0] >> 7) & 1;
  outcome a, b;
  run((const char *)data + 1, size - 1, max, no_http, &a);
  run((const char *)data + 1, size - 1, max, no_http, &b);
  smv__redirect_free(&r);
  if (a.rc != b.rc || a.h != b.h || a.fetches != b.fetches) abort();
  if (a.rc != 0 && smv_exit_code(a.rc) != 8) abort();  /* only policy errors */
  return 0;
}

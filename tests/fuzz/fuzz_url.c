/* libFuzzer target for the URL module: parse, resolve against a fixed base and against a base taken
 * from the input, and check the properties the rest of the client relies on: a result is in normal
 * form (parsing its href again gives the same href), its spans stay inside it, its request target
 * never carries a fragment, and it holds only URI characters. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/url.h"

static smv__url a, b, c;

static void check(const smv__url *u) {
  if (u->href_len >= SMV__URL_MAX || u->href[u->href_len] != '\0' || strlen(u->href) != u->href_len) abort();
  const smv__span spans[] = {u->scheme, u->userinfo, u->host, u->port, u->path, u->query, u->fragment};
  for (size_t i = 0; i < sizeof(spans) / sizeof(spans[0]); i++)
    if ((size_t)spans[i].off + spans[i].len > u->href_len) abort();
  for (size_t i = 0; i < u->href_len; i++) {
    unsigned char ch = (unsigned char)u->href[i];
    if (ch <= 0x20 || ch >= 0x7f || ch == '\\' || strchr("\"<>^`{|}", ch)) abort();
  }

  smv__span t = smv__url_target(u);
  if ((size_t)t.off + t.len > u->href_len || memchr(u->href + t.off, '#', t.len)) abort();
  if (u->is_http) {
    char hh[300];
    if (u->host.len == 0 || u->path.len == 0 || u->href[u->path.off] != '/') abort();
    size_t n = smv__url_host_header(u, hh, sizeof hh);
    if (n == 0 || memchr(hh, '@', n) || memchr(hh, '/', n)) abort();
  }

  /* idempotent: the href is already in normal form */
  if (smv__url_parse(&c, u->href, u->href_len) != 0) abort();
  if (c.href_len != u->href_len || memcmp(c.href, u->href, u->href_len) != 0) abort();
  if (smv__url_same_origin(u, &c) != u->has_authority || !smv__url_matches_return(&c, u)) abort();

  /* the empty reference is the URL without its fragment (RFC 3986 section 5.2.2) */
  if (smv__url_resolve(&c, u, "", 0) != 0) abort();
  if (c.href_len != smv__url_href_nofrag_len(u) || memcmp(c.href, u->href, c.href_len) != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char base[] = "https://a.example:8443/b/c/d;p?q#f";
  const char *s = (const char *)data;

  if (smv__url_parse(&a, s, size) == 0) check(&a);

  if (smv__url_parse(&b, base, sizeof base - 1) != 0) abort();
  if (smv__url_resolve(&a, &b, s, size) == 0) {
    check(&a);
    if (smv__url_matches_return(&a, &b) && !smv__url_same_origin(&a, &b)) abort();   /* b has an authority */
  }

  /* "base\nreference": both from the input */
  const char *nl = memchr(s, '\n', size);
  if (nl && smv__url_parse(&b, s, (size_t)(nl - s)) == 0) {
    check(&b);
    size_t rl = size - (size_t)(nl + 1 - s);
    if (smv__url_resolve(&a, &b, nl + 1, rl) == 0) check(&a);
    /* resolving into the base itself gives the same result */
    if (smv__url_resolve(&b, &b, nl + 1, rl) == 0) {
      if (a.href_len != b.href_len || memcmp(a.href, b.href, a.href_len) != 0) abort();
    }
  }
  return 0;
}

/* URL checks on the core parser. The parser normalises (case, default ports, escapes), but nothing
 * here keeps its output: the URL is stored and later sent or compared exactly as the backend gave
 * it, which is what the device will see. */
#include "sandbox/sb_urls.h"

#include <string.h>

#include "core/url.h"
#include "sandbox/sb_errors.h"

/* Parses s with the client's rules; NULL when it does not parse or is too long. */
static const smv__url *parse(smv__url *u, const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > SMV__SB_URL_MAX) return NULL;
  return smv__url_parse(u, s, n) == 0 ? u : NULL;
}

static size_t count(const char *s, size_t n, const char *needle) {
  size_t k = strlen(needle), c = 0;
  for (size_t i = 0; i + k <= n; i++)
    if (memcmp(s + i, needle, k) == 0) c++;
  return c;
}

int smv__sb_check_callback_url(const char *s) {
  /* The placeholders' braces are not URL characters (the parser refuses them): each is replaced by
   * a mark of the same length, and any other brace is an error. */
  char tmp[SMV__SB_URL_MAX + 1];
  size_t n = strlen(s), nr = 0, nt = 0;
  if (n == 0 || n > SMV__SB_URL_MAX) return SMV__SB_EC_INVALID_CALLBACK_URL;
  for (size_t i = 0; i < n;) {
    if (strncmp(s + i, "{result}", 8) == 0) {
      memcpy(tmp + i, "RESULT__", 8), i += 8, nr++;
    } else if (strncmp(s + i, "{token}", 7) == 0) {
      memcpy(tmp + i, "TOKEN__", 7), i += 7, nt++;
    } else if (s[i] == '{' || s[i] == '}') {
      return SMV__SB_EC_INVALID_CALLBACK_URL;
    } else {
      tmp[i] = s[i], i++;
    }
  }
  tmp[n] = 0;
  static smv__url u; /* 4.6 KiB: not on the stack of a request handler; the sandbox is one thread */
  if (!parse(&u, tmp) || !u.is_http || u.has_userinfo) return SMV__SB_EC_INVALID_CALLBACK_URL;
  /* The marks are plain letters, which normalisation leaves as they are; a URL that spells a mark
   * itself (or escapes one) would make the count differ, and is refused rather than guessed at. */
  if (count(u.href, u.href_len, "RESULT__") != nr || count(u.href, u.href_len, "TOKEN__") != nt)
    return SMV__SB_EC_INVALID_CALLBACK_URL;
  /* Both must be in the query (after '?', before '#'). */
  const char *q = u.href + u.query.off;
  size_t ql = u.has_query ? u.query.len : 0;
  return count(q, ql, "RESULT__") && count(q, ql, "TOKEN__") ? 0 : SMV__SB_EC_CALLBACK_PLACEHOLDERS;
}

int smv__sb_valid_return_url(const char *s) {
  static smv__url u;
  return parse(&u, s) && !u.has_userinfo;
}

int smv__sb_valid_redirect_uri(const char *s) {
  static smv__url u;
  return parse(&u, s) && !u.has_userinfo && !u.has_fragment;
}

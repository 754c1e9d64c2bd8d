/* The URL module's deliberate differences (url_rules.h). */
#include "helpers/url_rules.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const smv_url_rule_info smv_url_rules[SMV_URL_R_COUNT] = {
  [SMV_URL_R_WHITESPACE] = {"whitespace/control", SMV_URL_REFUSE,
    "bytes 0x00-0x20 and 0x7f are not URI characters (RFC 3986 2); WHATWG strips leading/trailing C0 and space "
    "and removes tab/LF/CR anywhere, curl percent-encodes a space of a relative reference; we refuse them"},
  [SMV_URL_R_BACKSLASH] = {"backslash", SMV_URL_REFUSE,
    "'\\' is not a URI character; WHATWG reads it as '/' in http(s) URLs, curl keeps it in a path; we refuse it"},
  [SMV_URL_R_NONASCII] = {"non-ASCII", SMV_URL_REFUSE,
    "WHATWG IDNA-maps hosts and UTF-8-encodes paths, curl keeps the bytes (escaping them in a relative "
    "reference); URIs are ASCII (RFC 3986 2), we refuse non-ASCII"},
  [SMV_URL_R_OUTSIDE_3986] = {"outside RFC 3986", SMV_URL_REFUSE,
    "\" < > ^ ` { | } are not URI characters (RFC 3986 2); WHATWG percent-encodes or keeps them, curl keeps "
    "them outside the host; we refuse them"},
  [SMV_URL_R_BAD_PERCENT] = {"bad percent", SMV_URL_REFUSE,
    "'%' starts a two-hex-digit escape (RFC 3986 2.1); WHATWG and curl keep a '%' without them (lib1560's "
    "\"%TESTNUMBER\" test-suite placeholder is one); we refuse it"},
  [SMV_URL_R_NO_SLASHES] = {"http(s) without //", SMV_URL_REFUSE,
    "RFC 3986 (strict, 5.2.2) makes \"http:x\" an http URL without authority, which we refuse; WHATWG reads it "
    "relative to an http base and adds missing slashes, curl reads \"http:/h\" as \"http://h\""},
  [SMV_URL_R_THREE_SLASHES] = {"three slashes", SMV_URL_REFUSE,
    "for RFC 3986 \"///h\" is an empty authority and a path, so no host (refused for http(s), RFC 9110 4.2.1); "
    "WHATWG skips any number of slashes before an http(s) host, curl skips a third one"},
  [SMV_URL_R_IPV4_FORM] = {"IPv4 number forms", SMV_URL_REFUSE,
    "a host whose last label is a number is an IPv4 address written as four decimals 0-255 without leading "
    "zeros, or nothing; WHATWG and curl read hex, octal and short forms as IPv4 (WHATWG also a trailing dot), "
    "and curl 7.88.1 takes \"1.2.3.256\", \"1.2.3.4.\" or \"a.09\" as names"},
  [SMV_URL_R_PORT_ZERO] = {"port 0", SMV_URL_REFUSE,
    "nothing can be reached on port 0; WHATWG and curl keep it"},
  [SMV_URL_R_HASH_IN_FRAGMENT] = {"'#' in fragment", SMV_URL_REFUSE,
    "RFC 3986 3.5 has no '#' in a fragment; WHATWG and curl keep it"},
  [SMV_URL_R_BRACKETS] = {"'[' ']' outside IPv6", SMV_URL_REFUSE,
    "brackets are only allowed around an IPv6 host (RFC 3986 3.2.2); WHATWG escapes them elsewhere, curl keeps "
    "them outside the host"},
  [SMV_URL_R_USERINFO_AT] = {"several '@'", SMV_URL_REFUSE,
    "RFC 3986 has no '@' inside userinfo; WHATWG splits at the last '@' and escapes the others (curl refuses "
    "too)"},
  [SMV_URL_R_HOST_ESCAPE] = {"host escape", SMV_URL_REFUSE,
    "a host escape must stand for an unreserved character; WHATWG decodes it and applies IDNA, curl 7.88.1 "
    "decodes it and keeps what comes out (a '%', a non-ASCII byte)"},
  [SMV_URL_R_DNS_NAME] = {"DNS name rules", SMV_URL_REFUSE,
    "a reg-name must be a DNS name: labels of 1-63 octets, 253 in all, one trailing dot (RFC 1035 2.3.4); "
    "WHATWG and curl keep empty and long labels, which no resolver looks up"},
  [SMV_URL_R_EMPTY_HOST] = {"empty host", SMV_URL_REFUSE,
    "an http(s) URL without a host is refused (RFC 9110 4.2.1); the lib1560 case sets CURLU_NO_AUTHORITY"},
  [SMV_URL_R_COLON_SEGMENT] = {"colon in first segment", SMV_URL_REFUSE,
    "a relative reference whose first segment holds ':' is no URI reference (RFC 3986 4.2: \":23\", \"1a:b\"); "
    "WHATWG and curl read \":23\" as a relative path (curl 7.88.1 refuses \"1a:b\" as an unknown scheme); we "
    "refuse it"},
  [SMV_URL_R_IPV6_ZONE] = {"IPv6 zone id", SMV_URL_REFUSE,
    "a zone identifier (RFC 6874) names an interface of this machine, not a server; WHATWG refuses it, curl "
    "keeps it"},
  [SMV_URL_R_TOO_LONG] = {"length", SMV_URL_REFUSE,
    "an href holds at most SMV__URL_MAX - 1 bytes (the per-flow memory budget); curl's bound is 8 MB"},
  [SMV_URL_R_HOST_SUBDELIM] = {"sub-delims in host", SMV_URL_ACCEPT,
    "RFC 3986 3.2.2 reg-names include the sub-delims and WHATWG takes them; curl 7.88.1 refuses ! $ & ' ( ) * + "
    ", ; = in a host"},
  [SMV_URL_R_OTHER_SCHEME] = {"other scheme", SMV_URL_ACCEPT,
    "a URL of a scheme other than http(s) is never fetched, so its parts are not compared: we "
    "parse any scheme generically (a returnUrl such as \"myapp:done\" must match), by RFC 3986 alone (no "
    "\"//\" path without an authority, 3.3); curl without CURLU_NON_SUPPORT_SCHEME refuses the schemes it "
    "has no protocol for and applies its own rules to the others (\"ftp:/h\" has a host for curl)"},
  [SMV_URL_R_LONG_SCHEME] = {"long scheme", SMV_URL_ACCEPT,
    "RFC 3986 3.1 puts no bound on a scheme's length; curl reads a \"scheme:\" of more than 40 characters as "
    "a relative path"},
  [SMV_URL_R_PCT_CASE] = {"percent-escape case", SMV_URL_DIFFER,
    "RFC 3986 6.2.2: we upper-case escape hex and decode escaped unreserved characters; WHATWG and curl "
    "7.88.1 keep them as written"},
  [SMV_URL_R_ENCODED_DOTS] = {"encoded dot segment", SMV_URL_DIFFER,
    "\"%2E\" is \".\" (RFC 3986 6.2.2.2), so \"/%2e%2e/\" is a dot segment that 5.2.4 removes, as WHATWG and "
    "lib1560 do; curl 7.88.1 keeps it (curl removes it since commit c31dd6631f)"},
  [SMV_URL_R_USERINFO_KEPT] = {"userinfo kept", SMV_URL_DIFFER,
    "we keep userinfo as written (an empty password, an empty userinfo) so the redirect policy sees and "
    "refuses it; WHATWG drops the empty parts"},
  [SMV_URL_R_QUOTE_IN_QUERY] = {"quote in query", SMV_URL_DIFFER,
    "WHATWG escapes ' in http(s) queries; RFC 3986 allows it raw"},
  [SMV_URL_R_DEFAULT_PORT] = {"default port", SMV_URL_DIFFER,
    "curl keeps an explicit default port; we drop it (RFC 3986 6.2.3)"},
  [SMV_URL_R_FILE_LOCALHOST] = {"file localhost", SMV_URL_DIFFER,
    "curl applies RFC 8089 and drops \"localhost\" from file URLs"},
  [SMV_URL_R_HOST_CASE] = {"host case", SMV_URL_DIFFER,
    "the host is case-insensitive (RFC 3986 3.2.2) and we lower-case it (6.2.2.1), as WHATWG does; curl keeps "
    "it as written"},
  [SMV_URL_R_IPV6_TEXT] = {"IPv6 text form", SMV_URL_DIFFER,
    "we write an IPv6 literal as RFC 5952 text; curl 7.88.1 keeps it as written unless its own form is shorter "
    "(curl normalises it since commit 566a6d7b09)"},
  [SMV_URL_R_CURL_EMPTY_REF] = {"curl: empty reference", SMV_URL_DIFFER,
    "an empty or fragment-only reference keeps the base's path and query (RFC 3986 5.2.2); curl 7.88.1 drops "
    "the base's last segment and its query (curl keeps them since commits c37b694e46 and 15839450be)"},
  [SMV_URL_R_CURL_BASE_FRAGMENT] = {"curl: base fragment", SMV_URL_DIFFER,
    "the base's fragment takes no part in resolution (RFC 3986 5.2.2); curl 7.88.1 merges into the base's "
    "whole text, so a query lands after the base's fragment and a path after a '/' inside it (curl cuts the "
    "fragment off first since commit 66e5351e0a)"},
  [SMV_URL_R_CURL_SEGMENTS] = {"curl: dot prefix, empty segment", SMV_URL_DIFFER,
    "5.2.3 keeps the base path up to its last '/' and 5.2.4 removes dot segments after the merge; curl 7.88.1 "
    "strips leading \"./\" and \"../\" from the reference before merging and drops an empty last segment of "
    "the base's directory, so \"./?\", \"..//g\" or a base \"/a//\" come out otherwise (its merge was "
    "rewritten in commits 66e5351e0a and 150b0d808b)"},
};

static int has(const char *s, size_t n, int (*pred)(unsigned char)) {
  for (size_t i = 0; i < n; i++)
    if (pred((unsigned char)s[i])) return 1;
  return 0;
}

static int p_ws_ctl(unsigned char c) { return c <= 0x20 || c == 0x7f; }
static int p_backslash(unsigned char c) { return c == '\\'; }
static int p_nonascii(unsigned char c) { return c >= 0x80; }
static int p_outside(unsigned char c) { return c != 0 && strchr("\"<>^`{|}", c) != NULL; }

int smv_url_has_ws_ctl(const char *s, size_t n) { return has(s, n, p_ws_ctl); }
int smv_url_has_backslash(const char *s, size_t n) { return has(s, n, p_backslash); }
int smv_url_has_nonascii(const char *s, size_t n) { return has(s, n, p_nonascii); }
int smv_url_has_outside_3986(const char *s, size_t n) { return has(s, n, p_outside); }

int smv_url_is_unreserved(int c) { return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

int smv_url_bad_percent(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] == '%' && (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) || !isxdigit((unsigned char)s[i + 2])))
      return 1;
  return 0;
}

/* bytes of an "http:" or "https:" prefix (any case), 0 if none */
static size_t http_prefix(const char *s, size_t n) {
  if (n >= 6 && strncasecmp(s, "https:", 6) == 0) return 6;
  if (n >= 5 && strncasecmp(s, "http:", 5) == 0) return 5;
  return 0;
}

int smv_url_http_no_slashes(const char *s, size_t n) {
  size_t k = http_prefix(s, n);
  return k && !(n - k >= 2 && s[k] == '/' && s[k + 1] == '/');
}

int smv_url_three_slashes(const char *s, size_t n) {
  size_t k = http_prefix(s, n);
  return n - k >= 3 && memcmp(s + k, "///", 3) == 0;
}

int smv_url_hash_in_fragment(const char *s, size_t n) {
  const char *h = memchr(s, '#', n);
  return h && memchr(h + 1, '#', n - (size_t)(h + 1 - s)) != NULL;
}

size_t smv_url_scheme_len(const char *s, size_t n) {
  if (n == 0 || !isalpha((unsigned char)s[0])) return 0;
  size_t i = 1;
  while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')) i++;
  return i < n && s[i] == ':' ? i : 0;
}

int smv_url_colon_segment(const char *s, size_t n) {
  if (smv_url_scheme_len(s, n)) return 0;
  for (size_t i = 0; i < n && !strchr("/?#", s[i]); i++)
    if (s[i] == ':') return 1;
  return 0;
}

int smv_url_authority(const char *s, size_t n, size_t *st, size_t *en) {
  size_t i = smv_url_scheme_len(s, n);
  if (i) i++;
  if (n - i < 2 || s[i] != '/' || s[i + 1] != '/') return 0;
  *st = i + 2;
  *en = *st;
  while (*en < n && !strchr("/?#", s[*en])) (*en)++;
  return 1;
}

int smv_url_userinfo_at(const char *s, size_t n) {
  size_t st, en, k = 0;
  if (!smv_url_authority(s, n, &st, &en)) return 0;
  for (size_t i = st; i < en; i++) k += s[i] == '@';
  return k > 1;
}

int smv_url_host_escape(const char *s, size_t n) {
  size_t st, en;
  if (!smv_url_authority(s, n, &st, &en)) return 0;
  for (size_t i = st; i < en; i++)
    if (s[i] == '@') st = i + 1;
  if (st < en && s[st] == '[') return 0;   /* an IP-literal: "%25" there starts a zone id */
  for (size_t i = st; i + 2 < en; i++) {
    if (s[i] != '%') continue;
    char hex[3] = {s[i + 1], s[i + 2], 0};
    if (!isxdigit((unsigned char)hex[0]) || !isxdigit((unsigned char)hex[1])) continue;
    if (!smv_url_is_unreserved((int)strtol(hex, NULL, 16))) return 1;
  }
  return 0;
}

int smv_url_is_dotted_quad(const char *h) {
  if (!h) return 0;
  for (int part = 0; part < 4; part++) {
    if (part && *h++ != '.') return 0;
    unsigned v = 0, k = 0;
    while (k < 4 && isdigit((unsigned char)h[k])) v = v * 10 + (unsigned)(h[k++] - '0');
    if (k == 0 || k > 3 || v > 255 || (k > 1 && h[0] == '0')) return 0;
    h += k;
  }
  return *h == '\0';
}

int smv_url_ipv4_other_form(const char *s, size_t n, const char *quad) {
  size_t st, en, ql = strlen(quad);
  if (!smv_url_authority(s, n, &st, &en)) return 0;   /* the host is the base's */
  for (size_t i = st; i < en; i++)
    if (s[i] == '@') st = i + 1;
  const char *colon = memchr(s + st, ':', en - st);
  size_t hl = colon ? (size_t)(colon - (s + st)) : en - st;
  return !(hl == ql && memcmp(s + st, quad, ql) == 0);
}

int smv_url_brackets_outside_host(const char *s, size_t n) {
  size_t st, en, open = SIZE_MAX, close = SIZE_MAX;
  if (smv_url_authority(s, n, &st, &en)) {
    for (size_t i = st; i < en; i++)
      if (s[i] == '@') st = i + 1;
    if (st < en && s[st] == '[') {
      open = st;
      const char *c = memchr(s + st, ']', en - st);
      if (c) close = (size_t)(c - s);
    }
  }
  for (size_t i = 0; i < n; i++)
    if ((s[i] == '[' || s[i] == ']') && i != open && i != close) return 1;
  return 0;
}

const smv_url_byte_rule_t smv_url_byte_rules[] = {
  {SMV_URL_R_WHITESPACE, smv_url_has_ws_ctl},         {SMV_URL_R_BACKSLASH, smv_url_has_backslash},
  {SMV_URL_R_NONASCII, smv_url_has_nonascii},         {SMV_URL_R_OUTSIDE_3986, smv_url_has_outside_3986},
  {SMV_URL_R_BAD_PERCENT, smv_url_bad_percent},       {SMV_URL_R_NO_SLASHES, smv_url_http_no_slashes},
  {SMV_URL_R_THREE_SLASHES, smv_url_three_slashes},   {SMV_URL_R_HASH_IN_FRAGMENT, smv_url_hash_in_fragment},
  {SMV_URL_R_BRACKETS, smv_url_brackets_outside_host}, {SMV_URL_R_USERINFO_AT, smv_url_userinfo_at},
  {SMV_URL_R_HOST_ESCAPE, smv_url_host_escape},       {SMV_URL_R_COLON_SEGMENT, smv_url_colon_segment},
};
const size_t smv_url_n_byte_rules = sizeof smv_url_byte_rules / sizeof smv_url_byte_rules[0];

smv_url_rule smv_url_byte_rule(const char *s, size_t n) {
  for (size_t i = 0; i < smv_url_n_byte_rules; i++)
    if (smv_url_byte_rules[i].applies(s, n)) return smv_url_byte_rules[i].id;
  return SMV_URL_R_COUNT;
}

void smv_url_normalise_pct(const char *in, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; in[i] && o + 4 < cap; i++) {
    if (in[i] == '%' && isxdigit((unsigned char)in[i + 1]) && isxdigit((unsigned char)in[i + 2])) {
      char hex[3] = {in[i + 1], in[i + 2], 0};
      int v = (int)strtol(hex, NULL, 16);
      if (smv_url_is_unreserved(v)) {
        out[o++] = (char)v;
      } else {
        out[o++] = '%';
        out[o++] = (char)toupper((unsigned char)hex[0]);
        out[o++] = (char)toupper((unsigned char)hex[1]);
      }
      i += 2;
    } else {
      out[o++] = in[i];
    }
  }
  out[o] = '\0';
}

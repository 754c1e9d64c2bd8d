/* Test helper: the URL module's deliberate differences from other URL parsers, one table for every
 * place that compares: the unit test's WPT suite (WHATWG), its lib1560 suite (curl's redirect cases,
 * from curl's current source) and the differential fuzz target fuzz_url_curl (the libcurl 7.88.1 of
 * Debian 12). One rule, one reason: a difference that has the same cause is the same rule wherever it
 * shows, and the reason names what each other parser does. Where the evidence is only the input's
 * bytes, the predicate is here too; a suite that judges by its peer's answer (WPT's hostname, curl's
 * parsed port) keeps that part itself. Plain C, no cmocka: the fuzz target links this file too. */
#ifndef SMV_TEST_URL_RULES_H
#define SMV_TEST_URL_RULES_H

#include <stddef.h>

typedef enum smv_url_rule {
  /* we refuse what the other parser takes */
  SMV_URL_R_WHITESPACE,
  SMV_URL_R_BACKSLASH,
  SMV_URL_R_NONASCII,
  SMV_URL_R_OUTSIDE_3986,
  SMV_URL_R_BAD_PERCENT,
  SMV_URL_R_NO_SLASHES,
  SMV_URL_R_THREE_SLASHES,
  SMV_URL_R_IPV4_FORM,
  SMV_URL_R_PORT_ZERO,
  SMV_URL_R_HASH_IN_FRAGMENT,
  SMV_URL_R_BRACKETS,
  SMV_URL_R_USERINFO_AT,
  SMV_URL_R_HOST_ESCAPE,
  SMV_URL_R_DNS_NAME,
  SMV_URL_R_EMPTY_HOST,
  SMV_URL_R_COLON_SEGMENT,
  SMV_URL_R_IPV6_ZONE,
  SMV_URL_R_TOO_LONG,
  /* we take what the other parser refuses, or read it otherwise */
  SMV_URL_R_HOST_SUBDELIM,
  SMV_URL_R_OTHER_SCHEME,
  SMV_URL_R_LONG_SCHEME,
  /* both take it; the results differ in a way one normalisation explains */
  SMV_URL_R_PCT_CASE,
  SMV_URL_R_ENCODED_DOTS,
  SMV_URL_R_USERINFO_KEPT,
  SMV_URL_R_QUOTE_IN_QUERY,
  SMV_URL_R_DEFAULT_PORT,
  SMV_URL_R_FILE_LOCALHOST,
  SMV_URL_R_HOST_CASE,
  SMV_URL_R_IPV6_TEXT,
  /* curl 7.88.1's relative resolution is not RFC 3986 5.2.2-5.2.3: given the target string that 5.2.2
   * composes, curl agrees with us */
  SMV_URL_R_CURL_EMPTY_REF,
  SMV_URL_R_CURL_BASE_FRAGMENT,
  SMV_URL_R_CURL_SEGMENTS,
  SMV_URL_R_COUNT
} smv_url_rule;

typedef enum smv_url_rule_kind {
  SMV_URL_REFUSE = 1,  /* we refuse the input */
  SMV_URL_ACCEPT,      /* we take it (or read it as something else) where the peer refuses */
  SMV_URL_DIFFER       /* both take it; equal once the rule's normalisation is applied */
} smv_url_rule_kind;

typedef struct smv_url_rule_info {
  const char *name;
  smv_url_rule_kind kind;
  const char *why;
} smv_url_rule_info;

extern const smv_url_rule_info smv_url_rules[SMV_URL_R_COUNT];

/* Byte-level properties of an input (an absolute URL or a reference) of n bytes. */
int smv_url_has_ws_ctl(const char *s, size_t n);        /* 0x00-0x20 or 0x7f */
int smv_url_has_backslash(const char *s, size_t n);
int smv_url_has_nonascii(const char *s, size_t n);
int smv_url_has_outside_3986(const char *s, size_t n);  /* " < > ^ ` { | } */
int smv_url_bad_percent(const char *s, size_t n);       /* '%' without two hex digits */
int smv_url_http_no_slashes(const char *s, size_t n);   /* "http:" or "https:" not followed by "//" */
int smv_url_three_slashes(const char *s, size_t n);     /* "///" after an http(s) scheme or at the start */
int smv_url_hash_in_fragment(const char *s, size_t n);  /* a second '#' */
int smv_url_colon_segment(const char *s, size_t n);     /* no valid scheme, ':' in the first segment */
int smv_url_is_unreserved(int c);                       /* RFC 3986 2.3 */
size_t smv_url_scheme_len(const char *s, size_t n);     /* a valid scheme before ':' (3.1), 0 if none */

/* The authority of an input that has one ("scheme://" or "//") as [*st, *en); 0 if none. */
int smv_url_authority(const char *s, size_t n, size_t *st, size_t *en);
/* More than one '@' in the authority. */
int smv_url_userinfo_at(const char *s, size_t n);
/* An escape in the authority's host (not an IP-literal) that does not stand for an unreserved character. */
int smv_url_host_escape(const char *s, size_t n);
/* quad (a dotted quad) is the host of the input's authority written in another form: the host is
 * there and is not quad itself. */
int smv_url_ipv4_other_form(const char *s, size_t n, const char *quad);
/* h (NUL-terminated) is four decimal numbers 0-255 without leading zeros, joined by dots. */
int smv_url_is_dotted_quad(const char *h);

/* '[' or ']' anywhere but the pair around the authority's host. */
int smv_url_brackets_outside_host(const char *s, size_t n);

/* The rules that the input's bytes decide: each makes us refuse any input it applies to, whatever the
 * other parser does. smv_url_byte_rule returns the first that applies to s (n bytes), in the order of
 * the table, or SMV_URL_R_COUNT. */
typedef struct smv_url_byte_rule_t {
  smv_url_rule id;
  int (*applies)(const char *s, size_t n);
} smv_url_byte_rule_t;
extern const smv_url_byte_rule_t smv_url_byte_rules[];
extern const size_t smv_url_n_byte_rules;
smv_url_rule smv_url_byte_rule(const char *s, size_t n);

/* Our percent-escape normalisation (RFC 3986 6.2.2.1/6.2.2.2) of in into out (cap bytes, NUL-ended):
 * escapes of unreserved characters decoded, other escapes' hex upper-cased. */
void smv_url_normalise_pct(const char *in, char *out, size_t cap);

#endif

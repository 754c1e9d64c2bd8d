/* Differential libFuzzer target: smv's URL parser and RFC 3986 section 5 resolver against an
 * independent implementation, libcurl's URL API (curl_url; Debian 12 ships libcurl 7.88.1), on http(s)
 * bases and references.
 *
 * Input: "base\nreference", or a reference alone. A base that does not start with "http:" or "https:"
 * gets "http://" in front. The reference is parsed alone (as an absolute URL), and resolved against
 * each base of a small table and against the input's base, which is parsed alone too. curl resolves
 * the way it follows a redirect: curl_url_set(CURLUPART_URL) of the reference on a handle holding the
 * base. Each pair of results is compared: accepted or refused, then scheme, host, port, path, query and
 * whether there is userinfo (the redirect policy refuses userinfo; the fragment is never sent, RFC
 * 9112 3.2, so it is not compared). A difference must be explained by one rule of
 * tests/unit/helpers/url_rules.h, the table that the unit test's WPT and lib1560 suites use too (one
 * rule, one reason); anything else aborts. Normalisation is applied only as a rule says.
 *
 * curl flags: 0 on every curl_url_set, and CURLU_DEFAULT_PORT only to read the effective port. That is
 * curl at its closest to RFC 3986: no CURLU_NON_SUPPORT_SCHEME (only schemes curl has a protocol for),
 * no CURLU_URLENCODE or CURLU_ALLOW_SPACE (nothing repaired on the way in; curl's own redirect
 * following sets both), no CURLU_NO_AUTHORITY (an http(s) URL needs a host, RFC 9110 4.2.1), no
 * CURLU_PATH_AS_IS (dot segments removed, RFC 3986 5.2.4), no CURLU_DEFAULT_SCHEME or
 * CURLU_GUESS_SCHEME (a reference without a scheme is relative), no CURLU_DISALLOW_USER (userinfo is
 * parsed and compared, as smv parses and flags it).
 *
 * Resolution is also checked against RFC 3986 5.2.2-5.3 written out here (rfc_target): smv's resolve
 * must give what smv's parse gives for the target string that 5.2.2 composes. curl 7.88.1's own
 * resolution (its concat_url) differs from 5.2.2 in places; such a difference is one of the three
 * "curl:" rules (by the shape of the reference and the base) when curl, given the 5.2.2 target string
 * instead of the reference, agrees.
 *
 * Counters: with SMV_FUZZ_URL_STATS set, the target prints at exit how many inputs each rule explained
 * (an input counts once per rule), e.g. after a replay: SMV_FUZZ_URL_STATS=1 fuzz_url_curl -runs=0 DIR
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "core/url.h"
#include "helpers/url_rules.h"

#define FAIL_MASK (1ull << 63)  /* "no rule explains it" */
#define BIT(r) (1ull << (r))

_Static_assert(SMV_URL_R_COUNT < 63, "rule bits fit in the mask");

/* ---- curl's side --------------------------------------------------------------------------------- */

typedef struct curl_res {
  int code;  /* CURLUE_* of the set */
  char *url, *scheme, *user, *password, *host, *zoneid, *port, *path, *query;
} curl_res;

static void curl_res_free(curl_res *r) {
  char **p[] = {&r->url, &r->scheme, &r->user, &r->password, &r->host, &r->zoneid, &r->port, &r->path, &r->query};
  for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
    curl_free(*p[i]);
    *p[i] = NULL;
  }
}

static char *part(CURLU *h, CURLUPart what, unsigned flags) {
  char *s = NULL;
  if (curl_url_get(h, what, &s, flags) != CURLUE_OK) return NULL;
  return s;
}

/* Sets text (NUL-terminated) on h, which may hold a base, and reads the parts back. */
static void curl_run(CURLU *h, const char *text, curl_res *r) {
  memset(r, 0, sizeof *r);
  r->code = (int)curl_url_set(h, CURLUPART_URL, text, 0);
  if (r->code != CURLUE_OK) return;
  r->url = part(h, CURLUPART_URL, 0);
  r->scheme = part(h, CURLUPART_SCHEME, 0);
  r->user = part(h, CURLUPART_USER, 0);
  r->password = part(h, CURLUPART_PASSWORD, 0);
  r->host = part(h, CURLUPART_HOST, 0);
  r->zoneid = part(h, CURLUPART_ZONEID, 0);
  r->port = part(h, CURLUPART_PORT, CURLU_DEFAULT_PORT);
  r->path = part(h, CURLUPART_PATH, 0);
  r->query = part(h, CURLUPART_QUERY, 0);
  if (!r->url || !r->scheme || !r->path) {
    fprintf(stderr, "curl accepted \"%s\" but gives no URL, scheme or path\n", text);
    abort();
  }
}

/* curl on text alone, in a fresh handle */
static void curl_parse(const char *text, curl_res *r) {
  CURLU *h = curl_url();
  if (!h) abort();
  curl_run(h, text, r);
  curl_url_cleanup(h);
}

/* ---- RFC 3986 written out ------------------------------------------------------------------------ */

/* RFC 3986 5.2.2 (with 5.2.3 and the recomposition of 5.3) of reference r against base b, the
 * reference split as appendix B does. remove_dot_segments is left to the parsers that read the result:
 * both remove dot segments when they parse, and smv decodes "%2E" first (6.2.2.2), which must come
 * before 5.2.4 (so it cannot be applied here to the raw text). Returns the length, 0 if over cap. */
static size_t rfc_target(const smv__url *b, const char *r, size_t rl, char *out, size_t cap) {
  size_t o = 0;
#define ADD(p, n) do { if (o + (n) >= cap) return 0; memcpy(out + o, (p), (n)); o += (n); } while (0)
  size_t i = 0;
  while (i < rl && !strchr(":/?#", r[i])) i++;
  if (i > 0 && i < rl && r[i] == ':') {  /* R has a scheme: T is R */
    ADD(r, rl);
    out[o] = '\0';
    return o;
  }
  const char *bh = b->href;
  ADD(bh, b->scheme.len);
  ADD(":", 1);
  if (rl >= 2 && r[0] == '/' && r[1] == '/') {
    ADD(r, rl);
    out[o] = '\0';
    return o;
  }
  if (b->has_authority) ADD(bh + b->scheme.len + 1, (size_t)b->path.off - b->scheme.len - 1);
  size_t pe = 0, qe;
  while (pe < rl && r[pe] != '?' && r[pe] != '#') pe++;
  qe = pe;
  while (qe < rl && r[qe] != '#') qe++;
  if (pe == 0) {
    ADD(bh + b->path.off, b->path.len);
    if (qe > pe) ADD(r, qe);
    else if (b->has_query) ADD(bh + b->query.off - 1, (size_t)b->query.len + 1);
  } else {
    if (r[0] != '/') {
      if (b->has_authority && b->path.len == 0) {
        ADD("/", 1);
      } else {
        size_t keep = b->path.len;
        while (keep && bh[b->path.off + keep - 1] != '/') keep--;
        ADD(bh + b->path.off, keep);
      }
    }
    ADD(r, qe);
  }
  ADD(r + qe, rl - qe);
#undef ADD
  out[o] = '\0';
  return o;
}

/* ---- comparison ---------------------------------------------------------------------------------- */

static char smv_part[SMV__URL_MAX];
static const char *smv_text(const smv__url *u, smv__span s) {
  memcpy(smv_part, u->href + s.off, s.len);
  smv_part[s.len] = '\0';
  return smv_part;
}

static int is_http_scheme(const char *s) { return strcmp(s, "http") == 0 || strcmp(s, "https") == 0; }

/* WHATWG's "ends in a number" (as smv applies it): the last label, one trailing dot aside, is decimal
 * or 0x-hex */
static int ends_in_number(const char *h) {
  size_t n = strlen(h);
  if (n && h[n - 1] == '.') n--;
  size_t st = n;
  while (st && h[st - 1] != '.') st--;
  if (st == n) return 0;
  size_t i = st;
  while (i < n && isdigit((unsigned char)h[i])) i++;
  if (i == n) return 1;
  if (n - st >= 2 && h[st] == '0' && (h[st + 1] == 'x' || h[st + 1] == 'X')) {
    for (i = st + 2; i < n; i++)
      if (!isxdigit((unsigned char)h[i])) return 0;
    return 1;
  }
  return 0;
}

/* a name that breaks RFC 1035's length rules: an empty label, a label over 63, over 253 in all */
static int dns_bad(const char *h) {
  size_t n = strlen(h), body = (n && h[n - 1] == '.') ? n - 1 : n, lab = 0;
  if (body == 0 || body > 253) return 1;
  for (size_t i = 0; i < body; i++) {
    if (h[i] == '.') {
      if (lab == 0) return 1;
      lab = 0;
    } else if (++lab > 63) {
      return 1;
    }
  }
  return lab == 0;
}

/* texts equal (0), or equal once curl's percent escapes are normalised (rule PCT_CASE); FAIL_MASK if
 * neither */
static uint64_t same_component(const char *ours, const char *theirs) {
  static char norm[SMV__URL_MAX * 3];
  if (strcmp(ours, theirs) == 0) return 0;
  smv_url_normalise_pct(theirs, norm, sizeof norm);
  return strcmp(ours, norm) == 0 ? BIT(SMV_URL_R_PCT_CASE) : FAIL_MASK;
}

/* Both accepted an http(s) URL: the parts, with the normalisation rules. FAIL_MASK if they differ. */
static uint64_t compare_parts(const smv__url *u, const curl_res *c) {
  uint64_t m = 0;
  if (strcmp(smv_text(u, u->scheme), c->scheme) != 0) return FAIL_MASK;
  /* host */
  if (!c->host) return FAIL_MASK;
  if (u->host_kind == SMV__HOST_IPV6) {
    unsigned char a[16];
    size_t hl = strlen(c->host);
    char tmp[64];
    if (c->zoneid || hl < 3 || hl - 2 >= sizeof tmp || c->host[0] != '[' || c->host[hl - 1] != ']') return FAIL_MASK;
    memcpy(tmp, c->host + 1, hl - 2);
    tmp[hl - 2] = '\0';
    if (inet_pton(AF_INET6, tmp, a) != 1 || memcmp(a, u->ip, 16) != 0) return FAIL_MASK;
    if (strcmp(tmp, smv_text(u, u->host)) != 0) m |= BIT(SMV_URL_R_IPV6_TEXT);
  } else {
    const char *h = smv_text(u, u->host);
    if (strcasecmp(h, c->host) != 0) return FAIL_MASK;
    if (strcmp(h, c->host) != 0) m |= BIT(SMV_URL_R_HOST_CASE);
  }
  /* effective port */
  if (!c->port || strtol(c->port, NULL, 10) != u->port_num) return FAIL_MASK;
  /* path and query */
  m |= same_component(smv_text(u, u->path), c->path);
  if (u->has_query != (c->query != NULL)) return FAIL_MASK;
  if (u->has_query) {
    m |= same_component(smv_text(u, u->query), c->query);
  }
  /* userinfo: there or not */
  if (u->has_userinfo != (c->user != NULL || c->password != NULL)) return FAIL_MASK;
  return (m & FAIL_MASK) ? FAIL_MASK : m;
}

/* Why we refuse s (the URL or reference as given, n bytes) when curl takes it (result c). */
static uint64_t why_refused(const char *s, size_t n, const curl_res *c, size_t longest) {
  if (smv_url_scheme_len(s, n) > 40 && c->scheme && is_http_scheme(c->scheme)) return BIT(SMV_URL_R_LONG_SCHEME);
  smv_url_rule r = smv_url_byte_rule(s, n);
  if (r != SMV_URL_R_COUNT) return BIT(r);
  if (longest + 8 >= SMV__URL_MAX) return BIT(SMV_URL_R_TOO_LONG);
  if (c->zoneid) return BIT(SMV_URL_R_IPV6_ZONE);
  if (c->port && strcmp(c->port, "0") == 0) return BIT(SMV_URL_R_PORT_ZERO);
  if (c->host && c->host[0] != '[') {
    int quad = smv_url_is_dotted_quad(c->host);
    if (quad ? smv_url_ipv4_other_form(s, n, c->host) : ends_in_number(c->host)) return BIT(SMV_URL_R_IPV4_FORM);
    if (dns_bad(c->host)) return BIT(SMV_URL_R_DNS_NAME);
  }
  return FAIL_MASK;
}

/* Why curl refuses what we take (u): a sub-delim in the host, and nothing else, so curl must take our
 * href once each sub-delim of its host is replaced by '-' (and agree with us on the rest). */
static uint64_t why_curl_refused(const smv__url *u) {
  static char alt[SMV__URL_MAX];
  static smv__url a;
  if (u->host_kind != SMV__HOST_NAME || !strpbrk(smv_text(u, u->host), "!$&'()*+,;=")) return FAIL_MASK;
  memcpy(alt, u->href, u->href_len + 1);
  for (size_t i = u->host.off; i < (size_t)u->host.off + u->host.len; i++)
    if (strchr("!$&'()*+,;=", alt[i])) alt[i] = '-';
  if (smv__url_parse(&a, alt, u->href_len) != 0) return FAIL_MASK;
  curl_res c;
  curl_parse(alt, &c);
  uint64_t m = c.code == CURLUE_OK ? compare_parts(&a, &c) : FAIL_MASK;
  curl_res_free(&c);
  return (m & FAIL_MASK) ? FAIL_MASK : m | BIT(SMV_URL_R_HOST_SUBDELIM);
}

/* The whole comparison of one result pair: s is what was given (the URL or the reference). */
static uint64_t compare(const char *s, size_t n, int ok, const smv__url *u, const curl_res *c, size_t longest) {
  int cok = c->code == CURLUE_OK;
  if (ok && !u->is_http) {
    if (cok && strcmp(c->scheme, smv_text(u, u->scheme)) == 0) return BIT(SMV_URL_R_OTHER_SCHEME);
    if (!cok) return BIT(SMV_URL_R_OTHER_SCHEME);
    if (smv_url_scheme_len(s, n) > 40 && is_http_scheme(c->scheme)) return BIT(SMV_URL_R_LONG_SCHEME);
    return FAIL_MASK;
  }
  if (!ok && !cok) return 0;
  if (ok && cok) return compare_parts(u, c);
  if (ok) return why_curl_refused(u);
  uint64_t m = why_refused(s, n, c, longest);
  /* curl took it as a URL of another scheme (such as "ftp:/h", which has a host for curl) */
  if ((m & FAIL_MASK) && !is_http_scheme(c->scheme)) m = BIT(SMV_URL_R_OTHER_SCHEME);
  return m;
}

/* ---- the cases ------------------------------------------------------------------------------------ */

static smv__url U, V;
static uint64_t input_mask;
static size_t n_inputs, n_pairs, n_agree, per_rule[SMV_URL_R_COUNT];
static char example[SMV_URL_R_COUNT][96];  /* the first input each rule explained, for the stats */

static const char *curl_name(int code) { return curl_url_strerror((CURLUcode)code); }

static void show(const char *what, const char *base, const char *s, int ok, const smv__url *u, const curl_res *c) {
  fprintf(stderr, "fuzz_url_curl: %s\n  base: %s\n  input: \"%s\"\n  smv:  %s\n", what, base ? base : "(none)", s,
          ok ? u->href : "(refused)");
  if (c->code == CURLUE_OK)
    fprintf(stderr, "  curl: %s\n        scheme %s host %s port %s path %s query %s user %s password %s zone %s\n", c->url,
            c->scheme, c->host ? c->host : "-", c->port ? c->port : "-", c->path, c->query ? c->query : "-",
            c->user ? c->user : "-", c->password ? c->password : "-", c->zoneid ? c->zoneid : "-");
  else
    fprintf(stderr, "  curl: (refused: %s)\n", curl_name(c->code));
}

static uint64_t trace_mask;  /* SMV_FUZZ_URL_TRACE=<rule name>: every comparison that rule explains */

static void record(uint64_t m, const char *what, const char *base, const char *s, int ok, const smv__url *u,
                   const curl_res *c) {
  char head[96];
  if (m & FAIL_MASK) {
    snprintf(head, sizeof head, "unexplained difference (%s)", what);
    show(head, base, s, ok, u, c);
    abort();
  }
  if (m & trace_mask) {
    snprintf(head, sizeof head, "traced (%s)", what);
    show(head, base, s, ok, u, c);
  }
  n_pairs++;
  if (m == 0) n_agree++;
  input_mask |= m;
}

/* curl's result for text: parsed alone (hb NULL) or resolved against a copy of the base in hb */
static void curl_on(CURLU *hb, const char *text, curl_res *r) {
  if (!hb) {
    curl_parse(text, r);
    return;
  }
  CURLU *h = curl_url_dup(hb);
  if (!h) abort();
  curl_run(h, text, r);
  curl_url_cleanup(h);
}

static int has_encoded_dot(const char *s, size_t n) {
  for (size_t i = 0; i + 2 < n; i++)
    if (s[i] == '%' && s[i + 1] == '2' && (s[i + 2] == 'e' || s[i + 2] == 'E')) return 1;
  return 0;
}

/* Which of curl 7.88.1's departures from 5.2.2 explains a difference that goes away when curl is given
 * the target string (t, tn: the reference as given to it; b: the base) */
static uint64_t curl_merge_rule(const smv__url *b, const char *t, size_t tn) {
  if (tn == 0 || t[0] == '#') return BIT(SMV_URL_R_CURL_EMPTY_REF);
  if (b->has_fragment) return BIT(SMV_URL_R_CURL_BASE_FRAGMENT);
  int dots = (tn >= 2 && memcmp(t, "./", 2) == 0) || (tn >= 3 && memcmp(t, "../", 3) == 0);
  if (dots || memmem(b->href + b->path.off, b->path.len, "//", 2)) return BIT(SMV_URL_R_CURL_SEGMENTS);
  return FAIL_MASK;
}

/* One comparison, with the rules that run curl again: ENCODED_DOTS gives curl the input with its
 * escapes normalised (6.2.2.2 decodes "%2E" before 5.2.4 sees the segment), the curl merge rules give
 * it the target string of 5.2.2 instead of the reference. b and hb: the base of a resolution (NULL: a parse);
 * s: what was given (n bytes, NUL-terminated); ok, u: smv's result; c: curl's. */
static uint64_t judge(const smv__url *b, CURLU *hb, const char *s, size_t n, int ok, const smv__url *u,
                      const curl_res *c) {
  static char dec[SMV__URL_MAX * 4], target[SMV__URL_MAX * 5];
  size_t longest = n;
  if (c->url && strlen(c->url) > longest) longest = strlen(c->url);
  uint64_t m = compare(s, n, ok, u, c, longest);
  if (!(m & FAIL_MASK)) return m;
  const char *t = s;
  size_t tn = n;
  uint64_t extra = 0;
  if (has_encoded_dot(s, n)) {
    curl_res c2;
    smv_url_normalise_pct(s, dec, sizeof dec);
    t = dec;
    tn = strlen(dec);
    extra = BIT(SMV_URL_R_ENCODED_DOTS);
    curl_on(hb, dec, &c2);
    m = compare(dec, tn, ok, u, &c2, longest);
    curl_res_free(&c2);
    if (!(m & FAIL_MASK)) return m | extra;
  }
  size_t tl = b ? rfc_target(b, t, tn, target, sizeof target) : 0;
  if (tl) {
    curl_res c3;
    curl_parse(target, &c3);
    m = compare(target, tl, ok, u, &c3, longest > tl ? longest : tl);
    curl_res_free(&c3);
    if (!(m & FAIL_MASK)) return m | extra | curl_merge_rule(b, t, tn);
  }
  return FAIL_MASK;
}

/* s (n bytes, s[n] == '\0', no NUL inside) parsed alone by both. u gets smv's result; c curl's
 * (the caller frees it). Returns smv's verdict. */
static int check_parse(const char *s, size_t n, smv__url *u, curl_res *c) {
  int ok = smv__url_parse(u, s, n) == 0;
  curl_parse(s, c);
  record(judge(NULL, NULL, s, n, ok, u, c), "parse", NULL, s, ok, u, c);
  return ok;
}

/* ref resolved against base (smv's b, curl's handle hb holding it) by both. */
static void check_resolve(const smv__url *b, CURLU *hb, const char *ref, size_t rl) {
  static char target[SMV__URL_MAX * 2];
  int ok = smv__url_resolve(&U, b, ref, rl) == 0;

  /* smv's resolve against RFC 3986 5.2.2 written out: the same as parsing 5.2.2's target string. The
   * one exception is deliberate: a reference that starts with ':' has no scheme for appendix B (a
   * scheme is not empty), so 5.2.2 merges it as a path, but it is no URI reference (4.2) and smv
   * refuses it. */
  size_t tl = rfc_target(b, ref, rl, target, sizeof target);
  if (tl && ref[0] != ':') {
    int tok = smv__url_parse(&V, target, tl) == 0;
    if (tok != ok || (ok && (U.href_len != V.href_len || memcmp(U.href, V.href, U.href_len) != 0))) {
      fprintf(stderr, "fuzz_url_curl: smv's resolve is not RFC 3986 5.2.2\n  base: %s\n  ref: \"%s\"\n  resolve: %s\n"
              "  parse(\"%s\"): %s\n", b->href, ref, ok ? U.href : "(refused)", target, tok ? V.href : "(refused)");
      abort();
    }
  }

  curl_res c;
  curl_on(hb, ref, &c);
  record(judge(b, hb, ref, rl, ok, &U, &c), "resolve", b->href, ref, ok, &U, &c);
  curl_res_free(&c);
}

/* The bases every reference is resolved against: http and https, a path with parameters and a query
 * (RFC 3986 5.4's), a port, none, IPv6, IPv4 with userinfo, an empty query. Each must parse the same
 * in both. */
static const char *const table[] = {
  "http://a.example/b/c/d;p?q",
  "https://h.example:8443/dir/file.html?x=1",
  "http://h.example",
  "https://[2001:db8::1]/p/q/",
  "http://u:pw@192.0.2.1:8080/a/b",
  "http://h.example/a/?",
};
#define NTABLE (sizeof table / sizeof table[0])
static smv__url tbl[NTABLE];
static CURLU *tbl_curl[NTABLE];

static void print_stats(void) {
  if (n_inputs == 0) return;   /* the -jobs parent, which runs no input */
  fprintf(stderr, "fuzz_url_curl: %zu inputs, %zu comparisons, %zu equal without a rule\n", n_inputs, n_pairs, n_agree);
  for (size_t r = 0; r < SMV_URL_R_COUNT; r++)
    if (per_rule[r])
      fprintf(stderr, "  %-32s %9zu  e.g. %s\n", smv_url_rules[r].name, per_rule[r], example[r]);
}

static void cleanup(void) {
  for (size_t i = 0; i < NTABLE; i++) curl_url_cleanup(tbl_curl[i]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  for (size_t i = 0; i < NTABLE; i++) {
    curl_res c;
    tbl_curl[i] = curl_url();
    if (!tbl_curl[i] || smv__url_parse(&tbl[i], table[i], strlen(table[i])) != 0) abort();
    curl_run(tbl_curl[i], table[i], &c);
    if (c.code != CURLUE_OK || compare_parts(&tbl[i], &c) != 0) {
      fprintf(stderr, "fuzz_url_curl: table base %s differs\n", table[i]);
      abort();
    }
    curl_res_free(&c);
  }
  atexit(cleanup);
  if (getenv("SMV_FUZZ_URL_STATS")) atexit(print_stats);
  const char *tr = getenv("SMV_FUZZ_URL_TRACE");
  for (size_t r = 0; tr && r < SMV_URL_R_COUNT; r++)
    if (strcmp(tr, smv_url_rules[r].name) == 0) trace_mask = BIT(r);
  return 0;
}

/* A reference or base holding NUL: curl cannot be given it (C strings); smv must refuse it. */
static int nul_refused(const char *s, size_t n) {
  if (!memchr(s, '\0', n)) return 0;
  if (smv__url_parse(&U, s, n) == 0 || smv__url_resolve(&U, &tbl[0], s, n) == 0) {
    fprintf(stderr, "fuzz_url_curl: smv took an input with a NUL byte\n");
    abort();
  }
  input_mask |= BIT(SMV_URL_R_WHITESPACE);
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char ref[SMV__URL_MAX * 4], base[SMV__URL_MAX * 4];
  if (size + 8 > sizeof ref) return 0;
  const char *s = (const char *)data;
  const char *nl = memchr(s, '\n', size);
  size_t rl = nl ? size - (size_t)(nl + 1 - s) : size;
  memcpy(ref, nl ? nl + 1 : s, rl);
  ref[rl] = '\0';
  input_mask = 0;
  n_inputs++;

  if (!nul_refused(ref, rl)) {
    curl_res c;
    check_parse(ref, rl, &U, &c);
    curl_res_free(&c);
    for (size_t i = 0; i < NTABLE; i++) check_resolve(&tbl[i], tbl_curl[i], ref, rl);
  }

  if (nl) {
    size_t bl = 0, given = (size_t)(nl - s);
    if (!((given >= 5 && strncasecmp(s, "http:", 5) == 0) || (given >= 6 && strncasecmp(s, "https:", 6) == 0))) {
      memcpy(base, "http://", 7);
      bl = 7;
    }
    memcpy(base + bl, s, given);
    bl += given;
    base[bl] = '\0';
    if (!nul_refused(base, bl)) {
      static smv__url b;
      curl_res c;
      int ok = check_parse(base, bl, &b, &c);
      curl_res_free(&c);
      /* Both resolve against the same base: smv's normal form of it, so that a deliberate difference in
       * the base's parse (compared just above) does not come back in every resolution. curl must read
       * that normal form as smv does. */
      if (ok && c.code == CURLUE_OK && b.is_http && !memchr(ref, '\0', rl)) {
        static smv__url b2;
        if (b.href_len != bl || memcmp(b.href, base, bl) != 0) check_parse(b.href, b.href_len, &b2, &c);
        curl_res_free(&c);
        CURLU *h = curl_url();
        if (!h || curl_url_set(h, CURLUPART_URL, b.href, 0) != CURLUE_OK) abort();
        check_resolve(&b, h, ref, rl);
        curl_url_cleanup(h);
      }
    }
  }

  for (size_t r = 0; r < SMV_URL_R_COUNT; r++) {
    if (!(input_mask & BIT(r))) continue;
    if (per_rule[r]++ == 0) {
      size_t k = 0;
      for (size_t i = 0; i < size && k + 5 < sizeof example[r]; i++) {
        unsigned char ch = data[i];
        k += (size_t)snprintf(example[r] + k, sizeof example[r] - k, ch < 0x20 || ch >= 0x7f ? "\\x%02x" : "%c", ch);
      }
    }
  }
  return 0;
}

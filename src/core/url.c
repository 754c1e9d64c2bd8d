/* URL parsing, normalisation, RFC 3986 reference resolution and returnUrl matching.
 *
 * Every Location of the redirect chain passes through here, and the redirect policy, the connection
 * layer and the loop detector all look at the result, so there is exactly one parser and it is
 * strict: what RFC 3986 does not allow is refused, never repaired, because each repair (stripping
 * whitespace, turning '\' into '/', reading "0x7f.1" as an address) is a place where two parsers
 * can disagree about which host a URL names. The output is a normal form (RFC 3986 section 6.2.2
 * plus the scheme-based rules of 6.2.3), so comparing two hrefs byte for byte is meaningful.
 *
 * Memory: everything lives in the caller's smv__url; resolution composes the target in one
 * SMV__URL_MAX stack buffer and then parses it, so the base may be the output struct itself. What a
 * flow keeps is a compact copy (smv__url_dup_compact), sized to its href.
 */
#include "core/url.h"

#include "core/alloc.h"

#include <string.h>

#include "smv.h"

/* ---- character classes (RFC 3986 section 2) ---------------------------------------------------- */

enum {
  C_UNRES = 1,   /* ALPHA DIGIT - . _ ~ */
  C_SUB = 2,     /* ! $ & ' ( ) * + , ; = */
  C_COLON = 4,   /* : (userinfo, path, query, fragment) */
  C_AT = 8,      /* @ (path, query, fragment) */
  C_SLASH = 16,  /* / (path, query, fragment) */
  C_QMARK = 32,  /* ? (query, fragment) */
  C_OTHER = 64   /* # [ ] % : delimiters handled by the parser itself */
};

#define C_USERINFO (C_UNRES | C_SUB | C_COLON)
#define C_REGNAME (C_UNRES | C_SUB)
#define C_PATH (C_UNRES | C_SUB | C_COLON | C_AT | C_SLASH)
#define C_QUERY (C_PATH | C_QMARK)

static unsigned char cls(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return C_UNRES;
  switch (c) {
  case '-': case '.': case '_': case '~': return C_UNRES;
  case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+': case ',':
  case ';': case '=': return C_SUB;
  case ':': return C_COLON;
  case '@': return C_AT;
  case '/': return C_SLASH;
  case '?': return C_QMARK;
  case '#': case '[': case ']': case '%': return C_OTHER;
  default: return 0;   /* controls, space, non-ASCII, " < > \ ^ ` { | } */
  }
}

static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static unsigned char lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c; }

static int ieq(const char *a, size_t alen, const char *b, size_t blen) {
  if (alen != blen) return 0;
  for (size_t i = 0; i < alen; i++)
    if (lower((unsigned char)a[i]) != lower((unsigned char)b[i])) return 0;
  return 1;
}

/* ---- bounded writer into href ------------------------------------------------------------------ */

typedef struct wr {
  char *buf;
  size_t len;
  int full;      /* set once anything did not fit: the whole parse fails */
} wr;

static void put(wr *w, char c) {
  if (w->len + 1 >= SMV__URL_MAX) { w->full = 1; return; }
  w->buf[w->len++] = c;
}

static void puts_n(wr *w, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) put(w, s[i]);
}

static void put_uint(wr *w, unsigned v) {
  char d[12];
  size_t n = 0;
  do { d[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) put(w, d[--n]);
}

/* Copies one component, checking each byte against the allowed class and normalising percent-escapes:
 * an escape of an unreserved character becomes the character, any other escape gets upper-case hex
 * (RFC 3986 sections 6.2.2.1 and 6.2.2.2). Returns -1 on a refused byte or a broken escape. */
static int put_component(wr *w, const char *s, size_t n, unsigned allowed) {
  static const char hx[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '%') {
      if (n - i < 3) return -1;
      int hi = hexval((unsigned char)s[i + 1]), lo = hexval((unsigned char)s[i + 2]);
      if (hi < 0 || lo < 0) return -1;
      unsigned char v = (unsigned char)(hi * 16 + lo);
      if (cls(v) == C_UNRES) {
        put(w, (char)v);
      } else {
        put(w, '%'); put(w, hx[hi]); put(w, hx[lo]);
      }
      i += 2;
    } else if (cls(c) & allowed) {
      put(w, (char)c);
    } else {
      return -1;
    }
  }
  return 0;
}

/* ---- hosts ----------------------------------------------------------------------------------------- */

/* The only IPv4 form accepted: four decimal numbers 0-255 without leading zeros. The forms that
 * inet_aton and WHATWG also take ("0x7f.1", "0177.0.0.1", "2130706433") are refused, because a
 * server, a proxy and this client could each read them differently. */
static int parse_ipv4(const char *s, size_t n, unsigned char out[4]) {
  size_t i = 0;
  for (int part = 0; part < 4; part++) {
    if (part) {
      if (i >= n || s[i] != '.') return -1;
      i++;
    }
    size_t st = i;
    unsigned v = 0;
    while (i < n && is_digit((unsigned char)s[i]) && i - st < 4) v = v * 10 + (unsigned)(s[i++] - '0');
    if (i == st || i - st > 3 || v > 255) return -1;
    if (i - st > 1 && s[st] == '0') return -1;
    out[part] = (unsigned char)v;
  }
  return i == n ? 0 : -1;
}

/* RFC 4291 section 2.2 text forms, without zone identifiers (a zone names an interface of this
 * machine, not a server). */
static int parse_ipv6(const char *s, size_t n, unsigned char out[16]) {
  unsigned g[8] = {0};
  int ng = 0, dc = -1;
  size_t i = 0;
  if (n == 0) return -1;
  if (s[0] == ':') {
    if (n < 2 || s[1] != ':') return -1;
    dc = 0;
    i = 2;
  }
  while (i < n) {
    if (ng == 8) return -1;
    size_t st = i;
    unsigned v = 0;
    while (i < n && hexval((unsigned char)s[i]) >= 0) {
      if (i - st < 4) v = v * 16 + (unsigned)hexval((unsigned char)s[i]);
      i++;
    }
    if (i < n && s[i] == '.') {
      unsigned char q[4];
      if (ng > 6 || parse_ipv4(s + st, n - st, q) != 0) return -1;
      g[ng++] = (unsigned)(q[0] << 8 | q[1]);
      g[ng++] = (unsigned)(q[2] << 8 | q[3]);
      i = n;
      break;
    }
    if (i == st || i - st > 4) return -1;
    g[ng++] = v;
    if (i == n) break;
    if (s[i] != ':') return -1;
    i++;
    if (i < n && s[i] == ':') {
      if (dc >= 0) return -1;
      dc = ng;
      i++;
    } else if (i == n) {
      return -1;
    }
  }
  if (dc >= 0) {
    if (ng == 8) return -1;
    int tail = ng - dc;
    for (int k = 0; k < tail; k++) g[7 - k] = g[ng - 1 - k];
    for (int k = dc; k < 8 - tail; k++) g[k] = 0;
  } else if (ng != 8) {
    return -1;
  }
  for (int k = 0; k < 8; k++) {
    out[2 * k] = (unsigned char)(g[k] >> 8);
    out[2 * k + 1] = (unsigned char)(g[k] & 0xff);
  }
  return 0;
}

/* RFC 5952 section 4: lower-case hex, no leading zeros, the longest run (first on a tie) of two or
 * more zero groups as "::". Addresses with an embedded IPv4 are written in hex too (section 4;
 * the dotted form of section 5 is only a recommendation, and WHATWG writes hex). */
static void put_ipv6(wr *w, const unsigned char a[16]) {
  static const char hx[] = "0123456789abcdef";
  unsigned g[8];
  int best = -1, bestlen = 0;
  for (int k = 0; k < 8; k++) g[k] = (unsigned)(a[2 * k] << 8 | a[2 * k + 1]);
  for (int k = 0; k < 8;) {
    if (g[k]) { k++; continue; }
    int st = k;
    while (k < 8 && g[k] == 0) k++;
    if (k - st > bestlen) { best = st; bestlen = k - st; }
  }
  if (bestlen < 2) best = -1;
  for (int k = 0; k < 8; k++) {
    if (k == best) {
      puts_n(w, "::", 2);
      k += bestlen - 1;
      continue;
    }
    if (k && k != best + bestlen) put(w, ':');
    int started = 0;
    for (int sh = 12; sh >= 0; sh -= 4) {
      unsigned d = (g[k] >> sh) & 0xf;
      if (d || started || sh == 0) { put(w, hx[d]); started = 1; }
    }
  }
}

/* Does the last label look like a number (decimal, or 0x-hex as WHATWG reads it)? Such a host is an
 * IPv4 address or nothing: "foo.09" and "1.2.3.4.5" are refused, as WHATWG refuses them. */
static int ends_in_number(const char *h, size_t n) {
  if (n && h[n - 1] == '.') n--;
  size_t st = n;
  while (st && h[st - 1] != '.') st--;
  const char *l = h + st;
  size_t ln = n - st;
  if (ln == 0) return 0;
  size_t i = 0;
  while (i < ln && is_digit((unsigned char)l[i])) i++;
  if (i == ln) return 1;
  if (ln >= 2 && l[0] == '0' && (l[1] == 'x' || l[1] == 'X')) {
    for (i = 2; i < ln; i++)
      if (hexval((unsigned char)l[i]) < 0) return 0;
    return 1;
  }
  return 0;
}

/* reg-name, already lower-cased and decoded in w->buf[st..]: DNS length rules (253 octets, labels
 * 1-63, one trailing dot allowed) and the IPv4 rule above. */
static int check_regname(smv__url *u, const char *h, size_t n) {
  if (n == 0) return 0;   /* an empty host is for the caller to allow or not */
  if (ends_in_number(h, n)) {
    if (parse_ipv4(h, n, u->ip) != 0) return -1;
    u->host_kind = SMV__HOST_IPV4;
    return 0;
  }
  size_t body = (h[n - 1] == '.') ? n - 1 : n;
  if (body == 0 || body > 253) return -1;
  size_t lab = 0;
  for (size_t i = 0; i < body; i++) {
    if (h[i] == '.') {
      if (lab == 0) return -1;
      lab = 0;
    } else if (++lab > 63) {
      return -1;
    }
  }
  if (lab == 0) return -1;
  u->host_kind = SMV__HOST_NAME;
  return 0;
}

/* ---- paths ------------------------------------------------------------------------------------------ */

static int starts(const char *p, size_t n, const char *lit) {
  size_t k = strlen(lit);
  return n >= k && memcmp(p, lit, k) == 0;
}

static int equals(const char *p, size_t n, const char *lit) {
  return n == strlen(lit) && memcmp(p, lit, n) == 0;
}

/* RFC 3986 section 5.2.4, in place: the output never outgrows the input still to be read. */
static size_t remove_dot_segments(char *p, size_t n) {
  size_t i = 0, o = 0;
  while (i < n) {
    const char *in = p + i;
    size_t left = n - i;
    if (starts(in, left, "../")) {
      i += 3;
    } else if (starts(in, left, "./")) {
      i += 2;
    } else if (starts(in, left, "/./")) {
      i += 2;
    } else if (equals(in, left, "/.")) {
      p[o++] = '/';
      i = n;
    } else if (starts(in, left, "/../") || equals(in, left, "/..")) {
      int at_end = (left == 3);
      i += 3;
      while (o > 0 && p[o - 1] != '/') o--;
      if (o > 0) o--;
      if (at_end) p[o++] = '/';
    } else if (equals(in, left, ".") || equals(in, left, "..")) {
      i = n;
    } else {
      if (p[i] == '/') p[o++] = p[i++];
      while (i < n && p[i] != '/') p[o++] = p[i++];
    }
  }
  return o;
}

/* ---- parse -------------------------------------------------------------------------------------------- */

static smv__span span(size_t off, size_t len) {
  smv__span s;
  s.off = (uint16_t)off;
  s.len = (uint16_t)len;
  return s;
}

static int parse_authority(smv__url *u, wr *w, const char *a, size_t n) {
  /* split at the last '@': any earlier one then sits in the userinfo, where RFC 3986 section 3.2.1
   * does not allow it, so "http://a@b@c/" is refused by the userinfo check */
  const char *at = NULL;
  for (size_t i = 0; i < n; i++)
    if (a[i] == '@') at = a + i;
  if (at) {
    size_t st = w->len;
    if (put_component(w, a, (size_t)(at - a), C_USERINFO) != 0) return -1;
    u->userinfo = span(st, w->len - st);
    u->has_userinfo = 1;
    put(w, '@');
    n -= (size_t)(at - a) + 1;
    a = at + 1;
  }

  const char *port = NULL;
  size_t portlen = 0;
  size_t hst = w->len;
  if (n && a[0] == '[') {
    const char *close = memchr(a, ']', n);
    if (!close) return -1;
    size_t hl = (size_t)(close - a) - 1;
    if (parse_ipv6(a + 1, hl, u->ip) != 0) return -1;
    put(w, '[');
    hst = w->len;
    put_ipv6(w, u->ip);
    u->host = span(hst, w->len - hst);
    put(w, ']');
    u->host_kind = SMV__HOST_IPV6;
    size_t rest = (size_t)(close + 1 - a);
    if (rest < n) {
      if (a[rest] != ':') return -1;
      port = a + rest + 1;
      portlen = n - rest - 1;
    }
  } else {
    const char *colon = memchr(a, ':', n);
    size_t hl = colon ? (size_t)(colon - a) : n;
    if (colon) {
      port = colon + 1;
      portlen = n - hl - 1;
    }
    if (put_component(w, a, hl, C_REGNAME) != 0) return -1;
    /* A host escape must stand for an unreserved character: "%2F", "%00" or "%C2%AD" in a host are
     * refused (WHATWG refuses or IDNA-maps them; we do neither). */
    if (memchr(w->buf + hst, '%', w->len - hst)) return -1;
    for (size_t i = hst; i < w->len; i++) w->buf[i] = (char)lower((unsigned char)w->buf[i]);
    u->host = span(hst, w->len - hst);
    if (check_regname(u, w->buf + hst, w->len - hst) != 0) return -1;
  }
  if (u->is_http && u->host.len == 0) return -1;

  /* "host:" has an empty port, the same as none (RFC 3986 section 6.2.3) */
  if (port && portlen) {
    unsigned long v = 0;
    for (size_t i = 0; i < portlen; i++) {
      if (!is_digit((unsigned char)port[i])) return -1;
      v = v * 10 + (unsigned long)(port[i] - '0');
      if (v > 65535) return -1;
    }
    if (u->is_http && v == 0) return -1;   /* nothing can be reached on port 0 */
    if (v != u->port_num || !u->is_http) {
      put(w, ':');
      size_t st = w->len;
      put_uint(w, (unsigned)v);
      u->port = span(st, w->len - st);
      u->has_port = 1;
    }
    u->port_num = (uint16_t)v;
  }
  return 0;
}

int smv__url_parse(smv__url *out, const char *s, size_t len) {
  if (!out) return SMV_ERR_URL_PARSE;
  memset(out, 0, sizeof(*out));
  if (!s || len == 0 || len >= SMV__URL_MAX) return SMV_ERR_URL_PARSE;
  for (size_t i = 0; i < len; i++)
    if (!cls((unsigned char)s[i])) return SMV_ERR_URL_PARSE;

  wr w = {out->href, 0, 0};
  smv__url *u = out;

  /* scheme */
  size_t i = 0;
  if (!is_alpha((unsigned char)s[0])) goto fail;
  while (i < len && (is_alpha((unsigned char)s[i]) || is_digit((unsigned char)s[i]) || s[i] == '+' ||
                     s[i] == '-' || s[i] == '.'))
    put(&w, (char)lower((unsigned char)s[i++]));
  if (i == len || s[i] != ':') goto fail;
  u->scheme = span(0, i);
  if (equals(w.buf, i, "http")) {
    u->is_http = 1;
    u->port_num = 80;
  } else if (equals(w.buf, i, "https")) {
    u->is_http = 2;
    u->port_num = 443;
  }
  put(&w, ':');
  i++;

  /* authority: http(s) must have one ("http:/x", "http:x" are refused, not guessed at) */
  if (len - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
    i += 2;
    size_t st = i;
    while (i < len && s[i] != '/' && s[i] != '?' && s[i] != '#') i++;
    puts_n(&w, "//", 2);
    u->has_authority = 1;
    if (parse_authority(u, &w, s + st, i - st) != 0) goto fail;
  } else if (u->is_http) {
    goto fail;
  }

  /* path */
  {
    size_t st = i;
    while (i < len && s[i] != '?' && s[i] != '#') i++;
    size_t pst = w.len;
    if (put_component(&w, s + st, i - st, C_PATH) != 0) goto fail;
    size_t plen = w.len - pst;
    if (plen && w.buf[pst] == '/') {
      plen = remove_dot_segments(w.buf + pst, plen);
      w.len = pst + plen;
    }
    if (plen == 0 && u->is_http) {
      put(&w, '/');
      plen = 1;
    }
    /* without an authority, a path starting with "//" would be read back as one */
    if (!u->has_authority && plen >= 2 && w.buf[pst] == '/' && w.buf[pst + 1] == '/') goto fail;
    u->path = span(pst, plen);
  }

  /* query */
  if (i < len && s[i] == '?') {
    size_t st = ++i;
    while (i < len && s[i] != '#') i++;
    put(&w, '?');
    size_t qst = w.len;
    if (put_component(&w, s + st, i - st, C_QUERY) != 0) goto fail;
    u->query = span(qst, w.len - qst);
    u->has_query = 1;
  }

  /* fragment */
  if (i < len && s[i] == '#') {
    size_t st = ++i;
    put(&w, '#');
    size_t fst = w.len;
    if (put_component(&w, s + st, len - st, C_QUERY) != 0) goto fail;
    u->fragment = span(fst, w.len - fst);
    u->has_fragment = 1;
  }

  if (w.full) goto fail;
  w.buf[w.len] = '\0';
  u->href_len = w.len;
  return 0;

fail:
  memset(out, 0, sizeof(*out));
  return SMV_ERR_URL_PARSE;
}

/* ---- resolve (RFC 3986 section 5.2.2) ---------------------------------------------------------------- */

int smv__url_resolve(smv__url *out, const smv__url *base, const char *ref, size_t len) {
  char tmp[SMV__URL_MAX];
  wr w = {tmp, 0, 0};
  if (!out || !base || !ref || len >= SMV__URL_MAX || base->href_len == 0) goto fail;
  for (size_t i = 0; i < len; i++)
    if (!cls((unsigned char)ref[i])) goto fail;

  /* Split the reference as RFC 3986 appendix B does: a ':' before any '/', '?' or '#' ends a scheme.
   * An invalid one (":23", "1a:b") then fails the parse below: such a first segment is no relative
   * reference either (section 4.2, path-noscheme). WHATWG reads those as relative paths and curl
   * takes "1a" for a scheme; refused, not guessed at ("./1a:b" is the relative path). */
  size_t i = 0;
  while (i < len && ref[i] != ':' && ref[i] != '/' && ref[i] != '?' && ref[i] != '#') i++;
  int has_scheme = (i < len && ref[i] == ':');
  if (has_scheme) {
    puts_n(&w, ref, len);
  } else {
    const char *bh = base->href;
    int has_auth = (len >= 2 && ref[0] == '/' && ref[1] == '/');
    puts_n(&w, bh, base->scheme.len);
    put(&w, ':');
    if (has_auth) {
      puts_n(&w, ref, len);
    } else {
      size_t pe = 0;
      while (pe < len && ref[pe] != '?' && ref[pe] != '#') pe++;
      size_t qe = pe;
      while (qe < len && ref[qe] != '#') qe++;
      if (base->has_authority) {
        size_t ast = base->scheme.len + 1;   /* "//" + authority up to the path */
        puts_n(&w, bh + ast, base->path.off - ast);
      }
      if (pe == 0) {
        puts_n(&w, bh + base->path.off, base->path.len);
        if (qe > pe) puts_n(&w, ref + pe, qe - pe);
        else if (base->has_query) puts_n(&w, bh + base->query.off - 1, base->query.len + 1);
      } else {
        if (ref[0] != '/') {
          if (base->has_authority && base->path.len == 0) {
            put(&w, '/');
          } else {
            size_t keep = base->path.len;
            while (keep && bh[base->path.off + keep - 1] != '/') keep--;
            puts_n(&w, bh + base->path.off, keep);
          }
        }
        puts_n(&w, ref, qe);
      }
      if (qe < len) puts_n(&w, ref + qe, len - qe);
    }
  }
  if (w.full) goto fail;
  return smv__url_parse(out, tmp, w.len);

fail:
  if (out) memset(out, 0, sizeof(*out));
  return SMV_ERR_URL_PARSE;
}

/* ---- views and comparisons --------------------------------------------------------------------------- */

size_t smv__url_href_nofrag_len(const smv__url *u) {
  return u->has_fragment ? (size_t)u->fragment.off - 1 : u->href_len;
}

smv__span smv__url_target(const smv__url *u) {
  size_t end = smv__url_href_nofrag_len(u);
  return span(u->path.off, end - u->path.off);
}

size_t smv__url_host_header(const smv__url *u, char *buf, size_t cap) {
  wr w;
  char tmp[300];
  if (!u->has_authority || u->host.len == 0) return 0;
  w.buf = tmp;
  w.len = 0;
  w.full = 0;
  if (u->host_kind == SMV__HOST_IPV6) put(&w, '[');
  puts_n(&w, u->href + u->host.off, u->host.len);
  if (u->host_kind == SMV__HOST_IPV6) put(&w, ']');
  if (u->has_port) {
    put(&w, ':');
    puts_n(&w, u->href + u->port.off, u->port.len);
  }
  if (w.full || w.len + 1 > cap || w.len >= sizeof(tmp)) return 0;
  memcpy(buf, tmp, w.len);
  buf[w.len] = '\0';
  return w.len;
}

static int same_text(const smv__url *a, smv__span sa, const smv__url *b, smv__span sb) {
  return sa.len == sb.len && memcmp(a->href + sa.off, b->href + sb.off, sa.len) == 0;
}

/* scheme, host and port equal, whether or not there is an authority */
static int same_scheme_host_port(const smv__url *a, const smv__url *b) {
  return a->href_len && b->href_len &&
         ieq(a->href + a->scheme.off, a->scheme.len, b->href + b->scheme.off, b->scheme.len) &&
         a->has_authority == b->has_authority &&
         ieq(a->href + a->host.off, a->host.len, b->href + b->host.off, b->host.len) &&
         a->port_num == b->port_num && same_text(a, a->port, b, b->port);
}

int smv__url_same_origin(const smv__url *a, const smv__url *b) {
  /* a URL without authority ("myapp:done") has an opaque origin, equal to no other (RFC 6454 4) */
  return a->has_authority && b->has_authority && same_scheme_host_port(a, b);
}

int smv__url_matches_return(const smv__url *t, const smv__url *r) {
  if (!same_scheme_host_port(t, r)) return 0;
  /* "myapp://evil@done" is not "myapp://done" */
  if (t->has_userinfo != r->has_userinfo || !same_text(t, t->userinfo, r, r->userinfo)) return 0;
  if (!same_text(t, t->path, r, r->path)) return 0;
  /* a returnUrl that carries a query or a fragment asks for exactly that one */
  if (r->has_query && (!t->has_query || !same_text(t, t->query, r, r->query))) return 0;
  if (r->has_fragment && (!t->has_fragment || !same_text(t, t->fragment, r, r->fragment))) return 0;
  return 1;
}

smv__url *smv__url_dup_compact(struct smv__alloc *a, const smv__url *u) {
  smv__url *c = smv__malloc(a, smv__url_compact_size(u));
  if (c) smv__url_copy(c, u);
  return c;
}

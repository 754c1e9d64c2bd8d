/* URLs: parsing, RFC 3986 section 5 reference resolution, normalisation, returnUrl matching.
 * Sans-I/O and allocation-free: a parsed URL lives in the caller's smv__url (fixed storage).
 *
 * What is accepted (RFC 3986 with the WHATWG rules where the two agree):
 * - scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), lower-cased.
 * - http/https: an authority is required; host is a reg-name (lower-cased, percent-decoded only for
 *   unreserved characters), an IPv4 dotted quad (only the four-decimal form), or an IPv6 literal in
 *   brackets (normalised to RFC 5952 text); port 0-65535, the default port is dropped.
 * - any other scheme ("myapp://done", "myapp:done") is parsed generically (for returnUrl matching).
 * - userinfo is parsed and flagged (the redirect policy refuses it).
 * - whitespace, control characters, backslashes and non-ASCII bytes are refused (not "fixed").
 * - the fragment is kept apart: never sent (RFC 9110 section 10.2.2).
 */
#ifndef SMV_CORE_URL_H
#define SMV_CORE_URL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SMV__URL_MAX 4608   /* href bytes, including the NUL: a 4 KiB Location plus its base. Kept
                              small because flows hold URLs in place (the per-flow heap budget). */

typedef struct smv__span {
  uint16_t off;
  uint16_t len;
} smv__span;

typedef enum smv__host_kind {
  SMV__HOST_NONE = 0,
  SMV__HOST_NAME,
  SMV__HOST_IPV4,
  SMV__HOST_IPV6
} smv__host_kind;

typedef struct smv__url {
  size_t href_len;
  smv__span scheme;          /* without ':' */
  smv__span userinfo;        /* without '@' */
  smv__span host;            /* IPv6 without brackets */
  smv__span port;            /* digits as written after normalisation (empty if default) */
  smv__span path;            /* "/" at least for http(s) */
  smv__span query;           /* without '?' */
  smv__span fragment;        /* without '#' */
  uint16_t port_num;         /* effective port (default of the scheme when absent; 0 unknown) */
  unsigned char has_authority, has_userinfo, has_port, has_query, has_fragment;
  unsigned char is_http;     /* 1 http, 2 https, 0 other */
  smv__host_kind host_kind;
  unsigned char ip[16];      /* for IPV4 (4 bytes) and IPV6 (16 bytes) */
  /* Last, so that a compact copy (smv__url_compact_size bytes) holds a whole URL: only what parse and
   * resolve write needs the full buffer. Copy a compact URL with smv__url_copy, never by assignment. */
  char href[SMV__URL_MAX];   /* normalised absolute URL, NUL-terminated, fragment included */
} smv__url;

/* Bytes of u up to its href's NUL: what a compact copy needs. */
#define smv__url_compact_size(u) (offsetof(smv__url, href) + (u)->href_len + 1)
/* Copies u into dst, which has room for at least smv__url_compact_size(u) bytes. */
#define smv__url_copy(dst, u) memcpy((dst), (u), smv__url_compact_size(u))
/* A compact copy of u from a (free it with smv__free), or NULL without memory. */
struct smv__alloc;
smv__url *smv__url_dup_compact(struct smv__alloc *a, const smv__url *u);

/* Parses an absolute URL of len bytes (NUL bytes inside are refused, not taken as the end). The
 * href is normalised: scheme and host lower-case, default port dropped, escapes of unreserved
 * characters decoded and other escapes in upper-case hex, dot segments removed from a path that
 * starts with '/', an empty http(s) path made "/". Port 0 and ports above 65535 are refused for
 * http(s); a host whose last label is a number must be a dotted quad; reg-names follow DNS length
 * rules (labels 1-63, 253 octets, one trailing dot kept). Parsing an href again gives the same href.
 * s must not point into out. On failure out is zeroed (href_len 0). Returns 0 or SMV_ERR_URL_PARSE. */
int smv__url_parse(smv__url *out, const char *s, size_t len);

/* Resolves reference ref against base (RFC 3986 section 5.2, strict: "http:x" is not relative, and
 * a reference without scheme whose first segment holds ':' (":23", "1a:b") is refused, section 4.2;
 * remove_dot_segments 5.2.4) and normalises the result like smv__url_parse. out may be base.
 * Uses SMV__URL_MAX bytes of stack; a merged reference longer than that is refused even if it
 * would normalise shorter. Returns 0 or SMV_ERR_URL_PARSE. */
int smv__url_resolve(smv__url *out, const smv__url *base, const char *ref, size_t len);

/* The request target: path and query, without the fragment. */
smv__span smv__url_target(const smv__url *u);   /* span from path start to before '#' */

/* The href without the fragment (for loop detection and the Host of requests). */
size_t smv__url_href_nofrag_len(const smv__url *u);

/* "host" or "host:port" (non-default port), IPv6 in brackets: the Host header. Returns the length
 * written (excluding NUL) or 0 if it does not fit. */
size_t smv__url_host_header(const smv__url *u, char *buf, size_t cap);

/* returnUrl matching: scheme and host case-insensitive, port and path exact; target may add a query
 * (or carry the same one) and a fragment. "myapp://done.evil", "myapp:done" do not match
 * "myapp://done". Returns 1 on match. */
int smv__url_matches_return(const smv__url *target, const smv__url *ret);

/* Same origin for connection reuse: scheme, host, port; URLs without an authority have none. */
int smv__url_same_origin(const smv__url *a, const smv__url *b);

#endif

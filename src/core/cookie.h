/* The per-flow cookie jar: an RFC 6265 subset. The chain's own hosts (the service, the operator's
 * header-enrichment endpoint) may keep state across hops with cookies; nothing from outside the flow is
 * ever sent. Fixed storage: the jar lives inside the flow and never allocates.
 *
 * Kept: name=value, Domain (domain cookies, only for a parent of the setting host that is not a bare
 * top-level label and not for IP hosts: we carry no public-suffix list, so "example" or "co.uk"-style
 * suffixes are refused only in the single-label case), Path (default-path of RFC 6265 5.1.4), Secure,
 * Max-Age (<= 0 deletes). Expires dates are not parsed: a flow lasts seconds, so a cookie with Expires
 * lives for the flow unless Max-Age says otherwise; an Expires in the past is the usual way to delete,
 * so a cookie whose Expires year is before the current century's is treated as deleted. HttpOnly and
 * SameSite are irrelevant to a non-browser client and ignored. */
#ifndef SMV_CORE_COOKIE_H
#define SMV_CORE_COOKIE_H

#include <stddef.h>

#include "core/url.h"

#define SMV__COOKIE_MAX 16
#define SMV__COOKIE_STORE 2048   /* bytes of names, values, domains and paths together */

typedef struct smv__cookie {
  unsigned short name, name_len, value, value_len, domain, domain_len, path, path_len;
  unsigned char host_only, secure, used;
} smv__cookie;

typedef struct smv__cookie_jar {
  smv__cookie c[SMV__COOKIE_MAX];
  char store[SMV__COOKIE_STORE];
  size_t store_used;
  unsigned dropped;    /* cookies refused for lack of room or by the rules (for the trace) */
} smv__cookie_jar;

void smv__cookie_jar_init(smv__cookie_jar *jar);

/* Takes one Set-Cookie value received from url. Returns 1 stored/updated/deleted, 0 ignored. */
int smv__cookie_set(smv__cookie_jar *jar, const smv__url *url, const char *value, size_t len);

/* Writes "a=1; b=2" for a request to url into buf (NUL-terminated). Returns the length, 0 when no
 * cookie applies or they do not fit. */
size_t smv__cookie_header(const smv__cookie_jar *jar, const smv__url *url, char *buf, size_t cap);

#endif

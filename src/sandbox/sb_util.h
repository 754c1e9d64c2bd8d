/* Small pieces that the vendor API (sb_service) and the CAMARA side (sb_camara) both need: the
 * narrative, response bodies, JSON escaping, form and query fields (percent-decoded once), percent-
 * encoding, header lookup, constant-time comparison, SHA-256 in hex, random ids. */
#ifndef SMV_SANDBOX_SB_UTIL_H
#define SMV_SANDBOX_SB_UTIL_H

#include <stdarg.h>
#include <stddef.h>

#include "core/attr.h"
#include "sandbox/sb_msg.h"


/* One line of narrative through fx->log (nothing when it is NULL). */
SMV__PRINTF(2, 3) void smv__sb_logf(const smv__sb_effects *fx, const char *fmt, ...);
/* The same for a log function of another owner (log NULL: nothing). */
void smv__sb_vlog(void (*log)(void *ud, const char *line), void *ud, const char *fmt, va_list ap);
/* Formats the response body (truncated to the buffer, which the callers' bounds never reach). */
SMV__PRINTF(2, 3) void smv__sb_body(smv__sb_response *res, const char *fmt, ...);
/* s as the inside of a JSON string (quotes, backslashes and controls escaped), truncated to cap. */
void smv__sb_json_escape(char *dst, size_t cap, const char *s);

/* The field key of an application/x-www-form-urlencoded text (a request body, or a query): how many
 * times it occurs (0: absent), or -1 when an occurrence does not decode (a bad escape, an escaped
 * NUL, or longer than cap - 1 once decoded). When it occurs, the first value is decoded into out:
 * '+' is a space and %XX a byte, once (WHATWG URL, application/x-www-form-urlencoded). */
int smv__sb_form_get(const char *form, size_t len, const char *key, char *out, size_t cap);
/* Percent-encodes every byte but the unreserved ones (RFC 3986 2.3). Returns the length, or -1 when
 * it does not fit in cap (NUL included). */
long smv__sb_pct_encode(const char *in, char *out, size_t cap);

/* The value of the header name (case-insensitive) and, in *count, how many times it came; NULL when
 * absent. */
const char *smv__sb_header_get(const smv__sb_request *req, const char *name, size_t *count);
/* 1 when the Content-Type's media type (before ';') is type, case-insensitively. */
int smv__sb_media_is(const char *content_type, const char *type);
/* 1 when a and b are equal; the time depends on their lengths only. */
int smv__sb_ct_equal(const char *a, const char *b);
/* SHA-256 of n bytes as 64 lower-case hex digits. */
void smv__sb_sha256_hex(const void *data, size_t n, char out[65]);
/* nbytes (at most 64) random bytes through fx, base64url without padding: an id that nobody can
 * guess (32 bytes: 256 bits, RFC 6749 10.10). out needs 4 * nbytes / 3 + 2 bytes. */
void smv__sb_random_id(const smv__sb_effects *fx, size_t nbytes, char *out, size_t cap);

#endif

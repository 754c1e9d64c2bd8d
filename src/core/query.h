/* Query parameters in the application/x-www-form-urlencoded shape (the WHATWG URL standard's
 * serialisation; RFC 6749 appendix B uses it for OAuth responses on the redirect_uri): pairs
 * separated by '&', name and value separated by the first '=', '+' standing for a space, and
 * percent-escapes decoded once. Sans-I/O and allocation-free: the caller gives the buffers. */
#ifndef SMV_CORE_QUERY_H
#define SMV_CORE_QUERY_H

#include <stddef.h>

/* Decodes src (len bytes) into dst (cap bytes, NUL added): '+' becomes a space, "%XX" its byte.
 * Returns the decoded length, or -1 on a bad escape ("%zz", "%4"), a decoded NUL byte, or a result
 * that does not fit. */
long smv__form_decode(const char *src, size_t len, char *dst, size_t cap);

/* Finds the parameter called name (compared after decoding, exactly) in query (without the '?').
 * Returns the number of times it occurs (0: absent) and, for the first one, its raw value in
 * *value / *value_len (not decoded). A pair without '=' has an empty value. */
unsigned smv__query_find(const char *query, size_t len, const char *name, const char **value,
                         size_t *value_len);

#endif

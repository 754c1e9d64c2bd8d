/* What smv writes for people (the -v trace, the HAR) hides the secrets a verification carries: the
 * values of query and fragment parameters (OAuth code, state, access_token, the service's tokens)
 * and anything shaped like the service's tokens (UUIDs). The --json result is for the app and
 * carries them; only the caller's show_secrets turns redaction off. Pure and allocation-free. */
#ifndef SMV_CORE_REDACT_H
#define SMV_CORE_REDACT_H

#include <stddef.h>

/* Copies the NUL-terminated in to out (cap bytes, always NUL-terminated when cap > 0, cut at the
 * end), with every parameter value after '?' or '#' replaced by "<redacted>" and every
 * 8-4-4-4-12 hex-digit string by "<token>". A space ends a URL (trace lines hold several). */
void smv__redact(const char *in, char *out, size_t cap);

#endif

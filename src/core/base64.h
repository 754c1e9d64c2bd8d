/* Base64 decoding for certificates read from PEM files. mbedTLS's decoder is constant-time, which
 * secrets need and public certificates do not: indexing the system store's 145 roots with it cost
 * more CPU than a whole TLS handshake. */
#ifndef SMV_CORE_BASE64_H
#define SMV_CORE_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Room that decoding len characters may need. */
#define SMV__BASE64_DECODED_MAX(len) ((len) / 4 * 3 + 3)

/* Decodes the standard alphabet (RFC 4648 section 4) with its padding; whitespace is not skipped.
 * Returns the number of bytes written to out (at most cap), or -1 for a character outside the
 * alphabet, padding that is missing, misplaced or too long, or output that does not fit. Not
 * constant-time: for public data only. */
long smv__base64_decode(const char *in, size_t len, uint8_t *out, size_t cap);

#endif

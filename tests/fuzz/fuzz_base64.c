/* libFuzzer target for the trust store's base64 decoder, against mbedTLS's as the reference: what
 * ours accepts, mbedTLS must accept with the same bytes; what mbedTLS refuses, ours must refuse
 * (ours is stricter only about whitespace, which its callers strip first). The output buffer is
 * exactly the size the decoder says it may need, so ASan sees any write past it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/base64.h>

#include "core/base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t cap = SMV__BASE64_DECODED_MAX(size);
  uint8_t *ours = malloc(cap ? cap : 1), *theirs = malloc(cap ? cap : 1);
  if (!ours || !theirs) abort();
  long n = smv__base64_decode((const char *)data, size, ours, cap);
  size_t m = 0;
  int rc = mbedtls_base64_decode(theirs, cap, &m, data, size);
  int has_space = memchr(data, ' ', size) || memchr(data, '\n', size) || memchr(data, '\r', size);
  if (n >= 0 && (rc != 0 || (size_t)n != m || memcmp(ours, theirs, m) != 0)) abort();
  if (rc != 0 && n >= 0) abort();
  if (rc == 0 && n < 0 && !has_space && size > 0) abort(); /* refused what mbedTLS takes */
  /* In place, as the trust store decodes a certificate body. */
  if (n >= 0) {
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) abort();
    memcpy(buf, data, size);
    if (smv__base64_decode((const char *)buf, size, buf, size) != n || memcmp(buf, ours, (size_t)n) != 0) abort();
    free(buf);
  }
  free(ours);
  free(theirs);
  return 0;
}

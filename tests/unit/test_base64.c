/* The base64 decoder of the trust store: RFC 4648's vectors, every malformed shape it must refuse,
 * and agreement with mbedTLS's decoder on encodings of random data of every length up to 600. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <mbedtls/base64.h>

#include "core/base64.h"

static long dec(const char *s, uint8_t *out, size_t cap) { return smv__base64_decode(s, strlen(s), out, cap); }

static void test_rfc4648_vectors(void **state) {
  (void)state;
  static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  static const char *const coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (size_t i = 0; i < sizeof(plain) / sizeof(*plain); i++) {
    uint8_t out[16];
    long n = dec(coded[i], out, sizeof(out));
    assert_int_equal(n, (long)strlen(plain[i]));
    assert_memory_equal(out, plain[i], (size_t)n);
    /* exactly the room needed is enough; one byte less is refused */
    if (n > 0) {
      assert_int_equal(dec(coded[i], out, (size_t)n), n);
      assert_int_equal(dec(coded[i], out, (size_t)n - 1), -1);
    }
  }
}

static void test_refusals(void **state) {
  (void)state;
  static const char *const bad[] = {
    "Zg",        /* missing padding */
    "Zm8",       /* missing padding */
    "Z",         /* a lone character */
    "Zg=",       /* short padding */
    "Zm8==",     /* too much padding */
    "Zg==Zg==",  /* data after the padding */
    "Zm9v\n",    /* whitespace (the caller strips it) */
    "Zm 9v",     /* space */
    "Zm9-",      /* URL-safe alphabet */
    "Zm9_",
    "Zm9\x80",   /* non-ASCII */
    "===",
    "Zm9v=",     /* padding after a complete group */
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
    uint8_t out[16];
    if (dec(bad[i], out, sizeof(out)) != -1) fail_msg("accepted \"%s\"", bad[i]);
  }
}

static void test_agrees_with_mbedtls(void **state) {
  (void)state;
  uint8_t data[600], ours[600], theirs[600];
  unsigned char text[820];
  srand(4648);
  for (size_t len = 0; len <= sizeof(data); len++) {
    for (size_t i = 0; i < len; i++) data[i] = (uint8_t)rand();
    size_t tlen = 0;
    assert_int_equal(mbedtls_base64_encode(text, sizeof(text), &tlen, data, len), 0);
    size_t mlen = 0;
    assert_int_equal(mbedtls_base64_decode(theirs, sizeof(theirs), &mlen, text, tlen), 0);
    long n = smv__base64_decode((const char *)text, tlen, ours, sizeof(ours));
    assert_int_equal(n, (long)mlen);
    assert_memory_equal(ours, theirs, mlen);
    assert_memory_equal(ours, data, len);
    assert_true(SMV__BASE64_DECODED_MAX(tlen) >= len);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_rfc4648_vectors),
    cmocka_unit_test(test_refusals),
    cmocka_unit_test(test_agrees_with_mbedtls),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* HMAC-SHA256 assertions with mbedTLS's message-digest layer. The signed text is versioned and
 * separated by '|', which appears in none of its parts (a UUID, digits, a decimal time). */
#include "sandbox/sb_assert.h"

#include <mbedtls/md.h>
#include <stdio.h>
#include <string.h>

static int mac(const unsigned char *key, size_t key_len, const char *token, const char *msisdn,
               uint64_t ts, unsigned char out[32]) {
  char text[160];
  int n = snprintf(text, sizeof(text), "smv-he-v1|%s|%s|%llu", token, msisdn,
                   (unsigned long long)ts);
  if (n < 0 || (size_t)n >= sizeof(text)) return -1;
  const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
  if (!md) return -1;
  return mbedtls_md_hmac(md, key, key_len, (const unsigned char *)text, (size_t)n, out) ? -1 : 0;
}

int smv__sb_assert_sign(const unsigned char *key, size_t key_len, const char *token,
                        const char *msisdn, uint64_t ts, char out[65]) {
  unsigned char m[32];
  if (mac(key, key_len, token, msisdn, ts, m)) return -1;
  for (size_t i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", m[i]);
  return 0;
}

int smv__sb_assert_verify(const unsigned char *key, size_t key_len, const char *token,
                          const char *msisdn, uint64_t ts, const char *sig, uint64_t now_s,
                          uint64_t max_age_s) {
  char want[65];
  if (!sig || strlen(sig) != 64) return -1;
  if (ts > now_s + 5 || (ts < now_s && now_s - ts > max_age_s)) return -1;
  if (smv__sb_assert_sign(key, key_len, token, msisdn, ts, want)) return -1;
  unsigned char diff = 0;
  for (size_t i = 0; i < 64; i++) diff |= (unsigned char)(want[i] ^ sig[i]);
  return diff ? -1 : 0;
}

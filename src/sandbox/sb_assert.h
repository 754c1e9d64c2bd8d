/* The header-enrichment assertion: the operator's endpoint vouches "the device that carried token T
 * came from subscriber M at time S" with HMAC-SHA256 under the operator's key, in the query of the
 * redirect back to the service. The service checks it before it trusts the MSISDN, so a device
 * cannot claim a number by editing the URL. */
#ifndef SMV_SANDBOX_SB_ASSERT_H
#define SMV_SANDBOX_SB_ASSERT_H

#include <stddef.h>
#include <stdint.h>

#define SMV__SB_ASSERT_MAX_AGE_S 120

/* Writes 64 lower-case hex digits and a NUL into out. msisdn may be "" (no number for that
 * address). Returns 0, or -1 when the HMAC could not be computed. */
int smv__sb_assert_sign(const unsigned char *key, size_t key_len, const char *token,
                        const char *msisdn, uint64_t ts, char out[65]);

/* 0 when sig is the signature of (token, msisdn, ts) and ts is at most max_age_s old (and not in
 * the future by more than 5 s) at now_s; -1 otherwise. Compares in constant time. */
int smv__sb_assert_verify(const unsigned char *key, size_t key_len, const char *token,
                          const char *msisdn, uint64_t ts, const char *sig, uint64_t now_s,
                          uint64_t max_age_s);

#endif

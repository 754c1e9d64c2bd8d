/* smv's mbedTLS 3.6 configuration (full build: client, plus the server side for the sandbox and the
 * test servers). The footprint build uses smv_mbedtls_config_client.h, which includes this file and
 * removes the server side.
 *
 * Choices and why:
 * - TLS 1.2 and 1.3 only, AEAD suites only (AES-GCM, ChaCha20-Poly1305): every operator and service
 *   endpoint we talk to offers them, and dropping CBC/RSA key exchange removes code and attack surface.
 * - ECDHE with X25519, P-256, P-384; RSA (PKCS#1 v1.5 and PSS) and ECDSA signatures.
 * - MBEDTLS_X509_TRUSTED_CERTIFICATE_CALLBACK: the system trust store is indexed and roots are loaded
 *   only when a chain asks for them, instead of parsing ~140 roots (~200 KiB of heap) per client.
 * - MBEDTLS_PLATFORM_MEMORY: mbedTLS allocates through smv's allocator hook, so the heap peak counts it.
 * - Output records at most 4 KiB: requests are small; the input buffer keeps the full 16 KiB that any
 *   server may send.
 */
#ifndef SMV_MBEDTLS_CONFIG_H
#define SMV_MBEDTLS_CONFIG_H

#define MBEDTLS_HAVE_ASM
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_FS_IO

/* Crypto primitives */
#define MBEDTLS_AES_C
#define MBEDTLS_GCM_C
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_MD_C
#define MBEDTLS_SHA1_C          /* to recognise (and refuse) SHA-1 signed certificates */
#define MBEDTLS_SHA224_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_C
#define MBEDTLS_HKDF_C
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_HMAC_DRBG_C
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_PSA_CRYPTO_C
#define MBEDTLS_ERROR_C
#define MBEDTLS_VERSION_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_OID_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_PEM_WRITE_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C
#define MBEDTLS_GENPRIME        /* certgen's RSA keys (tests of the weak-key refusal); not in the client build */

/* X.509 */
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_RSASSA_PSS_SUPPORT
#define MBEDTLS_X509_TRUSTED_CERTIFICATE_CALLBACK
#define MBEDTLS_X509_CREATE_C
#define MBEDTLS_X509_CRT_WRITE_C

/* TLS */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_TICKET_C
#define MBEDTLS_SSL_CACHE_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_ENCRYPT_THEN_MAC
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
#define MBEDTLS_SSL_ALL_ALERT_MESSAGES
/* Required by TLS 1.3 in 3.6 (check_config.h). smv reads the chain only in its verify callback (pins)
 * and drops the peer certificate from sessions before caching them, so it costs heap only while a
 * connection is open. */
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE

#define MBEDTLS_SSL_IN_CONTENT_LEN  16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096

/* Static PSA key slots (no dynamic key store: its slices are process-wide allocations that would be
 * charged to whichever client happened to be running). Each TLS 1.3 handshake holds its ECDHE key
 * in a slot until the key exchange is done, so the slot count bounds concurrent handshakes per
 * process: with 128, the 129th handshake failed with an allocation error (the benchmark at 500
 * concurrent flows found it). 2048 slots of 56 bytes are 112 KiB of static memory, for the sandbox
 * and hosts; the client footprint configuration keeps 32. */
#define MBEDTLS_PSA_KEY_SLOT_COUNT 2048

/* Clients on several threads at once (each on its own loop, or smv_follow_sync from several
 * threads): PSA's key slots and random generator belong to the process and need their locks. smv's
 * own per-call state (the current allocator, the engine being driven) is thread-local. */
#define MBEDTLS_THREADING_C
#define MBEDTLS_THREADING_PTHREAD

#endif /* SMV_MBEDTLS_CONFIG_H */

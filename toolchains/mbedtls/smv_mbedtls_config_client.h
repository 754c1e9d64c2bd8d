/* smv's mbedTLS 3.6 configuration for the footprint build: the device client only (phones, modems),
 * configured with -DSMV_MBEDTLS_CONFIG=<this file> -DSMV_BUILD_SANDBOX=OFF. It is the full
 * configuration (smv_mbedtls_config.h, which explains each choice) minus what only the sandbox and the
 * test servers use: the server side, its ticket keys and session cache, and certificate writing.
 * PK writing stays: the SPKI pins hash the DER public key. */
#ifndef SMV_MBEDTLS_CONFIG_CLIENT_H
#define SMV_MBEDTLS_CONFIG_CLIENT_H

#include "smv_mbedtls_config.h"

#undef MBEDTLS_SSL_SRV_C
#undef MBEDTLS_SSL_TICKET_C
#undef MBEDTLS_SSL_CACHE_C
#undef MBEDTLS_X509_CREATE_C
#undef MBEDTLS_X509_CRT_WRITE_C
#undef MBEDTLS_PEM_WRITE_C
#undef MBEDTLS_GENPRIME
/* A client holds a few PSA keys per open connection; it never has many connections at once. */
#undef MBEDTLS_PSA_KEY_SLOT_COUNT
#define MBEDTLS_PSA_KEY_SLOT_COUNT 32

#endif /* SMV_MBEDTLS_CONFIG_CLIENT_H */

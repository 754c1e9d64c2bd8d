/* Flow configuration defaults (docs/cli.md), and the one rule of smv.h's versioned structs. */
#include "io/config.h"

#include <string.h>

void smv_config_init(smv_config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->version = SMV_CONFIG_VERSION;
  cfg->max_redirects = 10;
  cfg->max_time_ms = 30000;
  cfg->connect_timeout_ms = 10000;
  cfg->response_timeout_ms = 10000;
  cfg->max_header_bytes = 16 * 1024;
  cfg->max_body_bytes = 64 * 1024;
  cfg->max_location_bytes = 4 * 1024;
}

int smv__versioned_copy(void *dst, size_t size, const void *src, const size_t *sizes, int nversions) {
  int version;
  memcpy(&version, src, sizeof(version)); /* the first member of every versioned struct */
  if (version < 1 || version > nversions || sizes[version - 1] > size) return SMV_ERR_INVALID_ARG;
  memset(dst, 0, size);
  memcpy(dst, src, sizes[version - 1]);
  return 0;
}

const size_t smv__config_sizes[SMV_CONFIG_VERSION] = {
  offsetof(smv_config, state), /* 1 */
  sizeof(smv_config),          /* 2 */
};

const size_t smv__client_options_sizes[SMV_CLIENT_OPTIONS_VERSION] = {
  offsetof(smv_client_options, tls_resume_without_ecdhe), /* 1 */
  offsetof(smv_client_options, tls_min_version),          /* 2 */
  sizeof(smv_client_options),                             /* 3 */
};

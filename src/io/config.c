/* Flow configuration defaults (docs/cli.md). */
#include <string.h>

#include "smv.h"

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

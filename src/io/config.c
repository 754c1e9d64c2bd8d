/* Flow configuration defaults. */
#include <string.h>

#include "smv.h"

void smv_config_init(smv_config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->version = SMV_CONFIG_VERSION;
}

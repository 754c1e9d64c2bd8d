/* The path choice through a platform table: the platform's own defaults (a modem's configured WAN
 * interface), then the pure chooser of src/core/path_choose.c. */
#include "platform.h"

int smv__platform_choose(const smv__platform *p, const smv__snapshot *snap, smv__choose_opts *o,
                         smv__verdict *out) {
  if (p->ops->choose_defaults) p->ops->choose_defaults(p->user_data, o);
  return smv__path_choose(snap, o, out);
}

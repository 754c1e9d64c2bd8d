/* Which address families a flow on the chosen path can reach, and how (see core/path.h). */
#include <sys/socket.h>

#include "core/path.h"

void smv__path_plan(const smv__path *p, int has_clat, int family, smv__family_plan *out) {
  int own4 = smv__path_has_family(p, AF_INET), own6 = smv__path_has_family(p, AF_INET6);
  out->v6 = own6 && family != 4;
  out->v4 = SMV__V4_NONE;
  if (family != 6) {
    if (own4) out->v4 = SMV__V4_DIRECT;
    else if (has_clat) out->v4 = SMV__V4_CLAT;
    else if (own6) out->v4 = SMV__V4_NAT64;
  }
  out->ask_aaaa = out->v6;
  out->ask_a = out->v4 == SMV__V4_DIRECT || out->v4 == SMV__V4_CLAT ||
               (out->v4 == SMV__V4_NAT64 && family == 4);
}

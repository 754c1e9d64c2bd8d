/* The modem platform's configuration entry point, for firmware that links smv. */
#ifndef SMV_PLATFORM_MODEM_H
#define SMV_PLATFORM_MODEM_H

#include "platform.h"

/* The WAN interface and its DNS servers ("IP[,IP]", may be NULL: discovered as on Linux). Takes
 * precedence over SMV_MODEM_IF / SMV_MODEM_DNS. Call before starting flows (not thread-safe). */
void smv__modem_configure(const char *ifname, const char *dns_csv);

#endif

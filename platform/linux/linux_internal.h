/* What the Linux platform's files share among themselves (not part of the ops contract). */
#ifndef SMV_PLATFORM_LINUX_INTERNAL_H
#define SMV_PLATFORM_LINUX_INTERNAL_H

#include "platform.h"

/* rtnetlink dumps + sysfs into *out. SMV_OK or SMV_ERR_IO. */
int smv__linux_snapshot(smv__snapshot *out);

#endif

/* Flows, as the client sees them. */
#ifndef SMV_IO_FLOW_H
#define SMV_IO_FLOW_H

#include "smv.h"

/* Cancels every flow of the client (client teardown). */
void smv__flows_cancel_all(smv_client *cl);

#endif

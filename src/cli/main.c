#include <stdio.h>
#include "smv.h"
int main(void) { puts(smv_errname(SMV_ERR_NOMEM)); return 0; }

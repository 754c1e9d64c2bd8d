/* Lookups over SMV__SB_ERROR_MAP. */
#include "sandbox/sb_errors.h"

#include <stddef.h>

const char *smv__sb_error_name(int id) {
  switch (id) {
#define SMV__SB_ERR_NAME(name, num, status, desc) case num: return #name;
    SMV__SB_ERROR_MAP(SMV__SB_ERR_NAME)
#undef SMV__SB_ERR_NAME
  default: return NULL;
  }
}

const char *smv__sb_error_description(int id) {
  switch (id) {
#define SMV__SB_ERR_DESC(name, num, status, desc) case num: return desc;
    SMV__SB_ERROR_MAP(SMV__SB_ERR_DESC)
#undef SMV__SB_ERR_DESC
  default: return NULL;
  }
}

int smv__sb_error_http_status(int id) {
  switch (id) {
#define SMV__SB_ERR_STATUS(name, num, status, desc) case num: return status;
    SMV__SB_ERROR_MAP(SMV__SB_ERR_STATUS)
#undef SMV__SB_ERR_STATUS
  default: return 500;
  }
}

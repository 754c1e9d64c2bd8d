/* smv_errname, smv_strerror and smv_exit_code, generated from SMV_ERRNO_MAP. */
#include "smv.h"

const char *smv_errname(int err) {
  switch (err) {
  case SMV_OK: return "SMV_OK";
#define SMV__ERR_NAME(name, exitcode, msg) case SMV_ERR_##name: return "SMV_ERR_" #name;
    SMV_ERRNO_MAP(SMV__ERR_NAME)
#undef SMV__ERR_NAME
  default: return "SMV_ERR_UNKNOWN";
  }
}

const char *smv_strerror(int err) {
  switch (err) {
  case SMV_OK: return "success";
#define SMV__ERR_MSG(name, exitcode, msg) case SMV_ERR_##name: return msg;
    SMV_ERRNO_MAP(SMV__ERR_MSG)
#undef SMV__ERR_MSG
  default: return "unknown error";
  }
}

int smv_exit_code(int err) {
  switch (err) {
  case SMV_OK: return 0;
#define SMV__ERR_EXIT(name, exitcode, msg) case SMV_ERR_##name: return exitcode;
    SMV_ERRNO_MAP(SMV__ERR_EXIT)
#undef SMV__ERR_EXIT
  default: return 1;
  }
}

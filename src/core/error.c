/* smv_errname, smv_strerror and smv_exit_code, generated from SMV_ERRNO_MAP. The codes are
 * consecutive, so each is an index into tables (smaller on a modem than three switches). */
#include "smv.h"

#define SMV__ERR_COUNT (SMV__ERR_END_ - SMV__ERR_FIRST_ - 1)

static const char *const smv__err_names[] = {
#define SMV__ERR_NAME(name, exitcode, msg) "SMV_ERR_" #name,
  SMV_ERRNO_MAP(SMV__ERR_NAME)
#undef SMV__ERR_NAME
};

static const char *const smv__err_msgs[] = {
#define SMV__ERR_MSG(name, exitcode, msg) msg,
  SMV_ERRNO_MAP(SMV__ERR_MSG)
#undef SMV__ERR_MSG
};

static const unsigned char smv__err_exits[] = {
#define SMV__ERR_EXIT(name, exitcode, msg) exitcode,
  SMV_ERRNO_MAP(SMV__ERR_EXIT)
#undef SMV__ERR_EXIT
};

/* The table index of err, or -1 when it is not one of ours. */
static int err_index(int err) {
  return (err > SMV__ERR_FIRST_ && err < SMV__ERR_END_) ? err - SMV__ERR_FIRST_ - 1 : -1;
}

const char *smv_errname(int err) {
  int i = err_index(err);
  return err == SMV_OK ? "SMV_OK" : i < 0 ? "SMV_ERR_UNKNOWN" : smv__err_names[i];
}

const char *smv_strerror(int err) {
  int i = err_index(err);
  return err == SMV_OK ? "success" : i < 0 ? "unknown error" : smv__err_msgs[i];
}

int smv_exit_code(int err) {
  int i = err_index(err);
  return err == SMV_OK ? 0 : i < 0 ? 1 : smv__err_exits[i];
}

_Static_assert(sizeof(smv__err_names) / sizeof(smv__err_names[0]) == SMV__ERR_COUNT,
               "the error tables follow the enum");

/* smv_errname, smv_strerror and smv_exit_code, generated from SMV_ERRNO_MAP. Each code's value is
 * fixed in the list; the tables are indexed by the value's slot in -999..-900 (designated
 * initializers), so an unused value is a NULL entry and reads as unknown. */
#include "smv.h"

#define SMV__ERR_SLOTS (SMV__ERR_MAX_ - SMV__ERR_MIN_ + 1)
#define SMV__ERR_SLOT(value) ((value) - SMV__ERR_MIN_)

/* Every value in range... */
#define SMV__ERR_RANGE(name, value, exitcode, msg)                                                \
  _Static_assert((value) >= SMV__ERR_MIN_ && (value) <= SMV__ERR_MAX_, "SMV_ERR_" #name " out of range");
SMV_ERRNO_MAP(SMV__ERR_RANGE)
#undef SMV__ERR_RANGE

/* ...and unique: two codes with one value are a duplicate case label, which does not compile. */
#define SMV__ERR_CASE(name, value, exitcode, msg) case (value):
static inline void smv__err_values_unique(int err) {
  switch (err) {
  SMV_ERRNO_MAP(SMV__ERR_CASE)
    break;
  default:
    break;
  }
}
#undef SMV__ERR_CASE

static const char *const smv__err_names[SMV__ERR_SLOTS] = {
#define SMV__ERR_NAME(name, value, exitcode, msg) [SMV__ERR_SLOT(value)] = "SMV_ERR_" #name,
  SMV_ERRNO_MAP(SMV__ERR_NAME)
#undef SMV__ERR_NAME
};

static const char *const smv__err_msgs[SMV__ERR_SLOTS] = {
#define SMV__ERR_MSG(name, value, exitcode, msg) [SMV__ERR_SLOT(value)] = msg,
  SMV_ERRNO_MAP(SMV__ERR_MSG)
#undef SMV__ERR_MSG
};

static const unsigned char smv__err_exits[SMV__ERR_SLOTS] = {
#define SMV__ERR_EXIT(name, value, exitcode, msg) [SMV__ERR_SLOT(value)] = exitcode,
  SMV_ERRNO_MAP(SMV__ERR_EXIT)
#undef SMV__ERR_EXIT
};

/* The table slot of err, or -1 when it is not one of ours. */
static int err_index(int err) {
  (void)smv__err_values_unique;
  if (err < SMV__ERR_MIN_ || err > SMV__ERR_MAX_ || !smv__err_names[SMV__ERR_SLOT(err)]) return -1;
  return SMV__ERR_SLOT(err);
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

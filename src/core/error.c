/* smv_errname, smv_strerror and smv_exit_code, generated from SMV_ERRNO_MAP. Each code's value is
 * fixed in the list; the tables are indexed by the value's slot in -999..-900 (designated
 * initializers), so an unused value is a 0 entry and reads as unknown. */
#include "smv.h"

#include <stddef.h>
#include <string.h>

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

/* Every name and message in one block, in the list's order ("SMV_ERR_NOMEM\0out of memory\0..."):
 * a struct of char arrays (no padding between them), so that each string is found by its offset,
 * known at compile time, instead of through a pointer table (4 or 8 bytes per string: 800 on armhf,
 * where firmware pays for each). */
static const struct smv__err_texts {
#define SMV__ERR_FIELDS(name, value, exitcode, msg) \
  char name[sizeof("SMV_ERR_" #name)];               \
  char msg_##name[sizeof(msg)];
  SMV_ERRNO_MAP(SMV__ERR_FIELDS)
#undef SMV__ERR_FIELDS
} smv__err_text = {
#define SMV__ERR_STRINGS(name, value, exitcode, msg) "SMV_ERR_" #name, msg,
  SMV_ERRNO_MAP(SMV__ERR_STRINGS)
#undef SMV__ERR_STRINGS
};
_Static_assert(sizeof(smv__err_text) < 65535, "the offsets must fit in 16 bits");

/* The offset of each value's name in smv__err_text, plus one (0: no code has that value). */
static const unsigned short smv__err_offsets[SMV__ERR_SLOTS] = {
#define SMV__ERR_OFFSET(name, value, exitcode, msg) \
  [SMV__ERR_SLOT(value)] = offsetof(struct smv__err_texts, name) + 1,
  SMV_ERRNO_MAP(SMV__ERR_OFFSET)
#undef SMV__ERR_OFFSET
};

static const unsigned char smv__err_exits[SMV__ERR_SLOTS] = {
#define SMV__ERR_EXIT(name, value, exitcode, msg) [SMV__ERR_SLOT(value)] = exitcode,
  SMV_ERRNO_MAP(SMV__ERR_EXIT)
#undef SMV__ERR_EXIT
};

/* The name of err (its message follows it), or NULL when it is not one of ours. */
static const char *err_text(int err) {
  (void)smv__err_values_unique;
  if (err < SMV__ERR_MIN_ || err > SMV__ERR_MAX_ || !smv__err_offsets[SMV__ERR_SLOT(err)]) return NULL;
  return (const char *)&smv__err_text + smv__err_offsets[SMV__ERR_SLOT(err)] - 1;
}

const char *smv_errname(int err) {
  const char *t = err_text(err);
  return err == SMV_OK ? "SMV_OK" : t ? t : "SMV_ERR_UNKNOWN";
}

const char *smv_strerror(int err) {
  const char *t = err_text(err);
  return err == SMV_OK ? "success" : t ? t + strlen(t) + 1 : "unknown error";
}

int smv_exit_code(int err) {
  const char *t = err_text(err);
  return err == SMV_OK ? 0 : t ? smv__err_exits[SMV__ERR_SLOT(err)] : 1;
}

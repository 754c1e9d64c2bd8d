/* Test helper: llhttp's case files in ../shared/testdata, and the rules both HTTP reader suites hold
 * our verdicts to (every case llhttp rejects is rejected; every case it accepts at its default
 * strictness is accepted, unless listed with a reason; a case it accepts only leniently is
 * rejected). */
#ifndef SMV_TEST_LLHTTP_CASES_H
#define SMV_TEST_LLHTTP_CASES_H

#include <stddef.h>

#include <cJSON.h>

typedef struct smv_test_llhttp_case {
  const char *title, *type;
  const cJSON *meta;
  int llhttp_ok;   /* llhttp accepts it at its default strictness */
  int messages;    /* messages llhttp completes */
  char *input;     /* the bytes, NUL-terminated */
  size_t len;
} smv_test_llhttp_case;

/* A case we deliberately refuse although llhttp accepts it, and why. */
typedef struct smv_test_stricter {
  const char *title, *reason;
} smv_test_stricter;

/* The reason listed for title in tab[0..n), or NULL. */
const char *smv_test_stricter_reason(const smv_test_stricter *tab, size_t n, const char *title);

typedef struct smv_test_llhttp_tally {
  unsigned total, ok_match, err_match, lenient_err, deliberate, lenient_skipped, restored;
} smv_test_llhttp_tally;

/* The parsed file $SMV_TESTDATA/name (the test fails when it cannot be read); free with cJSON_Delete. */
cJSON *smv_test_llhttp_load(const char *name);

/* One entry of the file's "cases". The JSON lost one trailing CRLF wherever the markdown it came from
 * ended a block with an empty line (its recorded offsets and message counts show the full input), so
 * an input that ends in CRLF gets it back (counted in t->restored). */
void smv_test_llhttp_case_read(const cJSON *entry, smv_test_llhttp_case *c, smv_test_llhttp_tally *t);
void smv_test_llhttp_case_free(smv_test_llhttp_case *c);

/* Holds our result to llhttp's verdict and counts it. lenient: llhttp needs a leniency flag for the
 * case's type; reason: our documented stricter rule for it, or NULL; err: 0 when we accepted it;
 * err_name: what to call err; log: our event log, for the messages. Fails the test on any
 * disagreement. Returns 1 when both accepted (the caller may compare more). */
int smv_test_llhttp_judge(smv_test_llhttp_tally *t, const smv_test_llhttp_case *c, int lenient,
                          const char *reason, int err, const char *err_name, const char *log,
                          size_t log_len);

/* The tally's checks: every case was judged, and exactly the listed ones as deliberately stricter. */
void smv_test_llhttp_tally_check(const smv_test_llhttp_tally *t, unsigned total, unsigned stricter);

#endif

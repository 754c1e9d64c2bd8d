/* Test helper: the split property of the HTTP readers. A connection's bytes are fed whole, cut in
 * two at every boundary, and one byte at a time (a fresh reader after each complete message, as on a
 * keep-alive connection); every run must give the same event log (http_events.h) and result. */
#ifndef SMV_TEST_SPLIT_FEED_H
#define SMV_TEST_SPLIT_FEED_H

#include <stddef.h>

#include "helpers/http_events.h"

#define SMV_TEST_DATA_AFTER_CLOSE 1 /* pseudo result: bytes after a message that closes the connection */

typedef struct smv_test_outcome {
  int err;               /* 0, an SMV_ERR_*, or SMV_TEST_DATA_AFTER_CLOSE */
  unsigned finals, interims;
  size_t consumed_first; /* bytes the first reader used */
  char *log;             /* malloc'd: smv_test_outcome_free() */
  size_t log_len;
} smv_test_outcome;

/* A reader under test, seen through five calls; embed it first in the test's own struct. */
typedef struct smv_test_reader {
  void (*init)(struct smv_test_reader *r, smv_test_rec *rec);
  int (*feed)(struct smv_test_reader *r, const char *p, size_t n, size_t *used);
  int (*done)(struct smv_test_reader *r);
  int (*keep_alive)(struct smv_test_reader *r);
  int (*eof)(struct smv_test_reader *r);
  int peer_closes;       /* the input ends with the peer closing the connection */
} smv_test_reader;

/* Runs the split property (failing the test on any difference) and returns the whole run. */
smv_test_outcome smv_test_run_splits(smv_test_reader *r, const char *in, size_t len);
void smv_test_outcome_free(smv_test_outcome *o);

/* How many split runs were compared so far (for the suites' summary lines). */
extern unsigned long smv_test_split_runs;

#endif

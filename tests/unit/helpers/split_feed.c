/* See split_feed.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "helpers/split_feed.h"
#include "smv.h"

unsigned long smv_test_split_runs;

/* Feeds in cut at the given points. */
static smv_test_outcome run_cuts(smv_test_reader *r, const char *in, size_t len, const size_t *cuts,
                                 size_t ncuts) {
  smv_test_rec rc = {0};
  smv_test_outcome out = {0};
  rc.log = malloc(SMV_TEST_LOG_MAX);
  assert_non_null(rc.log);
  int active = 0, first = 1, err = 0;
  size_t prev = 0;
  for (size_t c = 0; c <= ncuts && !err; c++) {
    size_t end = c < ncuts ? cuts[c] : len;
    size_t off = prev;
    prev = end;
    while (off < end && !err) {
      if (!active) {
        r->init(r, &rc);
        active = 1;
      }
      size_t used = 0;
      err = r->feed(r, in + off, end - off, &used);
      assert_true(used <= end - off);
      if (first) out.consumed_first += used;
      off += used;
      if (!err && r->done(r)) {
        first = 0;
        active = 0;
        if (!r->keep_alive(r) && (off < end || end < len)) err = SMV_TEST_DATA_AFTER_CLOSE;
      } else if (!err) {
        assert_int_equal(off, end); /* an unfinished reader takes everything */
      }
    }
  }
  out.finals = rc.finals;
  out.interims = rc.interims;
  if (!err && r->peer_closes && active) err = r->eof(r);
  smv_test_logf(&rc, "result %s\n",
                err == SMV_TEST_DATA_AFTER_CLOSE ? "data-after-close" : smv_errname(err));
  out.err = err;
  out.log = rc.log;
  out.log_len = rc.len;
  return out;
}

void smv_test_outcome_free(smv_test_outcome *o) {
  free(o->log);
  o->log = NULL;
}

static void assert_same(const smv_test_outcome *a, const smv_test_outcome *b, const char *what,
                        size_t at) {
  if (a->log_len != b->log_len || memcmp(a->log, b->log, a->log_len) != 0 || a->err != b->err ||
      a->finals != b->finals || a->interims != b->interims) {
    fail_msg("%s %zu differs:\n--- whole:\n%.*s\n--- split:\n%.*s", what, at, (int)a->log_len,
             a->log, (int)b->log_len, b->log);
  }
}

smv_test_outcome smv_test_run_splits(smv_test_reader *r, const char *in, size_t len) {
  smv_test_outcome whole = run_cuts(r, in, len, NULL, 0);
  for (size_t k = 1; k < len; k++) {
    smv_test_outcome s = run_cuts(r, in, len, &k, 1);
    assert_same(&whole, &s, "split at", k);
    smv_test_outcome_free(&s);
    smv_test_split_runs++;
  }
  if (len > 1) {
    size_t *cuts = malloc(len * sizeof(*cuts));
    assert_non_null(cuts);
    for (size_t k = 1; k < len; k++) cuts[k - 1] = k;
    smv_test_outcome s = run_cuts(r, in, len, cuts, len - 1);
    assert_same(&whole, &s, "byte at a time, length", len);
    smv_test_outcome_free(&s);
    free(cuts);
    smv_test_split_runs++;
  }
  return whole;
}

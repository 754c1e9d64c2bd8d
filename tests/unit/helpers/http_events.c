/* See http_events.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "helpers/http_events.h"

void smv_test_logf(smv_test_rec *r, const char *fmt, ...) {
  va_list ap;
  if (r->in_body) {
    r->in_body = 0;
    smv_test_logf(r, "\n");
  }
  va_start(ap, fmt);
  int n = vsnprintf(r->log + r->len, SMV_TEST_LOG_MAX - r->len, fmt, ap);
  va_end(ap);
  assert_true(n >= 0 && (size_t)n < SMV_TEST_LOG_MAX - r->len);
  r->len += (size_t)n;
}

int smv_test_ev_header(void *ud, const char *n, size_t nl, const char *v, size_t vl) {
  smv_test_logf(ud, "header [%.*s] [%.*s]\n", (int)nl, n, (int)vl, v);
  return 0;
}

int smv_test_ev_head_done(void *ud) {
  smv_test_logf(ud, "head done\n");
  return 0;
}

int smv_test_ev_body(void *ud, const char *d, size_t n) {
  smv_test_rec *r = ud;
  if (!r->in_body) {
    smv_test_logf(r, "body:");
    r->in_body = 1;
  }
  assert_true(n < SMV_TEST_LOG_MAX - r->len);
  memcpy(r->log + r->len, d, n);
  r->len += n;
  return 0;
}

int smv_test_ev_complete(void *ud, int keep_alive) {
  smv_test_rec *r = ud;
  r->finals++;
  r->last_keep_alive = keep_alive;
  smv_test_logf(r, "complete keep_alive=%d\n", keep_alive);
  return 0;
}

/* Test helper: the reader events of the HTTP framing tests written as one text log, so that two
 * runs over the same bytes (whole, split at every boundary, one byte at a time) compare as strings. */
#ifndef SMV_TEST_HTTP_EVENTS_H
#define SMV_TEST_HTTP_EVENTS_H

#include <stddef.h>

#define SMV_TEST_LOG_MAX (512 * 1024)

typedef struct smv_test_rec {
  char *log;                 /* SMV_TEST_LOG_MAX bytes, the caller's */
  size_t len;
  int in_body;
  unsigned finals, interims; /* complete messages; skipped 1xx */
  int last_keep_alive;
} smv_test_rec;

#if defined(__GNUC__)
void smv_test_logf(smv_test_rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#else
void smv_test_logf(smv_test_rec *r, const char *fmt, ...);
#endif

/* Callbacks shared by the response and request readers (user data: an smv_test_rec). */
int smv_test_ev_header(void *ud, const char *n, size_t nl, const char *v, size_t vl);
int smv_test_ev_head_done(void *ud);
int smv_test_ev_body(void *ud, const char *d, size_t n);
int smv_test_ev_complete(void *ud, int keep_alive);

#endif

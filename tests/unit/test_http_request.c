/* Requests: the client's writer (exact bytes, injection refused, buffer bounds) and the servers'
 * reader (framing, limits, pipelining, llhttp's request framing suite). Every input to the reader
 * goes through run_splits(): whole, split at every byte boundary, one byte at a time, same events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "core/http_request.h"
#include "helpers/http_events.h"
#include "helpers/llhttp_cases.h"
#include "helpers/split_feed.h"
#include "smv.h"

#define DATA_AFTER_CLOSE SMV_TEST_DATA_AFTER_CLOSE

typedef smv_test_rec rec;

static int ev_line(void *ud, const char *method, const char *target, size_t tlen, int minor) {
  smv_test_logf(ud, "%s [%.*s] 1.%d\n", method, (int)tlen, target, minor);
  return 0;
}

static const smv__http_request_cbs cbs = {ev_line, smv_test_ev_header, smv_test_ev_head_done,
                                          smv_test_ev_body, smv_test_ev_complete};

typedef smv_test_outcome outcome;
#define split_runs smv_test_split_runs

typedef struct feed_opts {
  int eof;
  smv__http_limits limits;
} feed_opts;

static char scratch_buf[16 * 1024];

typedef struct req_reader {
  smv_test_reader base;  /* first: the helper's view */
  const feed_opts *o;
  smv__http_request_reader q;
} req_reader;

static void rq_init(smv_test_reader *b, smv_test_rec *log) {
  req_reader *x = (req_reader *)b;
  smv__http_request_reader_init(&x->q, &x->o->limits, scratch_buf, sizeof scratch_buf, &cbs, log);
}
static int rq_feed(smv_test_reader *b, const char *p, size_t n, size_t *used) {
  return smv__http_request_reader_feed(&((req_reader *)b)->q, p, n, used);
}
static int rq_done(smv_test_reader *b) { return smv__http_request_reader_done(&((req_reader *)b)->q); }
static int rq_keep_alive(smv_test_reader *b) { return ((req_reader *)b)->q.keep_alive; }
static int rq_eof(smv_test_reader *b) { return smv__http_request_reader_eof(&((req_reader *)b)->q); }

/* The split property (helpers/split_feed.h) for one connection's requests. */
static outcome run_splits(const char *in, size_t len, const feed_opts *o) {
  static req_reader x;
  x = (req_reader){.base = {rq_init, rq_feed, rq_done, rq_keep_alive, rq_eof, o->eof}, .o = o};
  return smv_test_run_splits(&x.base, in, len);
}

static const feed_opts DEF = {0, {0, 0, 0, 0}};

static outcome expect(const char *s, const feed_opts *o, int err) {
  outcome r = run_splits(s, strlen(s), o ? o : &DEF);
  if (r.err != err)
    fail_msg("expected %s, got %s for:\n%s\nlog:\n%.*s", smv_errname(err), smv_errname(r.err), s,
             (int)r.log_len, r.log);
  return r;
}

static void expect_err(const char *s, int err) {
  outcome r = expect(s, NULL, err);
  free(r.log);
}

/* ---- reader ------------------------------------------------------------------------------------- */

static void test_reader_get_and_post(void **state) {
  (void)state;
  outcome r = expect("GET /a/b?c=d HTTP/1.1\r\nHost: x\r\n\r\n", NULL, 0);
  assert_string_equal(r.log, "GET [/a/b?c=d] 1.1\nheader [Host] [x]\nhead done\n"
                             "complete keep_alive=1\nresult SMV_OK\n");
  free(r.log);
  r = expect("POST /api HTTP/1.1\r\nContent-Length: 4\r\nConnection: close\r\n\r\n{\"\"}", NULL, 0);
  assert_non_null(strstr(r.log, "body:{\"\"}\ncomplete keep_alive=0\n"));
  free(r.log);
  r = expect("POST /c HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n0\r\n\r\n", NULL,
             0);
  assert_non_null(strstr(r.log, "body:abc\ncomplete keep_alive=0\n"));
  free(r.log);
}

static void test_reader_pipelining(void **state) {
  (void)state;
  const char *a = "POST /1 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
  char both[256];
  snprintf(both, sizeof both, "%sGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\n", a);
  outcome r = expect(both, NULL, 0);
  assert_int_equal(r.consumed_first, strlen(a));
  assert_int_equal(r.finals, 3);
  assert_non_null(strstr(r.log, "GET [/3] 1.1\n"));
  free(r.log);
}

static void test_reader_framing_errors(void **state) {
  (void)state;
  expect_err("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na",
             SMV_ERR_HTTP_CONTENT_LENGTH);
  expect_err("POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n", SMV_ERR_HTTP_CONTENT_LENGTH);
  expect_err("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
             SMV_ERR_HTTP_TRANSFER_ENCODING);
  expect_err("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
             SMV_ERR_HTTP_TRANSFER_ENCODING);
  expect_err("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
             SMV_ERR_HTTP_TRANSFER_ENCODING);
  expect_err("GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n", SMV_ERR_HTTP_OBS_FOLD);
  expect_err("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", SMV_ERR_HTTP_HEADER_VALUE);
  expect_err("GET / HTTP/1.1\r\nHost : a\r\n\r\n", SMV_ERR_HTTP_MALFORMED);
  expect_err("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\n",
             SMV_ERR_HTTP_CHUNK);
  expect_err("GET  / HTTP/1.1\r\n\r\n", SMV_ERR_HTTP_MALFORMED);
  expect_err("GET / HTTP/1.1 \r\n\r\n", SMV_ERR_HTTP_MALFORMED);
  expect_err("GET /a b HTTP/1.1\r\n\r\n", SMV_ERR_HTTP_MALFORMED);
  expect_err("GET / HTTP/2.0\r\n\r\n", SMV_ERR_HTTP_MALFORMED);
  expect_err("CONNECT example.com:443 HTTP/1.1\r\n\r\n", SMV_ERR_HTTP_MALFORMED);
  expect_err("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
             SMV_ERR_HTTP_MALFORMED);
  feed_opts eof = DEF;
  eof.eof = 1;
  outcome r = expect("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", &eof, SMV_ERR_HTTP_EOF);
  free(r.log);
  /* An Upgrade the request does not ask for in Connection is only informational. */
  r = expect("GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n", NULL, 0);
  free(r.log);
}

static void test_reader_limits(void **state) {
  (void)state;
  feed_opts o = DEF;
  o.limits.max_headers = 3;
  outcome r = expect("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", &o, 0);
  free(r.log);
  r = expect("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", &o,
             SMV_ERR_HTTP_HEADER_TOO_LARGE);
  free(r.log);
  o = DEF;
  o.limits.max_header_bytes = 40;
  const char *at = "GET /0123456789 HTTP/1.1\r\nA: 1234567\r\n\r\n";  /* 40 bytes */
  assert_int_equal(strlen(at), 40);
  r = expect(at, &o, 0);
  free(r.log);
  r = expect("GET /0123456789 HTTP/1.1\r\nA: 12345678\r\n\r\n", &o, SMV_ERR_HTTP_HEADER_TOO_LARGE);
  free(r.log);
  o = DEF;
  o.limits.max_body_bytes = 4;
  r = expect("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd", &o, 0);
  free(r.log);
  r = expect("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde", &o, SMV_ERR_HTTP_BODY_TOO_LARGE);
  free(r.log);
  r = expect("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n", &o,
             SMV_ERR_HTTP_BODY_TOO_LARGE);
  free(r.log);
  /* A target longer than the scratch buffer. */
  smv__http_request_reader q;
  char small[16];
  size_t used;
  const char *longt = "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n\r\n";
  smv__http_request_reader_init(&q, NULL, small, sizeof small, NULL, NULL);
  assert_int_equal(smv__http_request_reader_feed(&q, longt, strlen(longt), &used),
                   SMV_ERR_HTTP_HEADER_TOO_LARGE);
}

/* ---- writer ------------------------------------------------------------------------------------- */

static void test_writer_exact_bytes(void **state) {
  (void)state;
  char buf[512];
  smv__http_request_spec s = {0};
  s.target = "/r?x=1";
  s.host = "example.com:8443";
  long n = smv__http_request_write(&s, buf, sizeof buf);
  const char *want = "GET /r?x=1 HTTP/1.1\r\nHost: example.com:8443\r\nUser-Agent: " SMV__USER_AGENT "\r\n"
                     "Accept: */*\r\nConnection: keep-alive\r\n\r\n";
  assert_int_equal(n, (long)strlen(want));
  assert_memory_equal(buf, want, strlen(want));

  s.method = "POST";
  s.cookie = "a=1; b=2";
  s.body = "{\"k\":1}";
  s.body_len = 7;
  n = smv__http_request_write(&s, buf, sizeof buf);
  want = "POST /r?x=1 HTTP/1.1\r\nHost: example.com:8443\r\nUser-Agent: " SMV__USER_AGENT "\r\nAccept: */*\r\n"
         "Connection: keep-alive\r\nCookie: a=1; b=2\r\nContent-Type: application/json\r\n"
         "Content-Length: 7\r\n\r\n{\"k\":1}";
  assert_int_equal(n, (long)strlen(want));
  assert_memory_equal(buf, want, strlen(want));

  /* What we write, our reader reads back as written. */
  smv__http_request_reader q;
  rec rc = {0};
  char scratch[512];
  size_t used;
  rc.log = malloc(SMV_TEST_LOG_MAX);
  smv__http_request_reader_init(&q, NULL, scratch, sizeof scratch, &cbs, &rc);
  assert_int_equal(smv__http_request_reader_feed(&q, buf, (size_t)n, &used), 0);
  assert_int_equal(used, (size_t)n);
  assert_true(smv__http_request_reader_done(&q));
  rc.log[rc.len] = 0;
  assert_non_null(strstr(rc.log, "POST [/r?x=1] 1.1\n"));
  assert_non_null(strstr(rc.log, "header [Cookie] [a=1; b=2]\n"));
  assert_non_null(strstr(rc.log, "body:{\"k\":1}\ncomplete keep_alive=1\n"));
  free(rc.log);

  /* POST without a body still says how long it is. */
  s.body = NULL;
  s.cookie = NULL;
  s.content_type = "text/plain";
  n = smv__http_request_write(&s, buf, sizeof buf);
  assert_true(n > 0);
  buf[n] = 0;
  assert_non_null(strstr(buf, "\r\nContent-Length: 0\r\n\r\n"));
  assert_null(strstr(buf, "Content-Type"));
}

static void test_writer_refuses_injection(void **state) {
  (void)state;
  char buf[512];
  static const char *bad_values[] = {"a\r\nX-Evil: 1", "a\rb", "a\nb", "a\x01", "a\x7f"};
  for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
    smv__http_request_spec s = {0};
    s.target = "/";
    s.host = "h";
    s.cookie = bad_values[i];
    assert_int_equal(smv__http_request_write(&s, buf, sizeof buf), SMV_ERR_INVALID_ARG);
    s.cookie = NULL;
    s.body = "x";
    s.body_len = 1;
    s.content_type = bad_values[i];
    assert_int_equal(smv__http_request_write(&s, buf, sizeof buf), SMV_ERR_INVALID_ARG);
    s.body = NULL;
    s.content_type = NULL;
    s.host = bad_values[i];
    assert_int_equal(smv__http_request_write(&s, buf, sizeof buf), SMV_ERR_INVALID_ARG);
    s.host = "h";
    s.target = bad_values[i];
    assert_int_equal(smv__http_request_write(&s, buf, sizeof buf), SMV_ERR_INVALID_ARG);
    s.target = "/";
    s.method = bad_values[i];
    assert_int_equal(smv__http_request_write(&s, buf, sizeof buf), SMV_ERR_INVALID_ARG);
  }
  smv__http_request_spec s = {0};
  s.host = "h";
  s.target = "/a b";  /* a space would split the request line */
  assert_int_equal(smv__http_request_write(&s, buf, sizeof buf), SMV_ERR_INVALID_ARG);
  s.target = "";
  assert_int_equal(smv__http_request_write(&s, buf, sizeof buf), SMV_ERR_INVALID_ARG);
  s.target = "/";
  s.host = "h x";
  assert_int_equal(smv__http_request_write(&s, buf, sizeof buf), SMV_ERR_INVALID_ARG);
  s.host = NULL;
  assert_int_equal(smv__http_request_write(&s, buf, sizeof buf), SMV_ERR_INVALID_ARG);
  s.host = "h";
  s.method = "GE T";
  assert_int_equal(smv__http_request_write(&s, buf, sizeof buf), SMV_ERR_INVALID_ARG);
  /* A tab is fine in a value (it is whitespace), the body may hold anything. */
  s.method = "POST";
  s.cookie = "a=1;\tb=2";
  s.body = "\r\n\0x";
  s.body_len = 4;
  assert_true(smv__http_request_write(&s, buf, sizeof buf) > 0);
}

static void test_writer_buffer_bounds(void **state) {
  (void)state;
  char buf[512];
  smv__http_request_spec s = {0};
  s.target = "/";
  s.host = "h";
  s.body = "0123456789";
  s.body_len = 10;
  long need = smv__http_request_write(&s, buf, sizeof buf);
  assert_true(need > 0);
  for (size_t cap = 0; cap < (size_t)need; cap++) {
    memset(buf, 'Z', sizeof buf);
    assert_int_equal(smv__http_request_write(&s, buf, cap), SMV_ERR_NOMEM);
    assert_int_equal(buf[cap], 'Z');  /* nothing written past cap */
  }
  assert_int_equal(smv__http_request_write(&s, buf, (size_t)need), need);
}

/* ---- llhttp's request framing suite ------------------------------------------------------------- */

static const smv_test_stricter stricter[] = {
  {"POST with `chunked` as last transfer-encoding",
   "Transfer-Encoding must be exactly `chunked`: nothing we serve accepts other codings"},
  {"POST with `chunked` as last transfer-encoding (multiple headers)",
   "two Transfer-Encoding headers are refused"},
};

#define stricter_reason(title) smv_test_stricter_reason(stricter, sizeof stricter / sizeof stricter[0], (title))

static void test_llhttp_request_cases(void **state) {
  (void)state;
  cJSON *root = smv_test_llhttp_load("llhttp-request-framing-cases.json");
  smv_test_llhttp_tally t = {0};
  const cJSON *entry;
  cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(root, "cases")) {
    smv_test_llhttp_case c;
    /* Same conversion loss as the response file ("Missing last-chunk" only fails on that CRLF). */
    smv_test_llhttp_case_read(entry, &c, &t);
    outcome r = run_splits(c.input, c.len, &DEF);
    smv_test_llhttp_judge(&t, &c, strcmp(c.type, "request") != 0, stricter_reason(c.title), r.err,
                          r.err == DATA_AFTER_CLOSE ? "data-after-close" : smv_errname(r.err), r.log,
                          r.log_len);
    free(r.log);
    smv_test_llhttp_case_free(&c);
  }
  print_message("llhttp request framing cases: %u total; accepted as llhttp %u; rejected as "
                "llhttp %u; rejected, llhttp rejects them even leniently %u; deliberately stricter "
                "%u; rejected, accepted by llhttp only with a leniency flag %u; trailing CRLF "
                "restored %u; split runs so far %lu\n",
                t.total, t.ok_match, t.err_match, t.lenient_err, t.deliberate, t.lenient_skipped,
                t.restored, split_runs);
  smv_test_llhttp_tally_check(&t, 98, sizeof stricter / sizeof stricter[0]);
  cJSON_Delete(root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_reader_get_and_post),
    cmocka_unit_test(test_reader_pipelining),
    cmocka_unit_test(test_reader_framing_errors),
    cmocka_unit_test(test_reader_limits),
    cmocka_unit_test(test_writer_exact_bytes),
    cmocka_unit_test(test_writer_refuses_injection),
    cmocka_unit_test(test_writer_buffer_bounds),
    cmocka_unit_test(test_llhttp_request_cases),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The server of src/server/server.h on a real loop (in a thread), driven by blocking sockets on
 * 127.0.0.1: responses, keep-alive, limits (header block, body, connections), slow-client and idle
 * timeouts, asynchronous answers and their abort, graceful drain, and no heap left behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "server/server.h"
#include "smv.h"

/* ---- The server under test, on its own thread --------------------------------------------------- */

typedef struct fixture {
  uv_loop_t loop;
  smv__server *srv;
  uv_thread_t thread;
  uv_async_t stop;
  uint16_t port;
  int drained;
  int aborts;       /* delayed responses whose connection went away */
  int requests;
  int api_errors;   /* response setters that accepted what they must refuse */
  smv__srv_stats final;
} fixture;

typedef struct delayed {
  uv_timer_t timer;
  smv__srv_response *res;
  fixture *f;
} delayed;

static void delayed_closed(uv_handle_t *h) { free(h->data); }

static void delayed_fire(uv_timer_t *t) {
  delayed *d = t->data;
  smv__srv_response_on_abort(d->res, NULL, NULL);
  smv__srv_respond(d->res, 200, "text/plain", "late", 4);
  uv_close((uv_handle_t *)&d->timer, delayed_closed);
}

static void delayed_abort(smv__srv_response *res, void *data) {
  delayed *d = data;
  (void)res;
  d->f->aborts++;
  uv_close((uv_handle_t *)&d->timer, delayed_closed);
}

static void handler(smv__server *srv, const smv__srv_request *req, smv__srv_response *res,
                    void *user_data) {
  fixture *f = user_data;
  (void)srv;
  f->requests++;
  if (strcmp(req->target, "/hello") == 0) {
    smv__srv_respond(res, 200, "text/plain", "hello", 5);
  } else if (strncmp(req->target, "/echo", 5) == 0) {
    char body[512];
    const char *x = smv__srv_request_header(req, "x-test");
    int n = snprintf(body, sizeof(body), "%s %s %s:%u %u %zu %s %s", req->method, req->target,
                     req->peer_ip, (unsigned)req->peer_port, req->conn_request_index,
                     req->body_len, x ? x : "-", req->tls_version);
    smv__srv_response_set_status(res, 201, NULL);
    smv__srv_response_add_header(res, "X-Echo", "yes");
    /* (no cmocka asserts on the server's thread: count, and check in the test) */
    if (smv__srv_response_add_header(res, "Content-Length", "5") != SMV_ERR_INVALID_ARG) f->api_errors++;
    if (smv__srv_response_add_header(res, "X-Bad", "a\r\nInjected: 1") != SMV_ERR_INVALID_ARG)
      f->api_errors++;
    smv__srv_response_set_body(res, body, (size_t)n);
    smv__srv_response_send(res);
  } else if (strcmp(req->target, "/slow") == 0) {
    delayed *d = calloc(1, sizeof(*d));
    if (!d) abort();
    uv_timer_init(smv__server_loop(srv), &d->timer);
    d->timer.data = d;
    d->res = res;
    d->f = f;
    smv__srv_response_on_abort(res, delayed_abort, d);
    uv_timer_start(&d->timer, delayed_fire, 300, 0);
  } else if (strcmp(req->target, "/never") == 0) {
    /* never answered: freed by the server when the connection closes */
  } else if (strcmp(req->target, "/raw") == 0) {
    static const char raw[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-Raw: 1\r\n\r\nraw";
    smv__srv_response_send_raw(res, raw, sizeof(raw) - 1, 0);
  } else {
    smv__srv_respond(res, 404, NULL, NULL, 0);
  }
}

static void on_drained(smv__server *srv, void *data) {
  fixture *f = data;
  f->drained = 1;
  smv__server_stats(srv, &f->final);
}

static uint64_t drain_timeout_ms = 3000;

static void on_stop(uv_async_t *a) {
  fixture *f = a->data;
  uv_close((uv_handle_t *)&f->stop, NULL);
  smv__server_drain(f->srv, drain_timeout_ms, on_drained, f);
}

static void run_loop(void *arg) {
  fixture *f = arg;
  uv_run(&f->loop, UV_RUN_DEFAULT);
}

static fixture *start(const smv__srv_limits *limits) {
  fixture *f = calloc(1, sizeof(*f));
  assert_non_null(f);
  assert_int_equal(uv_loop_init(&f->loop), 0);
  smv__srv_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  if (limits) cfg.limits = *limits;
  cfg.handler = handler;
  cfg.user_data = f;
  cfg.server_header = "smv-test";
  assert_int_equal(smv__server_new(&f->loop, &cfg, &f->srv), 0);
  smv__srv_listener *l = NULL;
  assert_int_equal(smv__server_listen(f->srv, "127.0.0.1", 0, NULL, f, &l), 0);
  assert_non_null(l);
  f->port = smv__srv_listener_port(l);
  assert_true(f->port > 0);
  assert_false(smv__srv_listener_is_tls(l));
  assert_int_equal(uv_async_init(&f->loop, &f->stop, on_stop), 0);
  f->stop.data = f;
  assert_int_equal(uv_thread_create(&f->thread, run_loop, f), 0);
  return f;
}

/* What a stopped server left behind, for the checks after stop(). */
static struct {
  smv__srv_stats final;
  int aborts;
} last;

/* Drains, joins, and checks that the server holds no heap any more. */
static void stop(fixture *f) {
  uv_async_send(&f->stop);
  uv_thread_join(&f->thread);
  assert_true(f->drained);
  assert_int_equal(f->final.active, 0);
  assert_int_equal(f->final.heap_current, 0);
  last.final = f->final;
  last.aborts = f->aborts;
  smv__server_free(f->srv);
  assert_int_equal(uv_loop_close(&f->loop), 0);
  free(f);
}

/* ---- A blocking client ---------------------------------------------------------------------------- */

static int dial(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

static uint16_t local_port(int fd) {
  struct sockaddr_in a;
  socklen_t len = sizeof(a);
  getsockname(fd, (struct sockaddr *)&a, &len);
  return ntohs(a.sin_port);
}

static void send_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n) {
    ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
    if (w <= 0) return; /* the server may have closed: the reading side tells */
    c += w;
    n -= (size_t)w;
  }
}

typedef struct response {
  int status;          /* 0: closed (or timed out) before a complete response */
  char head[4096];
  char body[4096];
  size_t body_len;
  int close;           /* "Connection: close" */
} response;

/* Reads exactly one response (Content-Length framed), byte by byte for the head so that a
 * pipelined second response stays in the socket. */
static int recv_full(int fd, char *p, size_t n) {
  while (n) {
    ssize_t got = recv(fd, p, n, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return -1;
    p += got;
    n -= (size_t)got;
  }
  return 0;
}

static void read_response(int fd, response *r) {
  memset(r, 0, sizeof(*r));
  size_t hl = 0;
  while (hl < sizeof(r->head) - 1) {
    if (recv_full(fd, r->head + hl, 1) != 0) return;
    hl++;
    if (hl >= 4 && memcmp(r->head + hl - 4, "\r\n\r\n", 4) == 0) break;
  }
  r->head[hl] = '\0';
  const char *cl = strstr(r->head, "Content-Length: ");
  size_t blen = cl ? strtoul(cl + 16, NULL, 10) : 0;
  if (blen >= sizeof(r->body) || recv_full(fd, r->body, blen) != 0) return;
  r->body_len = blen;
  sscanf(r->head, "HTTP/1.1 %d", &r->status);
  r->close = strstr(r->head, "Connection: close") != NULL;
}

/* 1 when the server closed the connection (EOF or reset) within ms. */
static int closed_within(int fd, int ms) {
  struct pollfd p = {fd, POLLIN, 0};
  char b[256];
  for (;;) {
    int rc = poll(&p, 1, ms);
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return 0;
    ssize_t n = recv(fd, b, sizeof(b), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 1;
  }
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* ---- Tests ---------------------------------------------------------------------------------------- */

static void test_request_response_keepalive(void **state) {
  (void)state;
  fixture *f = start(NULL);
  int fd = dial(f->port);
  static const char req[] = "POST /echo?a=1 HTTP/1.1\r\nHost: x\r\nX-Test:  v1 \r\n"
                            "Content-Length: 4\r\n\r\nbody";
  send_all(fd, req, sizeof(req) - 1);
  response r;
  read_response(fd, &r);
  assert_int_equal(r.status, 201);
  assert_false(r.close);
  assert_non_null(strstr(r.head, "X-Echo: yes\r\n"));
  assert_non_null(strstr(r.head, "Server: smv-test\r\n"));
  char want[256];
  snprintf(want, sizeof(want), "POST /echo?a=1 127.0.0.1:%u 1 4 v1 none", (unsigned)local_port(fd));
  assert_string_equal(r.body, want);

  /* the same connection serves the next request */
  static const char req2[] = "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n";
  send_all(fd, req2, sizeof(req2) - 1);
  read_response(fd, &r);
  assert_int_equal(r.status, 201);
  snprintf(want, sizeof(want), "GET /echo 127.0.0.1:%u 2 0 - none", (unsigned)local_port(fd));
  assert_string_equal(r.body, want);

  /* raw bytes go out as given, and the connection stays usable */
  static const char req3[] = "GET /raw HTTP/1.1\r\nHost: x\r\n\r\n";
  send_all(fd, req3, sizeof(req3) - 1);
  read_response(fd, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "raw");
  assert_non_null(strstr(r.head, "X-Raw: 1"));

  /* Connection: close is honoured */
  static const char req4[] = "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  send_all(fd, req4, sizeof(req4) - 1);
  read_response(fd, &r);
  assert_int_equal(r.status, 200);
  assert_true(r.close);
  assert_true(closed_within(fd, 2000));
  close(fd);
  assert_int_equal(f->api_errors, 0);
  stop(f);
}

static void test_pipelined_requests_answered_in_order(void **state) {
  (void)state;
  fixture *f = start(NULL);
  int fd = dial(f->port);
  static const char two[] = "GET /echo/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /echo/2 HTTP/1.1\r\nHost: x\r\n\r\n";
  send_all(fd, two, sizeof(two) - 1);
  response r;
  read_response(fd, &r);
  assert_int_equal(r.status, 201);
  assert_non_null(strstr(r.body, "/echo/1"));
  read_response(fd, &r);
  assert_int_equal(r.status, 201);
  assert_non_null(strstr(r.body, "/echo/2"));
  close(fd);
  stop(f);
}

static void test_header_block_too_large(void **state) {
  (void)state;
  smv__srv_limits lim;
  memset(&lim, 0, sizeof(lim));
  lim.max_header_bytes = 1024;
  fixture *f = start(&lim);
  int fd = dial(f->port);
  char big[4096];
  int n = snprintf(big, sizeof(big), "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: ");
  memset(big + n, 'a', 2000);
  memcpy(big + n + 2000, "\r\n\r\n", 4);
  send_all(fd, big, (size_t)n + 2004);
  response r;
  read_response(fd, &r);
  assert_true(r.status == 431 || r.status == 400);
  assert_true(r.close);
  assert_true(closed_within(fd, 3000));
  close(fd);
  assert_int_equal(f->requests, 0);
  stop(f);
  /* a head just under the limit is served (the limit is not off by a lot) */
}

static void test_body_too_large_and_malformed(void **state) {
  (void)state;
  smv__srv_limits lim;
  memset(&lim, 0, sizeof(lim));
  lim.max_body_bytes = 100;
  fixture *f = start(&lim);
  int fd = dial(f->port);
  static const char req[] = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n";
  send_all(fd, req, sizeof(req) - 1);
  response r;
  read_response(fd, &r);
  assert_true(r.status == 413 || r.status == 400);
  assert_true(closed_within(fd, 3000));
  close(fd);

  fd = dial(f->port);
  static const char smuggle[] = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                                "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
  send_all(fd, smuggle, sizeof(smuggle) - 1);
  read_response(fd, &r);
  assert_int_equal(r.status, 400);
  assert_true(closed_within(fd, 3000));
  close(fd);
  assert_int_equal(f->requests, 0);
  stop(f);
}

static void test_connection_limit(void **state) {
  (void)state;
  smv__srv_limits lim;
  memset(&lim, 0, sizeof(lim));
  lim.max_connections = 2;
  fixture *f = start(&lim);
  static const char req[] = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  int a = dial(f->port), b = dial(f->port);
  response r;
  send_all(a, req, sizeof(req) - 1);
  read_response(a, &r);
  assert_int_equal(r.status, 200);
  send_all(b, req, sizeof(req) - 1);
  read_response(b, &r);
  assert_int_equal(r.status, 200);
  /* the third is accepted by the kernel, then closed by the server without an answer */
  int c = dial(f->port);
  send_all(c, req, sizeof(req) - 1);
  read_response(c, &r);
  assert_int_equal(r.status, 0);
  close(c);
  /* freeing a slot lets a new connection in */
  close(a);
  usleep(100 * 1000);
  int d = dial(f->port);
  send_all(d, req, sizeof(req) - 1);
  read_response(d, &r);
  assert_int_equal(r.status, 200);
  close(b);
  close(d);
  stop(f);
  assert_true(last.final.refused >= 1);
  assert_int_equal(last.final.requests, 3);
}

static void test_slow_client_cut_off(void **state) {
  (void)state;
  smv__srv_limits lim;
  memset(&lim, 0, sizeof(lim));
  lim.request_timeout_ms = 600;
  lim.idle_timeout_ms = 400;
  fixture *f = start(&lim);
  /* one byte every 100 ms: each byte is "progress", yet the request deadline holds */
  int fd = dial(f->port);
  static const char req[] = "GET /hello HTTP/1.1\r\nHost: example.test\r\nX-Slow: yes\r\n\r\n";
  double t0 = now_ms();
  int cut = 0;
  for (size_t i = 0; i < sizeof(req) - 1; i++) {
    if (send(fd, req + i, 1, MSG_NOSIGNAL) != 1) {
      cut = 1;
      break;
    }
    if (closed_within(fd, 100)) {
      cut = 1;
      break;
    }
  }
  double took = now_ms() - t0;
  assert_true(cut);
  assert_true(took >= 500 && took < 2000);
  close(fd);

  /* a connection that sends nothing is closed after the idle timeout */
  fd = dial(f->port);
  t0 = now_ms();
  assert_true(closed_within(fd, 3000));
  took = now_ms() - t0;
  assert_true(took >= 300 && took < 1500);
  close(fd);
  assert_int_equal(f->requests, 0);
  stop(f);
  assert_true(last.final.timeouts >= 2);
}

static void test_async_response_and_abort(void **state) {
  (void)state;
  fixture *f = start(NULL);
  int fd = dial(f->port);
  static const char req[] = "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n";
  send_all(fd, req, sizeof(req) - 1);
  double t0 = now_ms();
  response r;
  read_response(fd, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "late");
  assert_true(now_ms() - t0 >= 250);
  close(fd);

  /* the client goes away before the delayed answer: the handler is told, nothing leaks */
  fd = dial(f->port);
  send_all(fd, req, sizeof(req) - 1);
  usleep(50 * 1000);
  close(fd);
  /* and one that is never answered */
  fd = dial(f->port);
  static const char never[] = "GET /never HTTP/1.1\r\nHost: x\r\n\r\n";
  send_all(fd, never, sizeof(never) - 1);
  usleep(50 * 1000);
  close(fd);
  usleep(400 * 1000);
  stop(f);
  assert_int_equal(last.aborts, 1);
  assert_int_equal(last.final.requests, 3);
}

static void test_drain_finishes_in_flight(void **state) {
  (void)state;
  fixture *f = start(NULL);
  int busy = dial(f->port), idle = dial(f->port);
  response r;
  static const char hello[] = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  send_all(idle, hello, sizeof(hello) - 1);
  read_response(idle, &r);
  assert_int_equal(r.status, 200);
  static const char req[] = "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n";
  send_all(busy, req, sizeof(req) - 1);
  usleep(50 * 1000);
  uv_async_send(&f->stop);
  /* the idle keep-alive connection is closed, the busy one gets its answer, marked close */
  assert_true(closed_within(idle, 2000));
  read_response(busy, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "late");
  assert_true(r.close);
  assert_true(closed_within(busy, 2000));
  close(busy);
  close(idle);
  uv_thread_join(&f->thread);
  assert_true(f->drained);
  assert_int_equal(f->aborts, 0);
  assert_int_equal(f->final.active, 0);
  assert_int_equal(f->final.heap_current, 0);
  /* the listener is gone */
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(f->port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_not_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  close(fd);
  smv__server_free(f->srv);
  assert_int_equal(uv_loop_close(&f->loop), 0);
  free(f);
}

static void test_drain_deadline_aborts_stalled(void **state) {
  (void)state;
  drain_timeout_ms = 300;
  fixture *f = start(NULL);
  int fd = dial(f->port);
  static const char req[] = "GET /never HTTP/1.1\r\nHost: x\r\n\r\n";
  send_all(fd, req, sizeof(req) - 1);
  usleep(50 * 1000);
  double t0 = now_ms();
  uv_async_send(&f->stop);
  assert_true(closed_within(fd, 3000));
  assert_true(now_ms() - t0 < 1500);
  close(fd);
  uv_thread_join(&f->thread);
  drain_timeout_ms = 3000;
  assert_true(f->drained);
  assert_int_equal(f->final.heap_current, 0);
  smv__server_free(f->srv);
  assert_int_equal(uv_loop_close(&f->loop), 0);
  free(f);
}

static void test_bad_arguments(void **state) {
  (void)state;
  uv_loop_t loop;
  uv_loop_init(&loop);
  smv__srv_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  smv__server *s = NULL;
  assert_int_equal(smv__server_new(&loop, &cfg, &s), SMV_ERR_INVALID_ARG); /* no handler */
  cfg.handler = handler;
  assert_int_equal(smv__server_new(&loop, &cfg, &s), 0);
  assert_int_equal(smv__server_listen(s, "not-an-ip", 0, NULL, NULL, NULL), SMV_ERR_INVALID_ARG);
  smv__srv_tls bad = {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "x", 0};
  assert_int_equal(smv__server_listen(s, "127.0.0.1", 0, &bad, NULL, NULL), SMV_ERR_TLS_CACERT);
  smv__server_drain(s, 10, NULL, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  smv__server_free(s);
  assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_request_response_keepalive),
    cmocka_unit_test(test_pipelined_requests_answered_in_order),
    cmocka_unit_test(test_header_block_too_large),
    cmocka_unit_test(test_body_too_large_and_malformed),
    cmocka_unit_test(test_connection_limit),
    cmocka_unit_test(test_slow_client_cut_off),
    cmocka_unit_test(test_async_response_and_abort),
    cmocka_unit_test(test_drain_finishes_in_flight),
    cmocka_unit_test(test_drain_deadline_aborts_stalled),
    cmocka_unit_test(test_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

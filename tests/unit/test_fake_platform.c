/* Whole flows on a fake network, without root: a platform table of the test's own (installed with
 * the client's test seam, smv__client_set_platform) says there is one cellular interface and decides
 * whether binding and the post-connect address check succeed and when the path goes away. The
 * connections themselves go to the test server on loopback. Each fail-closed rule is checked
 * end to end: the error, and that nothing further was connected. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <uv.h>

#include "helpers/test_server.h"
#include "io/client.h"
#include "smv.h"

static uv_loop_t loop;
static smv_test_server srv;

typedef struct fake {
  int v6only;            /* the path holds ::1 alone (an IPv6-only carrier); else 127.0.0.1/8 */
  int dual;              /* the path holds both */
  char dns[64];          /* its DNS server ("127.0.0.1:PORT", "[::1]:PORT"; "": 127.0.0.1) */
  int binds;             /* sockets bound (each TCP connection is one) */
  int bind_result;       /* what bind_socket answers */
  int local_result;      /* what check_local answers */
  int lose_after_hop;    /* -1: never; n: the path goes away once hop n has its response */
  int pipe_fd[2];        /* the watch's fd: readable when the path changed */
  int lost;
} fake;

static fake F;

static int f_snapshot(void *ud, smv__snapshot *out) {
  (void)ud;
  memset(out, 0, sizeof(*out));
  smv__path *p = &out->paths[0];
  snprintf(p->name, sizeof(p->name), "rmnet_data0");
  p->ifindex = 7;
  p->arphrd = 519; /* ARPHRD_RAWIP: a modem's data channel */
  p->flags = 0x1 | 0x40; /* IFF_UP | IFF_RUNNING */
  p->operstate = 6;
  p->tun_flags = -1;
  p->naddrs = 0;
  if (!F.v6only) smv__addr_parse("127.0.0.1/8", &p->addrs[p->naddrs++]);
  if (F.v6only || F.dual) smv__addr_parse("::1/128", &p->addrs[p->naddrs++]);
  p->default4 = 1;
  out->count = 1;
  snprintf(out->source, sizeof(out->source), "fake");
  return SMV_OK;
}

static int f_bind(void *ud, const smv__path *path, int fd) {
  (void)ud, (void)path, (void)fd;
  F.binds++;
  return F.bind_result;
}

static int f_check_local(void *ud, const smv__path *path, int fd, char *local, size_t len) {
  (void)ud, (void)path, (void)fd;
  if (local && len) local[0] = '\0';
  return F.local_result;
}

static int f_dns(void *ud, const smv__path *path, const char *override_csv, smv__dns_list *out) {
  (void)ud, (void)path, (void)override_csv;
  return smv__dns_parse_csv(F.dns[0] ? F.dns : "127.0.0.1", out);
}

static int f_watch_start(void *ud, const smv__path *path, smv__path_watch *w) {
  (void)ud;
  memset(w, 0, sizeof(*w));
  snprintf(w->name, sizeof(w->name), "%s", path->name);
  w->fd = F.pipe_fd[0];
  w->aux_fd = -1;
  return SMV_OK;
}

static int f_watch_process(void *ud, smv__path_watch *w) {
  (void)ud;
  char b[16];
  while (read(w->fd, b, sizeof(b)) > 0) {
  }
  if (F.lost) {
    w->lost = 1;
    snprintf(w->reason, sizeof(w->reason), "%s went down", w->name);
    return SMV_ERR_PATH_LOST;
  }
  return SMV_OK;
}

static void f_watch_stop(void *ud, smv__path_watch *w) {
  (void)ud;
  w->fd = -1; /* the test owns the pipe */
}

static const smv__platform_ops fake_ops = {
  .version = SMV__PLATFORM_OPS_VERSION,
  .name = "fake",
  .snapshot = f_snapshot,
  .bind_socket = f_bind,
  .check_local = f_check_local,
  .dns_servers = f_dns,
  .watch_start = f_watch_start,
  .watch_process = f_watch_process,
  .watch_stop = f_watch_stop,
};

typedef struct run {
  int done, outcome, error;
  size_t hops;
} run;

static void on_done(smv_flow *fl, const smv_result *r, void *ud) {
  (void)fl;
  run *x = ud;
  x->done = 1;
  x->outcome = r->outcome;
  x->error = r->error;
  x->hops = r->hop_count;
}

/* The path goes away as the response of hop n comes in (the trace's response event). */
static void on_trace(void *ud, int hop, smv_trace_phase phase, double ms, const char *url, const char *detail) {
  (void)ud, (void)ms, (void)url, (void)detail;
  if (phase == SMV_TRACE_RESPONSE && hop - 1 == F.lose_after_hop && !F.lost) {
    F.lost = 1;
    ssize_t n = write(F.pipe_fd[1], "x", 1);
    (void)n;
  }
}

static run one_flow(const char *path) {
  smv_client_options o = {.version = SMV_CLIENT_OPTIONS_VERSION, .cacert_file = srv.ca};
  smv_client *cl = NULL;
  assert_int_equal(smv_client_new(&loop, &o, &cl), 0);
  smv__platform p = {&fake_ops, NULL};
  assert_int_equal(smv__client_set_platform(cl, &p), 0);
  smv_config cfg;
  smv_config_init(&cfg);
  cfg.return_url = "myapp://verified";
  cfg.max_time_ms = 5000;
  cfg.trace = on_trace;
  char url[256];
  snprintf(url, sizeof(url), "%s%s", srv.https, path);
  run r;
  memset(&r, 0, sizeof(r));
  assert_int_equal(smv_flow_start(cl, url, &cfg, on_done, &r, NULL), 0);
  for (int i = 0; !r.done && i < 100000; i++) uv_run(&loop, UV_RUN_ONCE);
  smv_client_free(cl);
  for (int i = 0; i < 200; i++) uv_run(&loop, UV_RUN_NOWAIT);
  return r;
}

static void reset_fake(void) {
  F.v6only = F.dual = 0;
  F.dns[0] = '\0';
  F.binds = 0;
  F.bind_result = SMV_OK;
  F.local_result = SMV_OK;
  F.lose_after_hop = -1;
  F.lost = 0;
}

static int setup(void **state) {
  (void)state;
  assert_int_equal(uv_loop_init(&loop), 0);
  char err[256];
  if (smv_test_server_start(&srv, &loop, NULL, err, sizeof(err)) != 0) fail_msg("%s", err);
  assert_int_equal(pipe2(F.pipe_fd, O_NONBLOCK | O_CLOEXEC), 0);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  close(F.pipe_fd[0]);
  close(F.pipe_fd[1]);
  return smv_test_server_stop(&srv) == 0 && uv_loop_close(&loop) == 0 ? 0 : -1;
}

/* The fake network carries the whole chain: the table is really the one in use. */
static void test_chain_on_fake_path(void **state) {
  (void)state;
  reset_fake();
  run r = one_flow("/chain/start");
  assert_int_equal(r.error, 0);
  assert_int_equal(r.outcome, SMV_OUTCOME_RETURN_URL);
  assert_int_equal(F.binds, 2); /* A (kept alive for hop 3) and B */
}

/* The path goes away after hop 1: the flow ends with PATH_LOST, and hop 2 never connects. */
static void test_path_lost_after_hop_1(void **state) {
  (void)state;
  reset_fake();
  F.lose_after_hop = 0;
  run r = one_flow("/chain/start");
  assert_int_equal(r.outcome, SMV_OUTCOME_ERROR);
  assert_int_equal(r.error, SMV_ERR_PATH_LOST);
  assert_int_equal(F.binds, 1);
}

/* A bind that fails, fails the flow: nothing is connected unbound. */
static void test_bind_refused(void **state) {
  (void)state;
  reset_fake();
  F.bind_result = SMV_ERR_PATH_BIND;
  uint64_t before = smv__testserver_connections(srv.ts);
  run r = one_flow("/chain/start");
  assert_int_equal(r.error, SMV_ERR_PATH_BIND);
  assert_int_equal(smv_exit_code(r.error), 3);
  assert_int_equal(smv__testserver_connections(srv.ts), before); /* not even a SYN got through */
}

/* A connection whose local address is not the path's is dropped before a byte is sent. */
static void test_local_address_refused(void **state) {
  (void)state;
  reset_fake();
  F.local_result = SMV_ERR_PATH_LOCAL_ADDR;
  uint64_t before = smv__testserver_requests(srv.ts);
  run r = one_flow("/chain/start");
  assert_int_equal(r.error, SMV_ERR_PATH_LOCAL_ADDR);
  assert_int_equal(F.binds, 1);
  for (int i = 0; i < 50; i++) uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(smv__testserver_requests(srv.ts), before); /* no request reached the server */
}

/* A table of another version, or without an operation the flow needs, is refused. */
static void test_table_version_checked(void **state) {
  (void)state;
  smv_client *cl = NULL;
  assert_int_equal(smv_client_new(&loop, NULL, &cl), 0);
  smv__platform_ops old = fake_ops;
  old.version = SMV__PLATFORM_OPS_VERSION - 1;
  smv__platform p = {&old, NULL};
  assert_int_equal(smv__client_set_platform(cl, &p), SMV_ERR_INVALID_ARG);
  smv__platform_ops partial = fake_ops;
  partial.bind_socket = NULL;
  p.ops = &partial;
  assert_int_equal(smv__client_set_platform(cl, &p), SMV_ERR_INVALID_ARG);
  p.ops = &fake_ops;
  assert_int_equal(smv__client_set_platform(cl, &p), 0);
  smv_client_free(cl);
  uv_run(&loop, UV_RUN_NOWAIT);
}

/* ---- a DNS server of the test's own (UDP, loopback) --------------------------------------------- */
/* What it answers: for each (name, type) the records, or an rcode; anything else is NXDOMAIN. */
typedef struct dns_rr {
  const char *name;
  int type;                      /* 1 A, 28 AAAA */
  const char *addr;              /* NULL: answer with rcode and no records */
  int rcode;
} dns_rr;

static uv_udp_t dns_sock;
static const dns_rr *dns_table;
static size_t dns_table_n;
static int dns_questions;

static void dns_alloc(uv_handle_t *h, size_t n, uv_buf_t *b) {
  (void)h, (void)n;
  static char buf[1500];
  *b = uv_buf_init(buf, sizeof(buf));
}

static void dns_sent(uv_udp_send_t *req, int status) {
  (void)status;
  free(req);
}

/* The question's name as text and where the question ends. */
static size_t dns_qname(const unsigned char *m, size_t len, char *out, size_t cap) {
  size_t i = 12, o = 0;
  while (i < len && m[i] && o + m[i] + 2 < cap) {
    if (o) out[o++] = '.';
    memcpy(out + o, m + i + 1, m[i]);
    o += m[i];
    i += m[i] + 1;
  }
  out[o] = '\0';
  return i + 1 + 4; /* the root label, type, class */
}

static void dns_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *from, unsigned fl) {
  (void)fl;
  if (n < 17 || !from) return;
  const unsigned char *q = (const unsigned char *)b->base;
  char name[256];
  size_t qend = dns_qname(q, (size_t)n, name, sizeof(name));
  if (qend > (size_t)n) return;
  int qtype = q[qend - 4] << 8 | q[qend - 3];
  dns_questions++;
  struct req {
    uv_udp_send_t r;
    unsigned char m[512];
  } *rq = calloc(1, sizeof(*rq));
  memcpy(rq->m, q, qend);
  size_t o = qend;
  int rcode = 3, an = 0;
  for (size_t i = 0; i < dns_table_n; i++) {
    const dns_rr *rr = &dns_table[i];
    if (strcmp(rr->name, name) || rr->type != qtype) continue;
    rcode = rr->rcode;
    if (!rr->addr) break;
    unsigned char a[16];
    int alen = qtype == 28 ? 16 : 4;
    inet_pton(qtype == 28 ? AF_INET6 : AF_INET, rr->addr, a);
    unsigned char rec[12] = {0xc0, 0x0c, 0, (unsigned char)qtype, 0, 1, 0, 0, 0, 60, 0, (unsigned char)alen};
    memcpy(rq->m + o, rec, 12);
    memcpy(rq->m + o + 12, a, (size_t)alen);
    o += 12 + (size_t)alen;
    an++;
  }
  rq->m[2] = 0x81;                               /* QR, RD */
  rq->m[3] = (unsigned char)(0x80 | rcode);      /* RA, rcode */
  rq->m[6] = 0;
  rq->m[7] = (unsigned char)an;
  rq->m[8] = rq->m[9] = rq->m[10] = rq->m[11] = 0;
  uv_buf_t out = uv_buf_init((char *)rq->m, (unsigned)o);
  if (uv_udp_send(&rq->r, h, &out, 1, from, dns_sent) != 0) free(rq);
}

/* Starts the server on ip (127.0.0.1 or ::1) with table, and points the fake path's DNS at it. */
static void dns_start(const char *ip, const dns_rr *table, size_t n) {
  dns_table = table;
  dns_table_n = n;
  dns_questions = 0;
  struct sockaddr_storage ss;
  if (strchr(ip, ':')) uv_ip6_addr(ip, 0, (struct sockaddr_in6 *)&ss);
  else uv_ip4_addr(ip, 0, (struct sockaddr_in *)&ss);
  assert_int_equal(uv_udp_init(&loop, &dns_sock), 0);
  assert_int_equal(uv_udp_bind(&dns_sock, (const struct sockaddr *)&ss, 0), 0);
  int len = sizeof(ss);
  assert_int_equal(uv_udp_getsockname(&dns_sock, (struct sockaddr *)&ss, &len), 0);
  unsigned port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
  snprintf(F.dns, sizeof(F.dns), strchr(ip, ':') ? "[%s]:%u" : "%s:%u", ip, port);
  assert_int_equal(uv_udp_recv_start(&dns_sock, dns_alloc, dns_recv), 0);
}

static void dns_stop(void) {
  uv_close((uv_handle_t *)&dns_sock, NULL);
  uv_run(&loop, UV_RUN_NOWAIT);
}

/* A flow to url on a client of the test's own (kept: the next flow may use its cache), with family. */
typedef struct flow_out {
  run r;
  double ms;
  unsigned queries, lookups;
  int hop1_family;
  char trace[1024];
} flow_out;

static void on_done_full(smv_flow *fl, const smv_result *res, void *ud) {
  flow_out *o = ud;
  on_done(fl, res, &o->r);
  o->ms = res->stats.ms;
  o->queries = res->stats.dns_queries;
  o->lookups = res->stats.dns_lookups;
  o->hop1_family = res->hop_count > 1 ? res->hops[1].family : 0;
}

static void on_trace_keep(void *ud, int hop, smv_trace_phase phase, double ms, const char *url,
                          const char *detail) {
  (void)hop, (void)ms, (void)url;
  flow_out *o = ud;
  if (phase != SMV_TRACE_CONNECT) return;
  size_t l = strlen(o->trace);
  snprintf(o->trace + l, sizeof(o->trace) - l, "%s|", detail);
}

static void flow_on(smv_client *cl, const char *url, int family, flow_out *o) {
  smv_config cfg;
  smv_config_init(&cfg);
  cfg.return_url = "myapp://verified";
  cfg.max_time_ms = 5000;
  cfg.connect_timeout_ms = 3000;
  cfg.family = family;
  cfg.trace = on_trace_keep;
  cfg.trace_user_data = o;
  memset(o, 0, sizeof(*o));
  assert_int_equal(smv_flow_start(cl, url, &cfg, on_done_full, o, NULL), 0);
  for (int i = 0; !o->r.done && i < 100000; i++) uv_run(&loop, UV_RUN_ONCE);
}

static smv_client *fake_client(void) {
  smv_client_options o = {.version = SMV_CLIENT_OPTIONS_VERSION, .cacert_file = srv.ca};
  smv_client *cl = NULL;
  assert_int_equal(smv_client_new(&loop, &o, &cl), 0);
  smv__platform p = {&fake_ops, NULL};
  assert_int_equal(smv__client_set_platform(cl, &p), 0);
  return cl;
}

static void free_client(smv_client *cl) {
  smv_client_free(cl);
  for (int i = 0; i < 300; i++) uv_run(&loop, UV_RUN_NOWAIT);
}

/* Happy Eyeballs on a dual-stack path: the name has AAAA ::1 (nothing listens there: refused) and A
 * 127.0.0.1; IPv6 is tried first, IPv4 then wins; the answers are asked separately (two queries, one
 * lookup) and cached, so the next flow of the client asks nothing. */
static void test_happy_eyeballs_and_cache(void **state) {
  (void)state;
  reset_fake();
  F.dual = 1;
  static const dns_rr table[] = {{"dual.test", 28, "::1", 0}, {"dual.test", 1, "127.0.0.1", 0}};
  dns_start("127.0.0.1", table, 2);
  /* A server of this test's own, on a plain-HTTP port picked first, so that its routes can name it
   * by the name only the test's DNS knows: /start (https, by address) -> http://dual.test:P/he ->
   * the returnUrl. */
  uv_tcp_t probe;
  struct sockaddr_in any;
  uv_ip4_addr("127.0.0.1", 0, &any);
  assert_int_equal(uv_tcp_init(&loop, &probe), 0);
  assert_int_equal(uv_tcp_bind(&probe, (const struct sockaddr *)&any, 0), 0);
  int alen = sizeof(any);
  assert_int_equal(uv_tcp_getsockname(&probe, (struct sockaddr *)&any, &alen), 0);
  unsigned hport = ntohs(any.sin_port);
  uv_close((uv_handle_t *)&probe, NULL);
  uv_run(&loop, UV_RUN_NOWAIT);
  char routes[] = "/tmp/smv-test-fake-routes.XXXXXX";
  int fd = mkstemp(routes);
  assert_true(fd >= 0);
  char body[512];
  int n = snprintf(body, sizeof(body),
                   "{\"routes\": {\"/start\": {\"status\": 302, \"headers\": {\"Location\": "
                   "\"http://dual.test:%u/he\"}}, \"/he\": {\"status\": 302, \"headers\": "
                   "{\"Location\": \"myapp://verified\"}}}}", hport);
  assert_int_equal(write(fd, body, (size_t)n), n);
  close(fd);
  smv__testserver_opts so;
  memset(&so, 0, sizeof(so));
  so.script_path = routes;
  so.http_port = hport;
  smv_test_server s2;
  char err[256];
  if (smv_test_server_start(&s2, &loop, &so, err, sizeof(err)) != 0) fail_msg("%s", err);
  char url[256];
  snprintf(url, sizeof(url), "%s/start", s2.https);
  smv_client_options o = {.version = SMV_CLIENT_OPTIONS_VERSION, .cacert_file = s2.ca};
  smv_client *cl = NULL;
  assert_int_equal(smv_client_new(&loop, &o, &cl), 0);
  smv__platform p = {&fake_ops, NULL};
  assert_int_equal(smv__client_set_platform(cl, &p), 0);
  flow_out a;
  flow_on(cl, url, 0, &a);
  if (a.r.error) fail_msg("%s", smv_errname(a.r.error));
  assert_int_equal(a.hop1_family, 4);
  char *v6 = strstr(a.trace, "connecting to [::1]"), *v4 = strstr(a.trace, "connecting to 127.0.0.1:");
  assert_non_null(v6);
  assert_non_null(v4);
  assert_true(strstr(v6, "connecting to 127.0.0.1:") != NULL); /* IPv6 first */
  assert_int_equal(a.lookups, 1);
  assert_int_equal(a.queries, 2);
  assert_int_equal(dns_questions, 2);
  flow_out b;
  flow_on(cl, url, 0, &b);
  assert_int_equal(b.r.error, 0);
  assert_int_equal(b.lookups, 0); /* from the client's cache */
  assert_int_equal(b.queries, 0);
  assert_int_equal(dns_questions, 2);
  /* --ipv4: no AAAA asked, no IPv6 tried (a new client: no cache) */
  free_client(cl);
  assert_int_equal(smv_client_new(&loop, &o, &cl), 0);
  assert_int_equal(smv__client_set_platform(cl, &p), 0);
  flow_on(cl, url, 4, &b);
  assert_int_equal(b.r.error, 0);
  assert_null(strstr(b.trace, "[::1]"));
  assert_int_equal(b.queries, 1);
  assert_int_equal(dns_questions, 3);
  free_client(cl);
  assert_int_equal(smv_test_server_stop(&s2), 0);
  unlink(routes);
  dns_stop();
}

/* An IPv6-only path and an IPv4 literal: NAT64 discovery on the path's DNS. Whatever the DNS gives
 * instead of a usable prefix ends the flow at once with its own error, before any connection. */
static void nat64_case(const dns_rr *table, size_t n, int want) {
  reset_fake();
  F.v6only = 1;
  dns_start("::1", table, n);
  uint64_t before = smv__testserver_connections(srv.ts);
  smv_client *cl = fake_client();
  flow_out o;
  flow_on(cl, srv.https, 0, &o); /* https://127.0.0.1:PORT */
  assert_int_equal(o.r.error, want);
  assert_int_equal(smv_exit_code(o.r.error), 5);
  assert_true(o.ms < 1000);
  assert_null(strstr(o.trace, "connecting")); /* no connection was even tried */
  assert_int_equal(F.binds, 1);               /* the DNS socket's alone */
  assert_int_equal(dns_questions, 1);         /* ipv4only.arpa AAAA, nothing else */
  assert_int_equal(smv__testserver_connections(srv.ts), before);
  free_client(cl);
  dns_stop();
}

static void test_no_nat64_prefix(void **state) {
  (void)state;
  static const dns_rr nxdomain[] = {{"ipv4only.arpa", 28, NULL, 3}};
  nat64_case(nxdomain, 1, SMV_ERR_NAT64_NO_PREFIX);
  static const dns_rr nodata[] = {{"ipv4only.arpa", 28, NULL, 0}};
  nat64_case(nodata, 1, SMV_ERR_NAT64_NO_PREFIX);
  /* a zone's own AAAA passed through: no 192.0.0.170/171 anywhere (RFC 7050 3) */
  static const dns_rr malformed[] = {{"ipv4only.arpa", 28, "2001:db8:64::1", 0}};
  nat64_case(malformed, 1, SMV_ERR_NAT64_DISCOVERY);
  /* the well-known prefix with a non-global IPv4 literal (127.0.0.1): RFC 6052 3.1 */
  static const dns_rr wkp[] = {{"ipv4only.arpa", 28, "64:ff9b::c000:aa", 0},
                               {"ipv4only.arpa", 28, "64:ff9b::c000:ab", 0}};
  nat64_case(wkp, 2, SMV_ERR_NAT64_WKP_NON_GLOBAL);
}

/* --ipv6 and an IPv4 literal, or an IPv6 literal on a path without IPv6: refused, nothing sent. */
static void test_family_refused(void **state) {
  (void)state;
  reset_fake();
  smv_client *cl = fake_client();
  flow_out o;
  flow_on(cl, srv.https, 6, &o);
  assert_int_equal(o.r.error, SMV_ERR_ADDRESS_FAMILY);
  assert_int_equal(F.binds, 0);
  char url[128];
  snprintf(url, sizeof(url), "https://[::1]:%s/token", strrchr(srv.https, ':') + 1);
  flow_on(cl, url, 0, &o); /* the fake path has 127.0.0.1 only */
  assert_int_equal(o.r.error, SMV_ERR_ADDRESS_FAMILY);
  assert_int_equal(F.binds, 0);
  free_client(cl);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_chain_on_fake_path),
    cmocka_unit_test(test_path_lost_after_hop_1),
    cmocka_unit_test(test_bind_refused),
    cmocka_unit_test(test_local_address_refused),
    cmocka_unit_test(test_table_version_checked),
    cmocka_unit_test(test_happy_eyeballs_and_cache),
    cmocka_unit_test(test_no_nat64_prefix),
    cmocka_unit_test(test_family_refused),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

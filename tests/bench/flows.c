/* Load generator of issue 4's benchmark: many device flows at once from one client loop against
 * `smv sandbox`. Each flow opens a fresh deviceRedirectUrl with smv_flow_start() and must stop at
 * the returnUrl; the sandbox then calls the app back, and this program is that callback receiver
 * too, so a flow only counts as complete when its VALID callback came.
 *
 * Tokens are single use, so they are made before the clock starts: one keep-alive curl process
 * POSTs /mi/verification/1/verify as many times as there will be flows. What is timed is then only
 * device flows (and the callbacks they cause). The same URLs can instead be given to curl's own event
 * loop (--client curl: `curl --parallel`, one transfer per flow, the same roots, the same interface),
 * which is the peer the figures are compared with.
 *
 * Usage: smv_bench_flows --api URL --ca FILE [--user U] [--password P] [--flows N]
 *          [--concurrency C] [--no-resume | --resume-without-ecdhe] [--warmup N]
 *          [--client smv|curl|curl-close] [--curl PATH] [--server-pid PID] [--label TEXT]
 * curl keeps connections alive across flows (up to its pool size); curl-close sends
 * "Connection: close" so that every flow opens its own connection, as distinct devices do. smv's
 * client keeps at most 4 idle connections between flows. Resumption is TLS 1.3's psk_dhe_ke (curl's
 * too), psk_ke with --resume-without-ecdhe (smv only), or off.
 * Prints a readable summary on stderr and one JSON object on stdout (tests/bench/flows.sh tabulates
 * them). Exit 0 when every flow completed and every callback was VALID, 1 otherwise.
 */
#include <smv.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#define RETURN_URL "myapp://bench-done"
#define PHONE "41793026727"
#define MAX_ERR_KINDS 32
#define CURL_PARALLEL_MAX 300 /* curl's own cap on --parallel-max */

typedef struct err_count {
  const char *name;
  char *sample; /* the first failure's message */
  size_t n;
} err_count;

typedef struct bench {
  uv_loop_t *loop;
  const char *api, *ca, *user, *password, *curl, *label;
  int no_resume, resume_psk, use_curl, curl_close;
  long server_pid;
  size_t flows, concurrency, warmup;

  char **urls;
  size_t nurls, next_url;

  smv_client *client;
  smv_config cfg;

  /* the phase being run */
  size_t target, started, done, inflight;
  int measuring;
  uint64_t *t0, *lat;
  size_t nlat;
  uint64_t phase_start, phase_end;
  size_t ok, failed;
  err_count errs[MAX_ERR_KINDS];
  size_t nerrs;
  unsigned long conns, tls_full, tls_resumed;
  size_t heap_peak;

  /* curl peer */
  size_t curl_running;
  char *curl_cfg[8];

  /* callback receiver: its own loop on its own thread, so that a load generator saturated by
   * handshakes does not answer the sandbox's callbacks late (and cause retries); the counters are
   * shared under cb_lock */
  uv_loop_t cb_loop;
  uv_thread_t cb_thread;
  uv_async_t cb_stop;
  uv_mutex_t cb_lock;
  uv_tcp_t listener;
  int cb_port;
  size_t cb_valid, cb_other, cb_dup, cb_unknown;
  size_t *tok_slot;   /* open-addressing set of the tokens made: index into urls + 1, 0 empty */
  unsigned char *tok_seen;
  size_t tok_cap;
  uv_timer_t wait_timer;
  uint64_t wait_deadline;
} bench;

static void die(const char *what) {
  fprintf(stderr, "smv_bench_flows: %s\n", what);
  exit(2);
}

static void count_error(bench *b, const char *name, const char *message) {
  for (size_t i = 0; i < b->nerrs; i++) {
    if (strcmp(b->errs[i].name, name) == 0) {
      b->errs[i].n++;
      return;
    }
  }
  if (b->nerrs < MAX_ERR_KINDS) {
    b->errs[b->nerrs].name = name;
    b->errs[b->nerrs].sample = message ? strdup(message) : NULL;
    b->errs[b->nerrs].n = 1;
    b->nerrs++;
  }
}

/* ---- tokens seen in callbacks ------------------------------------------------------------------
 * The sandbox delivers each result at least once, so a callback is counted once per token and
 * repeats are reported apart. */
static const char *url_token(const char *url) {
  const char *t = strrchr(url, '/');
  return t ? t + 1 : url;
}

static uint64_t tok_hash(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  return h;
}

static void tokens_index(bench *b) {
  b->tok_cap = 16;
  while (b->tok_cap < 2 * b->nurls) b->tok_cap *= 2;
  b->tok_slot = calloc(b->tok_cap, sizeof(size_t));
  b->tok_seen = calloc(b->nurls ? b->nurls : 1, 1);
  if (!b->tok_slot || !b->tok_seen) die("out of memory");
  for (size_t i = 0; i < b->nurls; i++) {
    const char *t = url_token(b->urls[i]);
    size_t j = (size_t)tok_hash(t, strlen(t)) & (b->tok_cap - 1);
    while (b->tok_slot[j]) j = (j + 1) & (b->tok_cap - 1);
    b->tok_slot[j] = i + 1;
  }
}

/* The index of the flow whose token is s[0..n), or -1. */
static long token_find(const bench *b, const char *s, size_t n) {
  size_t j = (size_t)tok_hash(s, n) & (b->tok_cap - 1);
  while (b->tok_slot[j]) {
    const char *t = url_token(b->urls[b->tok_slot[j] - 1]);
    if (strlen(t) == n && memcmp(t, s, n) == 0) return (long)b->tok_slot[j] - 1;
    j = (j + 1) & (b->tok_cap - 1);
  }
  return -1;
}

static void count_callback(bench *b, const char *request_line) {
  const char *t = strstr(request_line, "token=");
  long idx = -1;
  if (t) {
    t += strlen("token=");
    idx = token_find(b, t, strcspn(t, "& "));
  }
  uv_mutex_lock(&b->cb_lock);
  if (idx < 0) {
    b->cb_unknown++;
  } else if (b->tok_seen[idx]) {
    b->cb_dup++;
  } else {
    b->tok_seen[idx] = 1;
    if (strstr(request_line, "result=VALID")) b->cb_valid++;
    else b->cb_other++;
  }
  uv_mutex_unlock(&b->cb_lock);
}

/* Callbacks with a result so far (any thread). */
static size_t callbacks_in(bench *b) {
  uv_mutex_lock(&b->cb_lock);
  size_t n = b->cb_valid + b->cb_other;
  uv_mutex_unlock(&b->cb_lock);
  return n;
}

/* ---- callback receiver --------------------------------------------------------------------------
 * The smallest HTTP/1.1 server that will do: read one request head, count its result, answer 204,
 * close. The sandbox opens one connection per callback. */
typedef struct cb_conn {
  uv_tcp_t tcp;
  uv_write_t w;
  bench *b;
  size_t len;
  int answered;
  char buf[2048];
} cb_conn;

static void cb_closed(uv_handle_t *h) { free(h->data); }

static void cb_written(uv_write_t *w, int status) {
  cb_conn *c = w->data;
  (void)status;
  uv_close((uv_handle_t *)&c->tcp, cb_closed);
}

static void cb_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  cb_conn *c = h->data;
  (void)hint;
  *buf = uv_buf_init(c->buf + c->len, (unsigned)(sizeof(c->buf) - 1 - c->len));
}

static void cb_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  static const char answer[] = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
  cb_conn *c = s->data;
  (void)buf;
  if (n < 0 || (n == 0 && c->len == sizeof(c->buf) - 1)) {
    if (!uv_is_closing((uv_handle_t *)s)) uv_close((uv_handle_t *)s, cb_closed);
    return;
  }
  c->len += (size_t)n;
  c->buf[c->len] = '\0';
  if (c->answered || !strstr(c->buf, "\r\n\r\n")) return;
  c->answered = 1;
  uv_read_stop(s);
  char *eol = strstr(c->buf, "\r\n");
  *eol = '\0';
  count_callback(c->b, c->buf);
  uv_buf_t out = uv_buf_init((char *)(uintptr_t)answer, sizeof(answer) - 1);
  c->w.data = c;
  if (uv_write(&c->w, s, &out, 1, cb_written) != 0) uv_close((uv_handle_t *)s, cb_closed);
}

static void cb_accept(uv_stream_t *server, int status) {
  bench *b = server->data;
  if (status < 0) return;
  cb_conn *c = calloc(1, sizeof(*c));
  if (!c) die("out of memory");
  c->b = b;
  c->tcp.data = c;
  uv_tcp_init(&b->cb_loop, &c->tcp);
  if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
      uv_read_start((uv_stream_t *)&c->tcp, cb_alloc, cb_read) != 0)
    uv_close((uv_handle_t *)&c->tcp, cb_closed);
}

static void receiver_run(void *arg) {
  bench *b = arg;
  uv_run(&b->cb_loop, UV_RUN_DEFAULT);
}

static void receiver_stop_cb(uv_async_t *a) {
  bench *b = a->data;
  uv_close((uv_handle_t *)&b->listener, NULL);
  uv_close((uv_handle_t *)&b->cb_stop, NULL);
  uv_stop(&b->cb_loop); /* connections still open are closed by receiver_end */
}

static void receiver_start(bench *b) {
  struct sockaddr_in sa;
  struct sockaddr_storage bound;
  int len = sizeof(bound);
  uv_ip4_addr("127.0.0.1", 0, &sa);
  if (uv_loop_init(&b->cb_loop) != 0 || uv_mutex_init(&b->cb_lock) != 0 ||
      uv_async_init(&b->cb_loop, &b->cb_stop, receiver_stop_cb) != 0)
    die("cannot set up the callback receiver");
  b->cb_stop.data = b;
  uv_tcp_init(&b->cb_loop, &b->listener);
  b->listener.data = b;
  if (uv_tcp_bind(&b->listener, (const struct sockaddr *)&sa, 0) != 0 ||
      uv_listen((uv_stream_t *)&b->listener, 1024, cb_accept) != 0 ||
      uv_tcp_getsockname(&b->listener, (struct sockaddr *)&bound, &len) != 0)
    die("cannot listen for callbacks on 127.0.0.1");
  b->cb_port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
}

/* Starts answering; call once the token index is built (the thread reads it). */
static void receiver_go(bench *b) {
  if (uv_thread_create(&b->cb_thread, receiver_run, b) != 0) die("cannot start the callback receiver");
}

static void close_connection(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h)) uv_close(h, cb_closed); /* the listener and the async are closing already */
}

static void receiver_end(bench *b) {
  uv_async_send(&b->cb_stop);
  uv_thread_join(&b->cb_thread);
  /* The thread is gone: close what it left open from here, and release the loop. */
  uv_walk(&b->cb_loop, close_connection, NULL);
  uv_run(&b->cb_loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&b->cb_loop) != 0) die("the callback receiver's loop did not close");
  uv_mutex_destroy(&b->cb_lock);
}

/* ---- tokens ------------------------------------------------------------------------------------- */
static char *write_temp(const char *tag, const char *text) {
  char *path = malloc(64);
  if (!path) die("out of memory");
  snprintf(path, 64, "/tmp/smv-bench-%s.XXXXXX", tag);
  int fd = mkstemp(path);
  if (fd < 0) die("mkstemp failed");
  FILE *f = fdopen(fd, "w");
  if (!f || fputs(text, f) < 0 || fclose(f) != 0) die("cannot write a temporary file");
  return path;
}

/* POSTs count verify requests over one keep-alive connection and keeps the deviceRedirectUrls. */
static void make_tokens(bench *b, size_t count) {
  char body[512], verify[512], cmd[2048];
  snprintf(body, sizeof(body),
           "{\"phoneNumber\":\"" PHONE "\",\"consentGranted\":true,\"returnUrl\":\"" RETURN_URL "\","
           "\"callbackUrl\":\"http://127.0.0.1:%d/cb?result={result}&token={token}\"}",
           b->cb_port);
  snprintf(verify, sizeof(verify), "url = \"%s/mi/verification/1/verify\"\n", b->api);
  size_t vlen = strlen(verify);
  char *cfg = malloc(vlen * count + 1);
  if (!cfg) die("out of memory");
  for (size_t i = 0; i < count; i++) memcpy(cfg + i * vlen, verify, vlen);
  cfg[vlen * count] = '\0';
  char *body_path = write_temp("body", body);
  char *cfg_path = write_temp("verify", cfg);
  free(cfg);
  snprintf(cmd, sizeof(cmd),
           "'%s' -sS --cacert '%s' -u '%s:%s' -H 'Content-Type: application/json' -d @%s -w '\\n' -K %s",
           b->curl, b->ca, b->user, b->password, body_path, cfg_path);
  FILE *p = popen(cmd, "r");
  if (!p) die("cannot run curl");
  b->urls = calloc(count, sizeof(char *));
  if (!b->urls) die("out of memory");
  char line[1024];
  while (fgets(line, sizeof(line), p) && b->nurls < count) {
    const char *k = strstr(line, "\"deviceRedirectUrl\":\"");
    if (!k) continue;
    k += strlen("\"deviceRedirectUrl\":\"");
    const char *e = strchr(k, '"');
    if (!e) continue;
    b->urls[b->nurls] = strndup(k, (size_t)(e - k));
    if (!b->urls[b->nurls]) die("out of memory");
    b->nurls++;
  }
  int st = pclose(p);
  unlink(body_path);
  unlink(cfg_path);
  free(body_path);
  free(cfg_path);
  if (b->nurls < count) {
    fprintf(stderr, "smv_bench_flows: got %zu of %zu tokens (curl status %d)\n", b->nurls, count, st);
    exit(2);
  }
}

/* ---- smv flows ---------------------------------------------------------------------------------- */
static void start_flows(bench *b);

static void flow_done(smv_flow *flow, const smv_result *r, void *ud) {
  bench *b = uv_default_loop()->data; /* the flow's user data is its index */
  size_t idx = (size_t)(uintptr_t)ud;
  (void)flow;
  uint64_t now = uv_hrtime();
  b->inflight--;
  b->done++;
  if (r->error == SMV_OK && r->outcome == SMV_OUTCOME_RETURN_URL && r->final_url &&
      strncmp(r->final_url, RETURN_URL, strlen(RETURN_URL)) == 0) {
    if (b->measuring) {
      b->ok++;
      b->lat[b->nlat++] = now - b->t0[idx];
    }
  } else if (b->measuring) {
    b->failed++;
    count_error(b, r->error ? smv_errname(r->error) : "SMV_OK (wrong outcome)", r->error_message);
  }
  if (b->measuring) {
    b->conns += r->stats.connections;
    b->tls_full += r->stats.tls_full;
    b->tls_resumed += r->stats.tls_resumed;
    if (r->stats.heap_peak_bytes > b->heap_peak) b->heap_peak = r->stats.heap_peak_bytes;
  }
  if (b->done == b->target) {
    b->phase_end = now;
    uv_stop(b->loop);
    return;
  }
  start_flows(b);
}

static void start_flows(bench *b) {
  while (b->inflight < b->concurrency && b->started < b->target) {
    size_t idx = b->started++;
    b->t0[idx] = uv_hrtime();
    b->inflight++;
    int rc = smv_flow_start(b->client, b->urls[b->next_url++], &b->cfg, flow_done,
                            (void *)(uintptr_t)idx, NULL);
    if (rc != 0) {
      b->inflight--;
      b->done++;
      if (b->measuring) {
        b->failed++;
        count_error(b, smv_errname(rc), "smv_flow_start failed");
      }
    }
  }
  if (b->done == b->target && b->phase_end == 0) {
    b->phase_end = uv_hrtime();
    uv_stop(b->loop);
  }
}

static void run_smv_phase(bench *b, size_t count, int measuring) {
  b->target = count;
  b->started = b->done = b->inflight = 0;
  b->measuring = measuring;
  b->phase_end = 0;
  b->phase_start = uv_hrtime();
  if (count == 0) return;
  start_flows(b);
  if (b->phase_end == 0) uv_run(b->loop, UV_RUN_DEFAULT);
}

/* ---- curl peer ---------------------------------------------------------------------------------- */
typedef struct curl_proc {
  uv_process_t proc;
  uv_pipe_t out;
  bench *b;
  char line[1024];
  size_t len;
  int out_closed, exited;
} curl_proc;

static void curl_line(bench *b, char *line) {
  /* "%{http_code} %{redirect_url} %{time_total}" */
  char url[512];
  int code = 0;
  double t = 0;
  if (sscanf(line, "%d %511s %lf", &code, url, &t) == 3 && code == 302 &&
      strncmp(url, RETURN_URL, strlen(RETURN_URL)) == 0) {
    b->ok++;
    b->lat[b->nlat++] = (uint64_t)(t * 1e9);
  } else {
    b->failed++;
    count_error(b, code == 0 ? "curl: no response" : "curl: unexpected answer", line);
  }
}

static void curl_maybe_done(curl_proc *c) {
  if (!c->out_closed || !c->exited) return;
  bench *b = c->b;
  if (--b->curl_running == 0) {
    b->phase_end = uv_hrtime();
    uv_stop(b->loop);
  }
}

static void curl_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  curl_proc *c = h->data;
  (void)hint;
  *buf = uv_buf_init(c->line + c->len, (unsigned)(sizeof(c->line) - 1 - c->len));
}

static void curl_out_closed(uv_handle_t *h) {
  curl_proc *c = h->data;
  c->out_closed = 1;
  curl_maybe_done(c);
}

static void curl_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  curl_proc *c = s->data;
  (void)buf;
  if (n < 0) {
    uv_close((uv_handle_t *)s, curl_out_closed);
    return;
  }
  c->len += (size_t)n;
  c->line[c->len] = '\0';
  char *start = c->line, *nl;
  while ((nl = strchr(start, '\n')) != NULL) {
    *nl = '\0';
    curl_line(c->b, start);
    start = nl + 1;
  }
  c->len = strlen(start);
  memmove(c->line, start, c->len + 1);
  if (c->len == sizeof(c->line) - 1) c->len = 0; /* an absurd line: drop it */
}

static void curl_exit(uv_process_t *p, int64_t status, int sig) {
  curl_proc *c = p->data;
  if (status != 0 || sig != 0)
    fprintf(stderr, "smv_bench_flows: curl exited with %" PRId64 " (signal %d)\n", status, sig);
  c->exited = 1;
  uv_close((uv_handle_t *)p, NULL);
  curl_maybe_done(c);
}

/* One `curl --parallel` per CURL_PARALLEL_MAX concurrent flows, the URLs shared out evenly. */
static void run_curl_phase(bench *b) {
  size_t nproc = (b->concurrency + CURL_PARALLEL_MAX - 1) / CURL_PARALLEL_MAX;
  if (nproc > 8) die("--concurrency too high for the curl peer (at most 2400)");
  curl_proc *procs = calloc(nproc, sizeof(*procs));
  if (!procs) die("out of memory");
  for (size_t p = 0; p < nproc; p++) {
    size_t from = b->flows * p / nproc, to = b->flows * (p + 1) / nproc;
    size_t cap = (to - from) * 600 + 1, len = 0;
    char *cfg = malloc(cap);
    if (!cfg) die("out of memory");
    for (size_t i = from; i < to; i++)
      len += (size_t)snprintf(cfg + len, cap - len, "url = \"%s\"\noutput = \"/dev/null\"\n",
                              b->urls[b->next_url + i]);
    b->curl_cfg[p] = write_temp("urls", cfg);
    free(cfg);
  }
  b->next_url += b->flows;
  b->phase_start = uv_hrtime();
  b->curl_running = nproc;
  for (size_t p = 0; p < nproc; p++) {
    curl_proc *c = &procs[p];
    char par[32];
    snprintf(par, sizeof(par), "%zu", b->concurrency / nproc);
    char *args[20];
    int n = 0;
    args[n++] = (char *)(uintptr_t)b->curl;
    args[n++] = "-sS";
    args[n++] = "--no-progress-meter";
    args[n++] = "--parallel";
    args[n++] = "--parallel-immediate";
    args[n++] = "--parallel-max";
    args[n++] = par;
    args[n++] = "--interface";
    args[n++] = "lo";
    args[n++] = "--cacert";
    args[n++] = (char *)(uintptr_t)b->ca;
    if (b->no_resume) args[n++] = "--no-sessionid";
    if (b->curl_close) {
      args[n++] = "-H";
      args[n++] = "Connection: close";
    }
    args[n++] = "-w";
    args[n++] = "%{http_code} %{redirect_url} %{time_total}\\n";
    args[n++] = "-K";
    args[n++] = b->curl_cfg[p];
    args[n] = NULL;
    c->b = b;
    c->proc.data = c;
    c->out.data = c;
    uv_pipe_init(b->loop, &c->out, 0);
    uv_stdio_container_t stdio[3];
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[1].data.stream = (uv_stream_t *)&c->out;
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = 2;
    uv_process_options_t o;
    memset(&o, 0, sizeof(o));
    o.file = b->curl;
    o.args = args;
    o.exit_cb = curl_exit;
    o.stdio = stdio;
    o.stdio_count = 3;
    int rc = uv_spawn(b->loop, &c->proc, &o);
    if (rc != 0) die(uv_strerror(rc));
    uv_read_start((uv_stream_t *)&c->out, curl_alloc, curl_read);
  }
  uv_run(b->loop, UV_RUN_DEFAULT);
  for (size_t p = 0; p < nproc; p++) {
    unlink(b->curl_cfg[p]);
    free(b->curl_cfg[p]);
  }
  free(procs);
}

/* ---- waiting for the callbacks ------------------------------------------------------------------ */
static void wait_tick(uv_timer_t *t) {
  bench *b = t->data;
  if (callbacks_in(b) >= b->nurls || uv_hrtime() > b->wait_deadline) uv_stop(b->loop);
}

static void wait_callbacks(bench *b, unsigned seconds) {
  if (callbacks_in(b) >= b->nurls) return;
  b->wait_deadline = uv_hrtime() + (uint64_t)seconds * 1000000000u;
  uv_timer_init(b->loop, &b->wait_timer);
  b->wait_timer.data = b;
  uv_timer_start(&b->wait_timer, wait_tick, 20, 20);
  uv_run(b->loop, UV_RUN_DEFAULT);
  uv_timer_stop(&b->wait_timer);
  uv_close((uv_handle_t *)&b->wait_timer, NULL);
}

/* ---- figures ------------------------------------------------------------------------------------ */
static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static double pct_ms(const uint64_t *v, size_t n, double p) {
  if (n == 0) return 0;
  size_t i = (size_t)(p / 100.0 * (double)n);
  if (i >= n) i = n - 1;
  return (double)v[i] / 1e6;
}

static double cpu_s(int who) {
  struct rusage ru;
  getrusage(who, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec / 1e6;
}

/* utime + stime of another process, from /proc (clock ticks); -1 when unknown. */
static double proc_cpu_s(long pid) {
  char path[64], buf[1024];
  if (pid <= 0) return -1;
  snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  const char *p = strrchr(buf, ')');
  unsigned long ut, st;
  if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return -1;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void close_all(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h)) uv_close(h, NULL);
}

static const char *client_name(const bench *b) {
  return b->curl_close ? "curl-close" : b->use_curl ? "curl" : "smv";
}

static void usage(void) {
  fputs("usage: smv_bench_flows --api URL --ca FILE [--user U] [--password P] [--flows N]\n"
        "         [--concurrency C] [--no-resume | --resume-without-ecdhe] [--warmup N]\n"
        "         [--client smv|curl|curl-close] [--curl PATH] [--server-pid PID] [--label TEXT]\n",
        stderr);
  exit(2);
}

int main(int argc, char **argv) {
  bench b;
  memset(&b, 0, sizeof(b));
  b.user = "sandbox";
  b.password = "sandbox-secret";
  b.curl = "/usr/bin/curl";
  b.label = "";
  b.flows = 5000;
  b.concurrency = 100;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--no-resume") == 0) { b.no_resume = 1; continue; }
    if (strcmp(a, "--resume-without-ecdhe") == 0) { b.resume_psk = 1; continue; }
    if (!v) usage();
    i++;
    if (strcmp(a, "--api") == 0) b.api = v;
    else if (strcmp(a, "--ca") == 0) b.ca = v;
    else if (strcmp(a, "--user") == 0) b.user = v;
    else if (strcmp(a, "--password") == 0) b.password = v;
    else if (strcmp(a, "--flows") == 0) b.flows = strtoul(v, NULL, 10);
    else if (strcmp(a, "--concurrency") == 0) b.concurrency = strtoul(v, NULL, 10);
    else if (strcmp(a, "--warmup") == 0) b.warmup = strtoul(v, NULL, 10);
    else if (strcmp(a, "--client") == 0) {
      b.use_curl = strncmp(v, "curl", 4) == 0;
      b.curl_close = strcmp(v, "curl-close") == 0;
      if (!b.use_curl && strcmp(v, "smv") != 0) usage();
    }
    else if (strcmp(a, "--curl") == 0) b.curl = v;
    else if (strcmp(a, "--server-pid") == 0) b.server_pid = strtol(v, NULL, 10);
    else if (strcmp(a, "--label") == 0) b.label = v;
    else usage();
  }
  if (!b.api || !b.ca || b.flows == 0 || b.concurrency == 0) usage();
  if (b.use_curl) b.warmup = 0; /* each curl run is a new process: nothing to warm */

  b.loop = uv_default_loop();
  b.loop->data = &b;
  receiver_start(&b);
  make_tokens(&b, b.warmup + b.flows);
  tokens_index(&b);
  receiver_go(&b);
  b.t0 = calloc(b.warmup + b.flows, sizeof(uint64_t));
  b.lat = calloc(b.flows, sizeof(uint64_t));
  if (!b.t0 || !b.lat) die("out of memory");

  double cpu0 = 0, srv0 = 0, wall = 0;
  if (!b.use_curl) {
    smv_client_options o;
    memset(&o, 0, sizeof(o));
    o.version = SMV_CLIENT_OPTIONS_VERSION;
    o.cacert_file = b.ca;
    o.disable_tls_resumption = b.no_resume;
    o.tls_resume_without_ecdhe = b.resume_psk;
    int rc = smv_client_new(b.loop, &o, &b.client);
    if (rc) die(smv_strerror(rc));
    smv_config_init(&b.cfg);
    b.cfg.interface = "lo";
    b.cfg.declared_carrier = 1;
    b.cfg.return_url = RETURN_URL;
    run_smv_phase(&b, b.warmup, 0);
    cpu0 = cpu_s(RUSAGE_SELF);
    srv0 = proc_cpu_s(b.server_pid);
    run_smv_phase(&b, b.flows, 1);
  } else {
    cpu0 = cpu_s(RUSAGE_SELF) + cpu_s(RUSAGE_CHILDREN);
    srv0 = proc_cpu_s(b.server_pid);
    run_curl_phase(&b);
  }
  wall = (double)(b.phase_end - b.phase_start) / 1e9;
  double cpu = cpu_s(RUSAGE_SELF) + (b.use_curl ? cpu_s(RUSAGE_CHILDREN) : 0) - cpu0;
  double srv = srv0 >= 0 ? proc_cpu_s(b.server_pid) - srv0 : -1;
  wait_callbacks(&b, 20);
  receiver_end(&b); /* the counters are this thread's alone from here */

  qsort(b.lat, b.nlat, sizeof(uint64_t), cmp_u64);
  double rate = wall > 0 ? (double)b.ok / wall : 0;
  size_t measured_cb_missing = b.nurls > b.cb_valid + b.cb_other ? b.nurls - b.cb_valid - b.cb_other : 0;

  fprintf(stderr,
          "%s %s c=%zu resume=%s: %zu/%zu flows ok in %.3f s = %.0f flows/s, p50 %.2f ms, p99 %.2f ms, "
          "max %.2f ms; client CPU %.3f ms/flow, sandbox CPU %.3f ms/flow; callbacks VALID %zu, other %zu, "
          "missing %zu, repeated %zu, unknown %zu\n",
          b.label, client_name(&b), b.concurrency,
          b.no_resume ? "off" : b.resume_psk ? "psk_ke" : "psk_dhe_ke", b.ok, b.flows,
          wall, rate, pct_ms(b.lat, b.nlat, 50), pct_ms(b.lat, b.nlat, 99),
          b.nlat ? (double)b.lat[b.nlat - 1] / 1e6 : 0, 1000 * cpu / (double)b.flows,
          srv >= 0 ? 1000 * srv / (double)b.flows : -1, b.cb_valid, b.cb_other, measured_cb_missing,
          b.cb_dup, b.cb_unknown);
  for (size_t i = 0; i < b.nerrs; i++)
    fprintf(stderr, "  failed: %s x %zu (first: %s)\n", b.errs[i].name, b.errs[i].n,
            b.errs[i].sample ? b.errs[i].sample : "-");

  printf("{\"label\":\"%s\",\"client\":\"%s\",\"concurrency\":%zu,\"resumption\":\"%s\",\"flows\":%zu,"
         "\"ok\":%zu,\"failed\":%zu,\"seconds\":%.4f,\"flows_per_s\":%.1f,\"p50_ms\":%.3f,"
         "\"p99_ms\":%.3f,\"max_ms\":%.3f,\"client_cpu_ms_per_flow\":%.4f,"
         "\"server_cpu_ms_per_flow\":%.4f,\"callbacks_valid\":%zu,\"callbacks_other\":%zu,"
         "\"callbacks_expected\":%zu,\"callbacks_repeated\":%zu,\"connections\":%lu,\"tls_full\":%lu,\"tls_resumed\":%lu,"
         "\"heap_peak_bytes\":%zu,\"errors\":{",
         b.label, client_name(&b), b.concurrency, b.no_resume ? "off" : b.resume_psk ? "psk_ke" : "psk_dhe_ke", b.flows,
         b.ok, b.failed, wall, rate, pct_ms(b.lat, b.nlat, 50), pct_ms(b.lat, b.nlat, 99),
         b.nlat ? (double)b.lat[b.nlat - 1] / 1e6 : 0, 1000 * cpu / (double)b.flows,
         srv >= 0 ? 1000 * srv / (double)b.flows : -1, b.cb_valid, b.cb_other, b.nurls, b.cb_dup,
         b.use_curl ? 0 : b.conns, b.use_curl ? 0 : b.tls_full, b.use_curl ? 0 : b.tls_resumed,
         b.use_curl ? (size_t)0 : b.heap_peak);
  for (size_t i = 0; i < b.nerrs; i++) printf("%s\"%s\":%zu", i ? "," : "", b.errs[i].name, b.errs[i].n);
  printf("}}\n");

  if (b.client) smv_client_free(b.client);
  /* The client ends its connections cleanly (each waits up to a second for the server's end): let
   * it finish before the bench closes what is its own. */
  uv_run(b.loop, UV_RUN_DEFAULT);
  uv_walk(b.loop, close_all, NULL);
  uv_run(b.loop, UV_RUN_DEFAULT);
  uv_loop_close(b.loop);
  for (size_t i = 0; i < b.nurls; i++) free(b.urls[i]);
  free(b.urls);
  free(b.t0);
  free(b.lat);
  for (size_t i = 0; i < b.nerrs; i++) free(b.errs[i].sample);
  free(b.tok_slot);
  free(b.tok_seen);
  return (b.failed == 0 && b.ok == b.flows && b.cb_valid == b.nurls) ? 0 : 1;
}

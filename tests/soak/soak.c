/* Soak: many flows through the library in one process, against the project's test server on the same
 * loop, checking that nothing accumulates. A device runs the client for months without a restart, so a
 * few bytes or one descriptor lost per flow is a failure even when every flow succeeds.
 *
 *   soak [--seq N] [--par N] [--shared N] [--rss-margin-kb K] [--url-path P]
 *
 * Each flow must succeed (returnUrl or completed).
 * Phase "seq": N flows one after another, each on its own client; after each client is freed the
 * allocator hook must be back to zero bytes and the descriptors back to the start count.
 * Phase "par": N flows at once on one client; after they finish and the client is freed, the same.
 * Phase "shared": N flows one after another on one long-lived client (keep-alive, session cache):
 * its live bytes may not grow past what it held after the first tenth of them.
 * Resident memory (VmRSS) at the end may exceed the level after warm-up by at most the margin
 * (not checked under ASan, whose quarantine holds freed memory on purpose). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "helpers/test_server.h"
#include "smv.h"

#if defined(__SANITIZE_ADDRESS__)
#define SOAK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SOAK_ASAN 1
#endif
#endif
#ifndef SOAK_ASAN
#define SOAK_ASAN 0
#endif

typedef struct hook_stats {
  size_t current, peak;
  unsigned long blocks;
} hook_stats;

/* Each block carries its size in front so that the hook can count what is live. */
#define HDR 16
static void *h_malloc(size_t n, void *ud) {
  hook_stats *s = ud;
  unsigned char *p = malloc(n + HDR);
  if (!p) return NULL;
  memcpy(p, &n, sizeof n);
  s->current += n;
  s->blocks++;
  if (s->current > s->peak) s->peak = s->current;
  return p + HDR;
}
static void h_free(void *q, void *ud) {
  hook_stats *s = ud;
  if (!q) return;
  unsigned char *p = (unsigned char *)q - HDR;
  size_t n;
  memcpy(&n, p, sizeof n);
  s->current -= n;
  s->blocks--;
  free(p);
}
static void *h_realloc(void *q, size_t n, void *ud) {
  if (!q) return h_malloc(n, ud);
  hook_stats *s = ud;
  unsigned char *p = (unsigned char *)q - HDR;
  size_t old;
  memcpy(&old, p, sizeof old);
  unsigned char *np = realloc(p, n + HDR);
  if (!np) return NULL;
  memcpy(np, &n, sizeof n);
  s->current = s->current - old + n;
  if (s->current > s->peak) s->peak = s->current;
  return np + HDR;
}

static hook_stats hs;
static const smv_allocator hook = {h_malloc, h_realloc, h_free, &hs};

static uv_loop_t loop;
static char url[512];
static char ca[512];
static unsigned done_count, bad_count;
static int first_error;

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n - 1; /* the directory's own descriptor */
}

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long kb = -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) kb = strtol(line + 6, NULL, 10);
  fclose(f);
  return kb;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void on_done(smv_flow *flow, const smv_result *r, void *ud) {
  (void)flow;
  (void)ud;
  done_count++;
  if (r->error != SMV_OK || (r->outcome != SMV_OUTCOME_RETURN_URL && r->outcome != SMV_OUTCOME_COMPLETED)) {
    bad_count++;
    if (!first_error) {
      first_error = r->error ? r->error : -1;
      fprintf(stderr, "soak: flow failed: %s %s\n", smv_errname(r->error),
              r->error_message ? r->error_message : "");
    }
  }
}

static void config(smv_config *cfg) {
  smv_config_init(cfg);
  cfg->interface = "lo";
  cfg->declared_carrier = 1;
  cfg->return_url = "myapp://verified";
  /* The soak is about leaks, descriptors and memory, not latency: under valgrind 200 handshakes at
   * once on one loop (client and server in the same process) take minutes, so the deadlines are
   * wide enough for that. */
  cfg->max_time_ms = 600000;
  cfg->connect_timeout_ms = 600000;
  cfg->response_timeout_ms = 600000;
}

static smv_client *client_new(void) {
  smv_client_options o = {.version = SMV_CLIENT_OPTIONS_VERSION, .allocator = &hook, .cacert_file = ca};
  smv_client *c = NULL;
  if (smv_client_new(&loop, &o, &c) != 0) {
    fprintf(stderr, "soak: smv_client_new failed\n");
    exit(1);
  }
  return c;
}

static void run_until(unsigned target) {
  while (done_count < target) uv_run(&loop, UV_RUN_ONCE);
}

/* After a client is freed the loop still has close callbacks to run, and the server still has to see
 * the connections close: give it a moment. */
static void settle(int want_fds) {
  double t0 = now_ms();
  do {
    uv_run(&loop, UV_RUN_NOWAIT);
    if (hs.current == 0 && count_fds() <= want_fds) return;
    uv_sleep(1);
  } while (now_ms() - t0 < 3000);
}

static int fails;
#define CHECK(cond, ...)                   \
  do {                                     \
    if (!(cond)) {                         \
      fprintf(stderr, "soak: FAIL: " __VA_ARGS__); \
      fputc('\n', stderr);                 \
      fails++;                             \
    }                                      \
  } while (0)

static void start_flow(smv_client *c) {
  smv_config cfg;
  config(&cfg);
  smv_flow *f;
  int rc = smv_flow_start(c, url, &cfg, on_done, NULL, &f);
  if (rc != 0) {
    fprintf(stderr, "soak: smv_flow_start: %s\n", smv_errname(rc));
    exit(1);
  }
}

int main(int argc, char **argv) {
  unsigned nseq = 1000, npar = 200, nshared = 200;
  long margin_kb = 1024;
  const char *path = "/chain/start";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--seq") && i + 1 < argc) nseq = (unsigned)atoi(argv[++i]);
    else if (!strcmp(argv[i], "--par") && i + 1 < argc) npar = (unsigned)atoi(argv[++i]);
    else if (!strcmp(argv[i], "--shared") && i + 1 < argc) nshared = (unsigned)atoi(argv[++i]);
    else if (!strcmp(argv[i], "--rss-margin-kb") && i + 1 < argc) margin_kb = atol(argv[++i]);
    else if (!strcmp(argv[i], "--url-path") && i + 1 < argc) path = argv[++i];
    else {
      fprintf(stderr, "usage: soak [--seq N] [--par N] [--shared N] [--rss-margin-kb K] [--url-path P]\n");
      return 2;
    }
  }
  uv_loop_init(&loop);
  smv_test_server srv;
  smv__testserver_opts so;
  memset(&so, 0, sizeof so);
  so.request_timeout_ms = 600000; /* see config(): handshakes queue for minutes under valgrind */
  char err[256];
  if (smv_test_server_start(&srv, &loop, &so, err, sizeof err) != 0) {
    fprintf(stderr, "soak: test server: %s\n", err);
    return 1;
  }
  snprintf(url, sizeof url, "%s%s", srv.https, path);
  snprintf(ca, sizeof ca, "%s", srv.ca);

  /* Warm-up: the first flows allocate what a process allocates once (mbedTLS tables, libc caches). */
  int fd0 = count_fds();
  for (unsigned i = 0; i < 5; i++) {
    smv_client *cl = client_new();
    start_flow(cl);
    run_until(done_count + 1);
    smv_client_free(cl);
    settle(fd0);
  }
  /* ... and one round at full concurrency, so that the C library's heap has reached its size. */
  {
    smv_client *cl = client_new();
    unsigned target = done_count + npar;
    for (unsigned i = 0; i < npar; i++) start_flow(cl);
    run_until(target);
    smv_client_free(cl);
    settle(fd0);
  }
  long rss_warm = rss_kb();
  printf("soak: start: %d descriptors, VmRSS %ld kB, url %s\n", fd0, rss_warm, url);

  double t0 = now_ms();
  unsigned base = done_count;
  size_t peak_flow = 0;
  hs.peak = 0;
  for (unsigned i = 0; i < nseq; i++) {
    smv_client *cl = client_new();
    start_flow(cl);
    run_until(base + i + 1);
    smv_client_free(cl);
    settle(fd0);
    if (hs.peak > peak_flow) peak_flow = hs.peak;
    hs.peak = 0;
    CHECK(hs.current == 0, "seq flow %u: %zu bytes in %lu blocks still allocated after the client was freed",
          i, hs.current, hs.blocks);
    CHECK(count_fds() == fd0, "seq flow %u: %d descriptors open, %d at the start", i, count_fds(), fd0);
    if (fails > 5) break;
  }
  double t1 = now_ms();
  printf("soak: seq: %u flows in %.0f ms (%.1f ms each), peak heap %zu bytes per flow\n", nseq, t1 - t0,
         nseq ? (t1 - t0) / nseq : 0.0, peak_flow);

  base = done_count;
  hs.peak = 0;
  smv_client *shared = client_new();
  for (unsigned i = 0; i < npar; i++) start_flow(shared);
  run_until(base + npar);
  printf("soak: par: %u flows at once in %.0f ms, peak heap %zu bytes\n", npar, now_ms() - t1, hs.peak);
  smv_client_free(shared);
  settle(fd0);
  CHECK(hs.current == 0, "par: %zu bytes in %lu blocks still allocated after the client was freed", hs.current,
        hs.blocks);
  CHECK(count_fds() == fd0, "par: %d descriptors open, %d at the start", count_fds(), fd0);

  double t2 = now_ms();
  base = done_count;
  shared = client_new();
  size_t plateau = 0;
  for (unsigned i = 0; i < nshared; i++) {
    start_flow(shared);
    run_until(base + i + 1);
    if (i == nshared / 10) plateau = hs.current;
    /* room for the session cache replacing one ticket by another of a different size */
    if (i > nshared / 10)
      CHECK(hs.current <= plateau + 4096, "shared flow %u: %zu live bytes, %zu after warm-up", i, hs.current,
            plateau);
    if (fails > 5) break;
  }
  printf("soak: shared: %u flows on one client in %.0f ms, %zu live bytes at the end\n", nshared,
         now_ms() - t2, hs.current);
  smv_client_free(shared);
  settle(fd0);
  CHECK(hs.current == 0, "shared: %zu bytes still allocated after the client was freed", hs.current);
  CHECK(count_fds() == fd0, "shared: %d descriptors open, %d at the start", count_fds(), fd0);

  long rss_end = rss_kb();
  printf("soak: VmRSS %ld kB after warm-up, %ld kB at the end (margin %ld kB%s)\n", rss_warm, rss_end,
         margin_kb, SOAK_ASAN ? ", not checked under ASan" : "");
  if (!SOAK_ASAN) CHECK(rss_end <= rss_warm + margin_kb, "VmRSS grew by %ld kB", rss_end - rss_warm);
  CHECK(bad_count == 0, "%u of %u flows failed (first: %s)", bad_count, done_count,
        smv_errname(first_error));

  smv_test_server_stop(&srv);
  uv_loop_close(&loop);
  printf("soak: %s\n", fails ? "FAILED" : "ok");
  return fails ? 1 : 0;
}

/* The sandbox's I/O: everything that touches sockets, files, clocks and timers, around the sans-I/O
 * service. Responses the service wants delayed (operator latency) wait on a timer that the
 * response's abort hook cancels; callbacks are journalled, then sent with backoff. */
#include "sandbox/sandbox.h"
#include "core/attr.h"
#include "io/readfile.h"
#include "sandbox/sb_util.h"

#include <cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "io/tls.h"
#include "sandbox/sb_fetch.h"
#include "sandbox/sb_journal.h"
#include "sandbox/sb_service.h"
#include "server/certgen.h"
#include "server/server.h"
#include "smv.h"

typedef struct cbjob cbjob;
struct cbjob {
  smv__sandbox *sb;
  uint64_t seq;                 /* journal record; 0 when the journal is unavailable */
  char *url;
  char token[40];
  char result[24];
  unsigned attempts;
  uv_timer_t timer;
  smv__sb_fetch *get;
  cbjob *prev, *next;
};

typedef struct delayed {
  smv__sandbox *sb;
  uv_timer_t timer;
  smv__srv_response *res;
  smv__sb_response out;
} delayed;

struct smv__sandbox {
  uv_loop_t *loop;
  smv__sb_config *cfg;
  smv__alloc alloc;
  smv__sb_service svc;
  smv__server *srv;
  smv__srv_listener *api, *op;
  smv__certgen_cert *ca, *leaf;
  smv__tls_conf *tls_client;    /* for https callbacks, made on first use */
  char *cert_pem, *key_pem;     /* loaded from files */
  char api_url[320], op_url[320], ca_path[600], state_dir[520];
  smv__sb_journal journal;
  int journal_ok;
  uv_timer_t sweep;
  cbjob *jobs;
  size_t job_count;
  smv__sandbox_log_cb log;
  void *log_ud;
  int stopping;
  int temp_state;               /* the state directory is ours: removed at stop */
  void (*done)(void *);
  void *done_data;
};

SMV__PRINTF(2, 3)
static void sblog(smv__sandbox *sb, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  smv__sb_vlog(sb->log, sb->log_ud, fmt, ap);
  va_end(ap);
}

static uint64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int smv__sandbox_random(void *ud, unsigned char *buf, size_t n) {
  (void)ud;
  while (n) {
    ssize_t r = getrandom(buf, n, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += r;
    n -= (size_t)r;
  }
  return 0;
}

static void fx_random(void *ud, unsigned char *buf, size_t n) {
  /* no entropy: tokens would be guessable; refuse to go on */
  if (smv__sandbox_random(ud, buf, n)) abort();
}

static void fx_log(void *ud, const char *line) { sblog(ud, "%s", line); }

/* ---- callbacks ---- */

static void job_attempt(smv__sandbox *sb, cbjob *j);

static void job_closed(uv_handle_t *h) {
  cbjob *j = h->data;
  free(j->url);
  free(j);
}

static void job_remove(smv__sandbox *sb, cbjob *j) {
  if (j->prev) j->prev->next = j->next;
  else sb->jobs = j->next;
  if (j->next) j->next->prev = j->prev;
  sb->job_count--;
  uv_close((uv_handle_t *)&j->timer, job_closed);
}

static void job_timer(uv_timer_t *t) {
  cbjob *j = t->data;
  job_attempt(j->sb, j);
}

static void job_done(smv__sb_fetch *g, int status, const char *body, size_t body_len, void *ud) {
  cbjob *j = ud;
  smv__sandbox *sb = j->sb;
  (void)g;
  (void)body;
  (void)body_len;
  j->get = NULL;
  j->attempts++;
  int retry = status < 0 || status >= 500 || status == 408 || status == 429;
  if (!retry) {
    sblog(sb, "callback %s %s delivered (HTTP %d, attempt %u)", j->result, j->token, status,
          j->attempts);
    if (sb->journal_ok && j->seq) smv__sb_journal_done(&sb->journal, j->seq, 1);
    job_remove(sb, j);
    return;
  }
  const char *why = status < 0 ? smv_strerror(status) : "server error";
  if (j->attempts >= sb->cfg->callback_max_attempts) {
    sblog(sb, "callback %s %s abandoned after %u attempts (%s)", j->result, j->token, j->attempts,
          why);
    if (sb->journal_ok && j->seq) smv__sb_journal_done(&sb->journal, j->seq, 0);
    job_remove(sb, j);
    return;
  }
  uint64_t backoff = sb->cfg->callback_backoff_ms;
  for (unsigned i = 1; i < j->attempts && backoff < sb->cfg->callback_backoff_max_ms; i++)
    backoff *= 2;
  if (backoff > sb->cfg->callback_backoff_max_ms) backoff = sb->cfg->callback_backoff_max_ms;
  char code[16] = "";
  if (status > 0) snprintf(code, sizeof(code), " %d", status);
  sblog(sb, "callback %s %s failed (%s%s), retry %u in %llu ms", j->result, j->token, why, code,
        j->attempts, (unsigned long long)backoff);
  uv_timer_start(&j->timer, job_timer, backoff, 0);
}

static void job_attempt(smv__sandbox *sb, cbjob *j) {
  smv__sb_fetch_req r;
  memset(&r, 0, sizeof(r));
  r.url = j->url;
  r.timeout_ms = sb->cfg->callback_timeout_ms;
  r.alloc = &sb->alloc;
  if (strncasecmp(j->url, "https://", 8) == 0 && !sb->tls_client) {
    /* https receivers are checked against the system's roots (or callbacks.cacert) */
    smv__tls_client_opts o;
    memset(&o, 0, sizeof(o));
    o.cacert_file = sb->cfg->callback_cacert[0] ? sb->cfg->callback_cacert : NULL;
    smv__alloc *prev = smv__alloc_enter(&sb->alloc);
    int trc = smv__tls_conf_client_new(&sb->alloc, &o, &sb->tls_client);
    smv__alloc_leave(prev);
    if (trc) sb->tls_client = NULL;
  }
  r.tls = sb->tls_client;
  int rc = smv__sb_fetch_start(sb->loop, &r, job_done, j, &j->get);
  if (rc) job_done(NULL, rc, NULL, 0, j);
}

static void job_add(smv__sandbox *sb, uint64_t seq, const char *url, const char *token,
                    const char *result, unsigned delay_ms) {
  cbjob *j = calloc(1, sizeof(*j));
  if (!j || !(j->url = strdup(url))) {
    free(j);
    sblog(sb, "out of memory: callback %s for %s lost", result, token);
    return;
  }
  j->sb = sb;
  j->seq = seq;
  snprintf(j->token, sizeof(j->token), "%s", token);
  snprintf(j->result, sizeof(j->result), "%s", result);
  uv_timer_init(sb->loop, &j->timer);
  j->timer.data = j;
  j->next = sb->jobs;
  if (sb->jobs) sb->jobs->prev = j;
  sb->jobs = j;
  sb->job_count++;
  uv_timer_start(&j->timer, job_timer, delay_ms, 0);
}

static void fx_deliver(void *ud, const char *url, const char *token, const char *result,
                       unsigned delay_ms) {
  smv__sandbox *sb = ud;
  uint64_t seq = 0;
  if (sb->journal_ok && smv__sb_journal_add(&sb->journal, token, result, url, &seq)) {
    sblog(sb, "journal write failed: callback %s for %s is not durable", result, token);
    seq = 0;
  }
  job_add(sb, seq, url, token, result, delay_ms);
}

static void replay(void *ud, uint64_t seq, const char *token, const char *result, const char *url) {
  smv__sandbox *sb = ud;
  sblog(sb, "journal: callback %s for %s still to deliver", result, token);
  job_add(sb, seq, url, token, result, 0);
}

/* ---- requests ---- */

static void send_out(smv__srv_response *res, const smv__sb_response *out) {
  smv__srv_response_set_status(res, out->status, NULL);
  if (out->location[0]) smv__srv_response_add_header(res, "Location", out->location);
  if (out->allow) smv__srv_response_add_header(res, "Allow", out->allow);
  if (out->www_authenticate) smv__srv_response_add_header(res, "WWW-Authenticate", out->www_authenticate);
  smv__srv_response_add_header(res, "Cache-Control", "no-store");
  if (out->no_cache) smv__srv_response_add_header(res, "Pragma", "no-cache");
  if (out->x_correlator[0]) smv__srv_response_add_header(res, "x-correlator", out->x_correlator);
  if (out->body_len) {
    smv__srv_response_add_header(res, "Content-Type",
                                 out->content_type ? out->content_type : "application/json");
    smv__srv_response_set_body(res, out->body, out->body_len);
  }
  smv__srv_response_send(res);
}

static void delayed_closed(uv_handle_t *h) { free(h->data); }

static void delayed_fire(uv_timer_t *t) {
  delayed *d = t->data;
  smv__srv_response *res = d->res;
  d->res = NULL;
  smv__srv_response_on_abort(res, NULL, NULL);
  send_out(res, &d->out);
  uv_close((uv_handle_t *)&d->timer, delayed_closed);
}

static void delayed_abort(smv__srv_response *res, void *data) {
  delayed *d = data;
  (void)res;
  uv_timer_stop(&d->timer);
  uv_close((uv_handle_t *)&d->timer, delayed_closed);
}

static void on_request(smv__server *srv, const smv__srv_request *req, smv__srv_response *res,
                       void *ud) {
  smv__sandbox *sb = ud;
  (void)srv;
  smv__sb_request r;
  r.listener = req->listener == sb->op ? SMV__SB_OPERATOR : SMV__SB_API;
  r.method = req->method;
  r.target = req->target;
  r.authorization = smv__srv_request_header(req, "Authorization");
  r.content_type = smv__srv_request_header(req, "Content-Type");
  r.body = (const char *)req->body;
  r.body_len = req->body_len;
  r.peer_ip = req->peer_ip;
  r.peer_port = req->peer_port;
  /* the server bounds the header count (its limits.max_headers, 64 by default) */
  smv__sb_header hdrs[128];
  r.header_count = req->header_count < 128 ? req->header_count : 128;
  for (size_t i = 0; i < r.header_count; i++) {
    hdrs[i].name = req->headers[i].name;
    hdrs[i].value = req->headers[i].value;
  }
  r.headers = hdrs;
  delayed *d = malloc(sizeof(*d));
  if (!d) {
    smv__srv_respond(res, 503, NULL, NULL, 0);
    return;
  }
  smv__sb_service_handle(&sb->svc, &r, wall_ms(), &d->out);
  if (!d->out.delay_ms) {
    send_out(res, &d->out);
    free(d);
    return;
  }
  d->sb = sb;
  d->res = res;
  uv_timer_init(sb->loop, &d->timer);
  d->timer.data = d;
  smv__srv_response_on_abort(res, delayed_abort, d);
  uv_timer_start(&d->timer, delayed_fire, d->out.delay_ms, 0);
}

static void on_sweep(uv_timer_t *t) {
  smv__sandbox *sb = t->data;
  smv__sb_service_sweep(&sb->svc, wall_ms());
}

/* ---- start ---- */


SMV__PRINTF(3, 4)
static int fail(char *err, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (cap) vsnprintf(err, cap, fmt, ap);
  va_end(ap);
  return -1;
}

static int make_certs(smv__sandbox *sb, char *err, size_t errcap) {
  smv__sb_config *cfg = sb->cfg;
  if (cfg->cert_file[0]) {
    sb->cert_pem = smv__read_file(cfg->cert_file, 1u << 20, NULL);
    sb->key_pem = smv__read_file(cfg->key_file, 1u << 20, NULL);
    if (!sb->cert_pem || !sb->key_pem)
      return fail(err, errcap, "cannot read %s or %s", cfg->cert_file, cfg->key_file);
    snprintf(sb->ca_path, sizeof(sb->ca_path), "%s", cfg->ca_file[0] ? cfg->ca_file : cfg->cert_file);
    return 0;
  }
  int rc = smv__certgen_ca(&sb->alloc, "smv sandbox CA", &sb->ca);
  if (rc) return fail(err, errcap, "CA generation failed: %s", smv_strerror(rc));
  const char *ips[4], *dns[2];
  size_t ni = 0, nd = 0;
  ips[ni++] = "127.0.0.1";
  ips[ni++] = "::1";
  if (strcmp(cfg->listen_ip, "127.0.0.1") && strcmp(cfg->listen_ip, "::1") &&
      strcmp(cfg->listen_ip, "0.0.0.0") && strcmp(cfg->listen_ip, "::"))
    ips[ni++] = cfg->listen_ip;
  dns[nd++] = "localhost";
  char host[256] = "";
  if (cfg->api_host[0]) {
    /* host part of host[:port] */
    const char *h = cfg->api_host;
    size_t hl = h[0] == '[' ? strcspn(h + 1, "]") : strcspn(h, ":");
    snprintf(host, sizeof(host), "%.*s", (int)hl, h[0] == '[' ? h + 1 : h);
    smv__sb_addr a;
    if (smv__sb_addr_parse(&a, host) == 0) ips[ni++] = host;
    else dns[nd++] = host;
  }
  rc = smv__certgen_server(&sb->alloc, sb->ca, dns, nd, ips, ni, &sb->leaf);
  if (rc) return fail(err, errcap, "server certificate generation failed: %s", smv_strerror(rc));
  snprintf(sb->ca_path, sizeof(sb->ca_path), "%s/ca.pem", sb->state_dir);
  rc = smv__certgen_write_file(sb->ca_path, smv__certgen_cert_pem(sb->ca));
  if (rc) return fail(err, errcap, "cannot write %s", sb->ca_path);
  return 0;
}

static void base_url(char *out, size_t cap, const char *scheme, const char *host_override,
                     const char *ip, unsigned port) {
  if (host_override[0]) {
    snprintf(out, cap, "%s://%s", scheme, host_override);
    return;
  }
  if (!strcmp(ip, "0.0.0.0")) ip = "127.0.0.1";
  if (!strcmp(ip, "::")) ip = "::1";
  int v6 = strchr(ip, ':') != NULL;
  snprintf(out, cap, "%s://%s%s%s:%u", scheme, v6 ? "[" : "", ip, v6 ? "]" : "", port);
}

static void free_parts(smv__sandbox *sb) {
  if (sb->temp_state) {
    /* nobody can restart on a directory they were never told about: clean it up */
    static const char *const files[] = {"ca.pem", "callbacks.journal", "callbacks.journal.tmp"};
    char p[700];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
      snprintf(p, sizeof(p), "%s/%s", sb->state_dir, files[i]);
      unlink(p);
    }
    rmdir(sb->state_dir);
  }
  if (sb->tls_client) {
    smv__alloc *prev = smv__alloc_enter(&sb->alloc);
    smv__tls_conf_free(sb->tls_client);
    smv__alloc_leave(prev);
  }
  if (sb->leaf) smv__certgen_free(sb->leaf);
  if (sb->ca) smv__certgen_free(sb->ca);
  free(sb->cert_pem);
  free(sb->key_pem);
  smv__sb_service_free(&sb->svc);
  smv__sb_journal_close(&sb->journal);
}

int smv__sandbox_start(uv_loop_t *loop, smv__sb_config *cfg, smv__sandbox_log_cb log, void *log_ud,
                       smv__sandbox **out, char *err, size_t errcap) {
  smv__sandbox *sb = calloc(1, sizeof(*sb));
  if (!sb) return SMV_ERR_NOMEM;
  sb->loop = loop;
  sb->cfg = cfg;
  sb->log = log;
  sb->log_ud = log_ud;
  sb->journal.fd = -1;
  smv__alloc_init(&sb->alloc, NULL);
  int rc = SMV_ERR_IO;

  if (cfg->state_dir[0]) {
    snprintf(sb->state_dir, sizeof(sb->state_dir), "%s", cfg->state_dir);
    if (mkdir(sb->state_dir, 0700) && errno != EEXIST) {
      fail(err, errcap, "cannot create %s: %s", sb->state_dir, strerror(errno));
      goto out_free;
    }
  } else {
    const char *tmp = getenv("TMPDIR");
    snprintf(sb->state_dir, sizeof(sb->state_dir), "%s/smv-sandbox.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(sb->state_dir)) {
      fail(err, errcap, "cannot create a state directory: %s", strerror(errno));
      goto out_free;
    }
    sb->temp_state = 1;
  }
  if (make_certs(sb, err, errcap)) goto out_free;

  smv__srv_config sc;
  memset(&sc, 0, sizeof(sc));
  sc.handler = on_request;
  sc.user_data = sb;
  sc.server_header = "smv-sandbox";
  /* Bodies up to 4x the API's limit reach the service, which answers them with the seed's ERROR
   * JSON (1003); beyond that the server cuts the connection with its own 413. */
  sc.limits.max_body_bytes = cfg->max_body_bytes * 4;
  sc.limits.max_connections = cfg->max_connections;
  rc = smv__server_new(loop, &sc, &sb->srv);
  if (rc) {
    fail(err, errcap, "server: %s", smv_strerror(rc));
    goto out_free;
  }
  smv__srv_tls tls;
  memset(&tls, 0, sizeof(tls));
  tls.cert_pem = sb->leaf ? smv__certgen_cert_pem(sb->leaf) : sb->cert_pem;
  tls.key_pem = sb->leaf ? smv__certgen_key_pem(sb->leaf) : sb->key_pem;
  rc = smv__server_listen(sb->srv, cfg->listen_ip, cfg->api_port, &tls, NULL, &sb->api);
  if (rc) {
    fail(err, errcap, "API listener %s port %u: %s", cfg->listen_ip, cfg->api_port, smv_strerror(rc));
    goto out_server;
  }
  rc = smv__server_listen(sb->srv, cfg->listen_ip, cfg->operator_port, NULL, NULL, &sb->op);
  if (rc) {
    fail(err, errcap, "operator listener %s port %u: %s", cfg->listen_ip, cfg->operator_port,
         smv_strerror(rc));
    goto out_server;
  }
  base_url(sb->api_url, sizeof(sb->api_url), "https", cfg->api_host, cfg->listen_ip,
           smv__srv_listener_port(sb->api));
  base_url(sb->op_url, sizeof(sb->op_url), "http", cfg->operator_host, cfg->listen_ip,
           smv__srv_listener_port(sb->op));

  smv__sb_effects fx = {sb, fx_random, fx_deliver, fx_log};
  rc = smv__sb_service_init(&sb->svc, cfg, &fx, sb->api_url, sb->op_url);
  if (rc) {
    fail(err, errcap, "out of memory");
    goto out_server;
  }
  char jpath[600];
  snprintf(jpath, sizeof(jpath), "%s/callbacks.journal", sb->state_dir);
  rc = smv__sb_journal_open(&sb->journal, jpath, replay, sb);
  if (rc) {
    fail(err, errcap, "%s: %s", jpath,
         rc == SMV_ERR_INVALID_ARG ? "in use by another sandbox" : strerror(errno));
    goto out_server;
  }
  sb->journal_ok = 1;
  uv_timer_init(loop, &sb->sweep);
  sb->sweep.data = sb;
  uv_timer_start(&sb->sweep, on_sweep, 1000, 1000);
  uv_unref((uv_handle_t *)&sb->sweep);
  sblog(sb, "sandbox up: API %s, operator %s, CA %s, state %s", sb->api_url, sb->op_url,
        sb->ca_path, sb->state_dir);
  *out = sb;
  return 0;

out_server:
  /* Nothing ran on the loop yet: the server can be freed directly (server.h allows it). */
  smv__server_free(sb->srv);
out_free:
  free_parts(sb);
  free(sb);
  return rc ? rc : SMV_ERR_IO;
}

const char *smv__sandbox_api_url(const smv__sandbox *sb) { return sb->api_url; }
const char *smv__sandbox_operator_url(const smv__sandbox *sb) { return sb->op_url; }
const char *smv__sandbox_ca_path(const smv__sandbox *sb) { return sb->ca_path; }
const struct smv__certgen_cert *smv__sandbox_ca(const smv__sandbox *sb) { return sb->ca; }
size_t smv__sandbox_pending_callbacks(const smv__sandbox *sb) { return sb->job_count; }

size_t smv__sandbox_ready_line(const smv__sandbox *sb, char *buf, size_t cap) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return 0;
  cJSON_AddStringToObject(o, "api", sb->api_url);
  cJSON_AddStringToObject(o, "operator", sb->op_url);
  cJSON_AddStringToObject(o, "ca", sb->ca_path);
  cJSON_AddStringToObject(o, "user", sb->cfg->user);
  cJSON_AddStringToObject(o, "password", sb->cfg->password);
  /* CAMARA: where a client starts, and the first registered client */
  const smv__sb_client *cl = &sb->cfg->clients[0];
  char disc[400];
  snprintf(disc, sizeof(disc), "%s" SMV__SB_OIDC_DISCOVERY, sb->api_url);
  cJSON *cam = cJSON_AddObjectToObject(o, "camara");
  cJSON_AddStringToObject(cam, "discovery", disc);
  cJSON_AddStringToObject(cam, "client_id", cl->client_id);
  if (cl->client_secret[0]) cJSON_AddStringToObject(cam, "client_secret", cl->client_secret);
  else cJSON_AddNullToObject(cam, "client_secret");
  cJSON_AddStringToObject(cam, "redirect_uri", cl->redirect_uris[0]);
  int ok = cJSON_PrintPreallocated(o, buf, (int)cap, 0);
  cJSON_Delete(o);
  return ok ? strlen(buf) : 0;
}

/* ---- stop ---- */

static void sweep_closed(uv_handle_t *h) {
  smv__sandbox *sb = h->data;
  void (*done)(void *) = sb->done;
  void *data = sb->done_data;
  free_parts(sb);
  free(sb);
  if (done) done(data);
}

static void drained(smv__server *srv, void *data) {
  smv__sandbox *sb = data;
  smv__server_free(srv);
  sb->srv = NULL;
  /* Undelivered callbacks stay in the journal; their handles close here. */
  while (sb->jobs) {
    cbjob *j = sb->jobs;
    if (j->get) smv__sb_fetch_cancel(j->get);
    j->get = NULL;
    uv_timer_stop(&j->timer);
    job_remove(sb, j);
  }
  /* the jobs' close callbacks do not touch the sandbox, so their order does not matter */
  uv_close((uv_handle_t *)&sb->sweep, sweep_closed);
}

void smv__sandbox_stop(smv__sandbox *sb, void (*done)(void *data), void *data) {
  if (sb->stopping) return;
  sb->stopping = 1;
  sb->done = done;
  sb->done_data = data;
  uv_timer_stop(&sb->sweep);
  sblog(sb, "draining (%zu callbacks pending)", sb->job_count);
  smv__server_drain(sb->srv, 2000, drained, sb);
}

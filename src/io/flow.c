/* One flow: path, then hop after hop (DNS on the path, TCP bound to it, TLS, request, response),
 * with the redirect engine deciding after each response. Everything here is sequencing and
 * bookkeeping; the decisions live in src/core (redirect policy, framing, cookies) and the platform
 * (which path, bound how). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "core/attr.h"
#include "core/cookie.h"
#include "core/http_request.h"
#include "core/http_framing.h"
#include "core/http_response.h"
#include "core/redact.h"
#include "core/redirect.h"
#include "core/seed_json.h"
#include "io/config.h"
#include "io/dns.h"
#include "io/flow.h"
#include "io/conn.h"
#include "io/race.h"
#include "io/resolve.h"
#include "io/result.h"

typedef enum phase { PH_IDLE, PH_DNS, PH_CONNECT, PH_TLS, PH_SEND, PH_WAIT, PH_RECEIVE, PH_DONE } phase;

struct smv_flow {
  smv_client *client;
  smv_flow *next;
  smv_config cfg;
  char *strings;                /* the copied strings of cfg */
  smv_done_cb cb;
  void *ud;
  smv__redirect redir;
  smv__cookie_jar *jar;         /* made when the chain sets its first cookie */
  smv__path path;               /* the chosen path (the verdict's evidence went to the result) */
  smv__path *clat;              /* its CLAT (464XLAT), or NULL (allocated: most paths have none) */
  int bound;                    /* path is the one every socket is bound to */
  smv__path_watch watch;
  uv_poll_t watch_poll;
  int watching;
  smv__resolve rs;              /* the hops' addresses on the path (DNS, cache, CLAT, NAT64) */
  smv__race race;               /* the hop's connection attempts (Happy Eyeballs) */
  uv_timer_t deadline, phase_timer;
  smv__conn *conn;
  char *host;                   /* the hop's URL host, at its own size */
  struct sockaddr_in6 won;      /* the hop's connected address and the path bound to (for a retry) */
  const smv__path *won_path;
  phase ph;
  int retried_reuse;            /* a reused connection that died before answering was retried */
  int retried_full;             /* a refused psk_ke-only resumption was retried in full */
  smv__http_response resp;
  char *scratch;                /* one header line, sized from max_location_bytes; held only from a
                                   response's first byte to its end (response_begin, hop_done) */
  size_t scratch_size;
  char *req;
  size_t req_len;
  char *body;
  size_t body_len, body_cap;
  char *hdr_text;               /* response headers, for the HAR */
  size_t hdr_len, hdr_cap;
  int status;
  int resp_complete, resp_keep_alive;
  size_t resp_bytes;
  smv_result result;
  size_t hops_cap;
  uint64_t t0_ns, hop_t0_ns, phase_t0_ns;
  int finished;
  unsigned open_handles;
  int in_callback;
};


static void hop_start(smv_flow *f);
static void finish(smv_flow *f, int err, const char *fmt, ...) SMV__PRINTF(3, 4);
static void trace(smv_flow *f, smv_trace_phase ph, const char *fmt, ...) SMV__PRINTF(3, 4);

static double ms_since(uint64_t t0) { return (double)(uv_hrtime() - t0) / 1e6; }

/* ---- trace ---------------------------------------------------------------------------------------- */
/* What the trace shows: redacted (core/redact.h) unless show_secrets. */
static void shown(const smv_flow *f, const char *in, char *out, size_t cap) {
  if (!f->cfg.show_secrets) {
    smv__redact(in, out, cap);
    return;
  }
  size_t n = strnlen(in, cap - 1); /* cut at the buffer's end, as redaction does */
  memcpy(out, in, n);
  out[n] = '\0';
}

static void trace(smv_flow *f, smv_trace_phase ph, const char *fmt, ...) {
  if (!f->cfg.trace) return;
  char raw[1024], clean[1200], url[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(raw, sizeof(raw), fmt, ap);
  va_end(ap);
  shown(f, raw, clean, sizeof(clean));
  shown(f, f->redir.current->href, url, sizeof(url));
  f->cfg.trace(f->cfg.trace_user_data, (int)f->result.hop_count, ph, ms_since(f->t0_ns), url, clean);
}

/* ---- handles ------------------------------------------------------------------------------------- */
static void on_handle_closed(uv_handle_t *h) {
  smv_flow *f = h->data;
  if (--f->open_handles == 0) {
    smv_client *cl = f->client;
    smv__alloc *a = &cl->alloc;
    smv__free(a, f->scratch);
    smv__free(a, f->jar);
    smv__free(a, f->clat);
    smv__free(a, f->host);
    smv__free(a, f->strings);
    smv__redirect_free(&f->redir);
    smv__free(a, f);
    smv__client_close_end(cl);
  }
}

static void stop_phase_timer(smv_flow *f) { uv_timer_stop(&f->phase_timer); }

static int phase_timeout_err(phase ph) {
  switch (ph) {
  case PH_DNS: return SMV_ERR_TIMEOUT_DNS;
  case PH_CONNECT: return SMV_ERR_TIMEOUT_CONNECT;
  case PH_TLS: return SMV_ERR_TIMEOUT_TLS;
  default: return SMV_ERR_TIMEOUT_RESPONSE;
  }
}

static void on_phase_timeout(uv_timer_t *t) {
  smv_flow *f = t->data;
  finish(f, phase_timeout_err(f->ph), "%s (no progress for %u ms)", smv_strerror(phase_timeout_err(f->ph)),
         f->ph <= PH_TLS ? f->cfg.connect_timeout_ms : f->cfg.response_timeout_ms);
}

static void on_deadline(uv_timer_t *t) {
  smv_flow *f = t->data;
  finish(f, SMV_ERR_TIMEOUT, "the flow's deadline of %u ms passed", f->cfg.max_time_ms);
}

/* ---- hop bookkeeping ----------------------------------------------------------------------------- */
static smv_hop *cur_hop(smv_flow *f) { return f->result.hop_count ? &f->result.hops[f->result.hop_count - 1] : NULL; }

static int hop_push(smv_flow *f) {
  smv__alloc *a = &f->client->alloc;
  if (f->result.hop_count == f->hops_cap) {
    size_t cap = f->hops_cap ? f->hops_cap * 2 : 2; /* most chains are one or two hops */
    smv_hop *h = smv__realloc(a, f->result.hops, cap * sizeof(*h));
    if (!h) return SMV_ERR_NOMEM;
    f->result.hops = h;
    f->hops_cap = cap;
  }
  smv_hop *h = &f->result.hops[f->result.hop_count];
  memset(h, 0, sizeof(*h));
  h->url = smv__strndup(a, f->redir.current->href, smv__url_href_nofrag_len(f->redir.current));
  if (!h->url) return SMV_ERR_NOMEM;
  f->result.hop_count++;
  h->tls = "none";
  h->dns_ms = h->connect_ms = h->tls_ms = h->send_ms = h->wait_ms = h->receive_ms = -1;
  f->hop_t0_ns = uv_hrtime();
  h->start_ms = ms_since(f->t0_ns);
  return 0;
}

static void set_phase(smv_flow *f, phase ph) {
  smv_hop *h = cur_hop(f);
  double d = ms_since(f->phase_t0_ns);
  if (h) {
    switch (f->ph) {
    case PH_DNS: h->dns_ms = d; break;
    case PH_CONNECT: h->connect_ms = d; break;
    case PH_TLS: break; /* set in conn_ready, which knows when TCP connected */
    case PH_SEND: h->send_ms = d; break;
    case PH_WAIT: h->wait_ms = d; break;
    case PH_RECEIVE: h->receive_ms = d; break;
    default: break;
    }
  }
  f->ph = ph;
  f->phase_t0_ns = uv_hrtime();
  unsigned ms = ph <= PH_TLS ? f->cfg.connect_timeout_ms : f->cfg.response_timeout_ms;
  if (ph == PH_DNS || ph == PH_SEND || ph == PH_WAIT) uv_timer_start(&f->phase_timer, on_phase_timeout, ms, 0);
  else if (ph == PH_DONE || ph == PH_IDLE) stop_phase_timer(f);
  /* CONNECT and TLS share the connect budget started with DNS (or CONNECT when there was none);
   * RECEIVE re-arms on every byte. */
  if (ph == PH_CONNECT && !uv_is_active((uv_handle_t *)&f->phase_timer)) uv_timer_start(&f->phase_timer, on_phase_timeout, ms, 0);
}

static void reset_response(smv_flow *f) {
  smv__redirect_response_begin(&f->redir);
  f->body_len = 0;
  f->hdr_len = 0;
  f->status = 0;
  f->resp_bytes = 0;
  f->resp_complete = 0;
}

/* ---- finishing ----------------------------------------------------------------------------------- */
static void release_io(smv_flow *f, int keep_conn) {
  stop_phase_timer(f);
  uv_timer_stop(&f->deadline);
  if (f->conn) {
    if (keep_conn) smv__conn_pool_put(f->conn);
    else smv__conn_close(f->conn);
    f->conn = NULL;
  }
  smv__race_stop(&f->race);
  smv__resolve_free(&f->rs);
  if (f->watching) {
    const smv__platform *p = &f->client->platform;
    uv_poll_stop(&f->watch_poll);
    p->ops->watch_stop(p->user_data, &f->watch);
    f->watching = 0;
  }
}

static void unlink_flow(smv_flow *f) {
  for (smv_flow **pp = &f->client->flows; *pp; pp = &(*pp)->next)
    if (*pp == f) { *pp = f->next; break; }
}

static void complete(smv_flow *f, int keep_conn) {
  smv__alloc *a = &f->client->alloc;
  f->finished = 1;
  f->ph = PH_DONE;
  release_io(f, keep_conn);
  unlink_flow(f);
  f->result.stats.ms = ms_since(f->t0_ns);
  f->result.stats.dns_queries = f->rs.queries;
  f->result.stats.dns_lookups = f->rs.lookups;
  f->result.stats.heap_peak_bytes = a->peak;
  if (f->bound) snprintf(f->result.path.interface, sizeof(f->result.path.interface), "%s", f->path.name);
  trace(f, f->result.outcome == SMV_OUTCOME_ERROR ? SMV_TRACE_ERROR : SMV_TRACE_DONE, "%s%s%s",
        f->result.outcome == SMV_OUTCOME_ERROR ? smv_errname(f->result.error) : "outcome ",
        f->result.outcome == SMV_OUTCOME_ERROR ? ": " : "",
        f->result.outcome == SMV_OUTCOME_ERROR ? (f->result.error_message ? f->result.error_message : "")
        : f->result.outcome == SMV_OUTCOME_RETURN_URL ? "return_url"
        : f->result.outcome == SMV_OUTCOME_COMPLETED ? "completed" : "service_error");
  f->in_callback = 1;
  if (f->cb) f->cb(f, &f->result, f->ud);
  f->in_callback = 0;
  reset_response(f);
  smv__free(a, f->req);
  smv__free(a, f->body);
  smv__free(a, f->hdr_text);
  f->req = f->body = f->hdr_text = NULL;
  smv__result_clear(a, &f->result);
  /* The flow's memory goes when libuv has closed its handles: the client must wait for that. */
  smv__client_close_begin(f->client);
  uv_close((uv_handle_t *)&f->deadline, on_handle_closed);
  uv_close((uv_handle_t *)&f->phase_timer, on_handle_closed);
  smv__race_close(&f->race, on_handle_closed, f);
  if (f->watch_poll.data) uv_close((uv_handle_t *)&f->watch_poll, on_handle_closed);
}

static void finish(smv_flow *f, int err, const char *fmt, ...) {
  if (f->finished) return;
  f->result.outcome = SMV_OUTCOME_ERROR;
  f->result.error = err;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  f->result.error_message = smv__strdup(&f->client->alloc, msg);
  smv_hop *h = cur_hop(f);
  if (h) h->ms = ms_since(f->hop_t0_ns);
  complete(f, 0);
}

/* ---- the response -------------------------------------------------------------------------------- */
static int append(smv_flow *f, char **buf, size_t *len, size_t *cap, const char *data, size_t n) {
  if (*len + n + 1 > *cap) {
    size_t nc = *cap ? *cap : 256;
    while (nc < *len + n + 1) nc *= 2;
    char *nb = smv__realloc(&f->client->alloc, *buf, nc);
    if (!nb) return SMV_ERR_NOMEM;
    *buf = nb;
    *cap = nc;
  }
  memcpy(*buf + *len, data, n);
  *len += n;
  (*buf)[*len] = '\0';
  return 0;
}

static int on_resp_status(void *ud, int status) {
  smv_flow *f = ud;
  f->status = status;
  return 0;
}

static int on_resp_header(void *ud, const char *name, size_t nlen, const char *value, size_t vlen) {
  smv_flow *f = ud;
  int rc;
  if ((rc = append(f, &f->hdr_text, &f->hdr_len, &f->hdr_cap, name, nlen)) ||
      (rc = append(f, &f->hdr_text, &f->hdr_len, &f->hdr_cap, ": ", 2)) ||
      (rc = append(f, &f->hdr_text, &f->hdr_len, &f->hdr_cap, value, vlen)) ||
      (rc = append(f, &f->hdr_text, &f->hdr_len, &f->hdr_cap, "\n", 1)))
    return rc;
  if ((rc = smv__redirect_header(&f->redir, name, nlen, value, vlen)) != 0) return rc;
  if ((rc = smv__redirect_header(&f->redir, name, nlen, value, vlen)) != 0) return rc;
  if (smv__http_name_is(name, nlen, "set-cookie")) {
    if (!f->jar) {
      if (!(f->jar = smv__malloc(&f->client->alloc, sizeof(*f->jar)))) return SMV_ERR_NOMEM;
      smv__cookie_jar_init(f->jar);
    }
    smv__cookie_set(f->jar, f->redir.current, value, vlen);
  }
  return 0;
}

static int on_resp_body(void *ud, const char *data, size_t len) {
  smv_flow *f = ud;
  return append(f, &f->body, &f->body_len, &f->body_cap, data, len);
}

static void hop_done(smv_flow *f, int keep_alive);

/* The reader must not be re-initialised from inside its own callback: the flow moves on to the next
 * hop after the feed returns. */
static int on_resp_complete(void *ud, int keep_alive) {
  smv_flow *f = ud;
  f->resp_complete = 1;
  f->resp_keep_alive = keep_alive;
  return 0;
}

static const smv__http_response_cbs resp_cbs = {
  NULL, on_resp_status, on_resp_header, NULL, on_resp_body, on_resp_complete};

/* Fills token / returnUrl / the service error from a JSON body (when it is one). */
static int take_body(smv_flow *f) {
  smv__alloc *a = &f->client->alloc;
  size_t i = 0;
  while (i < f->body_len && (f->body[i] == ' ' || f->body[i] == '\n' || f->body[i] == '\r' || f->body[i] == '\t')) i++;
  if (i == f->body_len || f->body[i] != '{') return 0;  /* not JSON: nothing to take */
  smv__seed_body b;
  int rc = smv__seed_body_parse(a, f->body, f->body_len, &b);
  if (rc) return rc;
  f->result.token = b.token;
  b.token = NULL;
  f->result.return_url = b.return_url;
  b.return_url = NULL;
  f->result.return_url_present = b.return_url_present;
  if (b.has_error) {
    f->result.service_error.present = 1;
    f->result.service_error.id = b.error_id;
    f->result.service_error.name = b.error_name;
    f->result.service_error.description = b.error_description;
    b.error_name = b.error_description = NULL;
  }
  smv__seed_body_free(a, &b);
  return 0;
}

/* Hands the connection back: to the pool when it can carry another request, else closed. */
static void release_conn(smv_flow *f, int keep_alive) {
  smv__conn *c = f->conn;
  f->conn = NULL;
  if (!c) return;
  if (keep_alive) smv__conn_pool_put(c);
  else smv__conn_close(c);
}

/* The authorization response the engine captured becomes the result's (ownership moves). */
static void take_authorization(smv_flow *f) {
  smv__authorization *z = &f->redir.auth;
  f->result.authorization.present = z->present;
  f->result.authorization.code = z->code;
  f->result.authorization.state = z->state;
  f->result.authorization.error = z->error;
  f->result.authorization.error_description = z->error_description;
  memset(z, 0, sizeof(*z));
}

/* The response is complete: record it, let the engine decide, act on the decision. */
static void hop_done(smv_flow *f, int keep_alive) {
  smv__alloc *a = &f->client->alloc;
  set_phase(f, PH_IDLE);
  /* The next hop may begin with a handshake: the buffers of this one are not needed in it. */
  smv__free(a, f->scratch);
  f->scratch = NULL;
  smv__free(a, f->req);
  f->req = NULL;
  smv_hop *h = cur_hop(f);
  const char *loc = smv__redirect_location(&f->redir);
  h->status = f->status;
  h->ms = ms_since(f->hop_t0_ns);
  h->body_bytes = f->body_len;
  if (f->hdr_len) {
    h->response_headers = f->hdr_text;
    f->hdr_text = NULL;
    f->hdr_len = f->hdr_cap = 0;
  }
  if (loc && !(h->location = smv__strdup(a, loc))) { finish(f, SMV_ERR_NOMEM, "out of memory"); return; }
  trace(f, SMV_TRACE_RESPONSE, "%d%s%s", f->status, loc ? " -> " : "", loc ? loc : "");
  f->result.http_status = f->status;

  smv__redirect_action act;
  int rc = smv__redirect_on_response(&f->redir, f->status, &act);
  if (rc) {
    finish(f, rc, "%s (status %d from %s)", smv_strerror(rc), f->status, h->url);
    return;
  }
  switch (act) {
  case SMV__REDIRECT_FETCH:
    release_conn(f, keep_alive);
    hop_start(f);
    return;
  case SMV__REDIRECT_RETURN_URL:
    release_conn(f, keep_alive);
    if (!(f->result.final_url = smv__strdup(a, f->redir.current->href))) {
      finish(f, SMV_ERR_NOMEM, "out of memory");
      return;
    }
    take_authorization(f);
    f->result.outcome = SMV_OUTCOME_RETURN_URL;
    complete(f, 0);
    return;
  case SMV__REDIRECT_COMPLETED:
  case SMV__REDIRECT_SERVICE_ERROR:
    break;
  }
  /* The flow ends here: on a final response, or on an OAuth error at the returnUrl. */
  int at_return = f->redir.auth.present;
  f->result.final_url = smv__strdup(a, at_return ? f->redir.current->href : h->url);
  rc = f->result.final_url ? (at_return ? 0 : take_body(f)) : SMV_ERR_NOMEM;
  if (rc) {
    finish(f, rc, "%s (final response from %s)", smv_strerror(rc), h->url);
    return;
  }
  take_authorization(f);
  if (f->cfg.single_request) {
    f->result.body = f->body;
    f->result.body_len = f->body_len;
    f->body = NULL;
    f->body_len = f->body_cap = 0;
  }
  f->result.outcome = act == SMV__REDIRECT_COMPLETED ? SMV_OUTCOME_COMPLETED : SMV_OUTCOME_SERVICE_ERROR;
  f->result.error = f->redir.outcome_error;
  if (at_return) release_conn(f, keep_alive);
  complete(f, at_return ? 0 : keep_alive);
}

/* ---- connection events --------------------------------------------------------------------------- */
static void send_request(smv_flow *f);

/* The response's first bytes: its reader and scratch are made now, not with the request, so that
 * the scratch is not held while the request (or a handshake) is in flight. */
static int response_begin(smv_flow *f) {
  if (!(f->scratch = smv__malloc(&f->client->alloc, f->scratch_size))) return SMV_ERR_NOMEM;
  smv__http_limits lim = {f->cfg.max_header_bytes, f->cfg.max_body_bytes, 0, 0};
  smv__http_response_init(&f->resp, &lim, cur_hop(f)->method, f->scratch, f->scratch_size, &resp_cbs, f);
  set_phase(f, PH_RECEIVE);
  return 0;
}

static void conn_data(smv__conn *c, const char *buf, size_t len, void *ud) {
  (void)c;
  smv_flow *f = ud;
  if ((f->ph == PH_SEND || f->ph == PH_WAIT) && response_begin(f) != 0) {
    finish(f, SMV_ERR_NOMEM, "out of memory");
    return;
  }
  uv_timer_start(&f->phase_timer, on_phase_timeout, f->cfg.response_timeout_ms, 0);
  f->resp_bytes += len;
  size_t used = 0;
  int rc = smv__http_response_feed(&f->resp, buf, len, &used);
  if (rc) {
    finish(f, rc, "%s (from %s)", smv_strerror(rc), cur_hop(f) ? cur_hop(f)->url : "");
    return;
  }
  if (f->resp_complete) {
    /* Bytes after a complete response: the server spoke out of turn, so the connection cannot carry
     * another request. */
    hop_done(f, f->resp_keep_alive && used == len);
  }
}

static void conn_closed(smv__conn *c, int err, void *ud) {
  (void)c;
  smv_flow *f = ud;
  if (f->finished) return;
  smv_hop *h = cur_hop(f);
  if (err == 0 && f->ph == PH_RECEIVE) {
    /* A response delimited by the close completes here. */
    int rc = smv__http_response_eof(&f->resp);
    if (rc == 0 && f->resp_complete) {
      hop_done(f, 0);
      return;
    }
    err = rc ? rc : SMV_ERR_HTTP_EOF;
  }
  if (h && h->reused && f->resp_bytes == 0 && !f->retried_reuse) {
    /* The server closed an idle keep-alive connection as we reused it: one retry on a fresh one. */
    f->retried_reuse = 1;
    smv__conn_close(f->conn);
    f->conn = NULL;
    /* The attempt is not a hop of the chain: hop_start records the hop anew. */
    smv__hop_clear(&f->client->alloc, h);
    f->result.hop_count--;
    hop_start(f);
    return;
  }
  if (err == 0) err = f->resp_bytes ? SMV_ERR_HTTP_EOF : SMV_ERR_CONN_RESET;
  finish(f, err, "%s (%s)", smv_strerror(err), h ? h->url : "");
}

static void conn_written(smv__conn *c, int err, void *ud) {
  (void)c;
  smv_flow *f = ud;
  if (f->finished) return;
  if (err) {
    finish(f, err, "%s while sending the request", smv_strerror(err));
    return;
  }
  if (f->ph == PH_SEND) set_phase(f, PH_WAIT);
}

static void conn_ready(smv__conn *c, int err, void *ud);
static const smv__conn_events conn_events = {NULL, conn_ready, conn_data, conn_closed, conn_written};
static void on_race(smv__race *r, smv__conn *winner, int err, void *ud);

/* One more race, to the address that won before (a refused psk_ke resumption is retried in full). */
static void race_again(smv_flow *f) {
  const smv__url *u = f->redir.current;
  smv__race_begin(&f->race, f->host, u->port_num, u->is_http == 2, f->path.name, 0, 0, on_race, f);
  smv__race_add(&f->race, (const struct sockaddr *)&f->won, f->won_path);
}

static void conn_ready(smv__conn *c, int err, void *ud) {
  smv_flow *f = ud;
  if (f->finished) return;
  smv_hop *h = cur_hop(f);
  if (err) {
    int retry_full = smv__conn_tls(c) && smv__tls_retry_full(smv__conn_tls(c)) && !f->retried_full;
    smv__conn_close(c);
    f->conn = NULL;
    if (retry_full) {
      /* A psk_ke-only resumption was refused (resume_without_ecdhe): once more to the same address,
       * with a full handshake. */
      f->retried_full = 1;
      trace(f, SMV_TRACE_TLS, "resumption without ECDHE refused (%s); full handshake", smv_strerror(err));
      set_phase(f, PH_CONNECT);
      race_again(f);
      return;
    }
    finish(f, err, "%s (%s, %s)", smv_strerror(err), h->remote, h->url);
    return;
  }
  smv__tls *tls = smv__conn_tls(c);
  if (tls) {
    /* One budget covers TCP and TLS; the hop's timings split it where TCP connected. */
    set_phase(f, PH_TLS);
    h->tls_ms = (double)(uv_hrtime() - c->connected_ns) / 1e6;
    h->tls = smv__tls_version_name(tls);
    if (smv__tls_resumed(tls)) f->result.stats.tls_resumed++;
    else f->result.stats.tls_full++;
    trace(f, SMV_TRACE_TLS, "%s %s", h->tls, smv__tls_cipher_name(tls));
  }
  send_request(f);
}

static int family_of(const struct sockaddr_storage *ss) { return ss->ss_family == AF_INET6 ? 6 : 4; }

/* The race is won: the connection carries the hop (its TLS handshake next), or no attempt got
 * through. */
static void on_race(smv__race *r, smv__conn *c, int err, void *ud) {
  (void)r;
  smv_flow *f = ud;
  if (f->finished) {
    if (c) smv__conn_close(c);
    return;
  }
  smv_hop *h = cur_hop(f);
  if (err) {
    const smv__url *u = f->redir.current;
    finish(f, err, "%s (%.*s%s%s)", smv_strerror(err), (int)u->host.len, u->href + u->host.off,
           h->remote[0] ? ", " : "", h->remote);
    return;
  }
  f->conn = c;
  memcpy(&f->won, &c->remote, sizeof(f->won));
  f->won_path = c->path_bound;
  smv__conn_attach(c, &conn_events, f);
  f->result.stats.connections++;
  snprintf(h->remote, sizeof(h->remote), "%s", c->remote_text);
  snprintf(h->local, sizeof(h->local), "%s", c->local_text);
  h->family = family_of(&c->remote);
  h->nat64 = f->rs.nat64 && c->remote.ss_family == AF_INET6;
  h->connect_ms = (double)(c->connected_ns - f->hop_t0_ns) / 1e6 - (h->dns_ms > 0 ? h->dns_ms : 0);
  if (!f->result.path.local[0]) snprintf(f->result.path.local, sizeof(f->result.path.local), "%s", c->local_text);
  trace(f, SMV_TRACE_CONNECT, "%s -> %s (IPv%d%s)", c->local_text, c->remote_text, h->family,
        h->nat64 ? ", NAT64" : "");
  smv__conn_start(c);
}

/* An attempt starts (the race's trace). */
static void race_trace(void *ud, const char *remote, const char *via) {
  smv_flow *f = ud;
  if (f->ph == PH_DNS) set_phase(f, PH_CONNECT);
  trace(f, SMV_TRACE_CONNECT, "connecting to %s%s%s", remote, via[0] ? " via " : "", via);
}

static void resolve_trace(void *ud, const char *detail) { trace((smv_flow *)ud, SMV_TRACE_DNS, "%s", detail); }

static void send_request(smv_flow *f) {
  smv__alloc *a = &f->client->alloc;
  smv_hop *h = cur_hop(f);
  char cookie[1024];
  size_t clen = f->jar ? smv__cookie_header(f->jar, f->redir.current, cookie, sizeof(cookie)) : 0;
  /* The engine says whether this hop repeats the first request (307/308) or is a GET. */
  int first = f->redir.keep_method;
  const char *body = first ? f->cfg.body : NULL;
  const char *method = first && f->cfg.method ? f->cfg.method : body ? "POST" : "GET";
  smv__free(a, h->method);
  if (!(h->method = smv__strdup(a, method))) { finish(f, SMV_ERR_NOMEM, "out of memory"); return; }
  /* Host is the authority of the URL (RFC 9112 section 3.2): the host as written, with a non-default
   * port. */
  char hosthdr[300];
  if (smv__url_host_header(f->redir.current, hosthdr, sizeof(hosthdr)) == 0) {
    finish(f, SMV_ERR_LOCATION_BAD, "host too long");
    return;
  }
  smv__span tg = smv__url_target(f->redir.current);
  char target[SMV__URL_MAX];
  snprintf(target, sizeof(target), "%.*s", (int)tg.len, f->redir.current->href + tg.off);
  smv__http_request_spec spec;
  memset(&spec, 0, sizeof(spec));
  spec.method = method;
  spec.target = target;
  spec.host = hosthdr;
  spec.cookie = clen ? cookie : NULL;
  spec.body = body;
  spec.body_len = body ? f->cfg.body_len : 0;
  spec.content_type = body ? (f->cfg.content_type ? f->cfg.content_type : "application/json") : NULL;
  size_t need = strlen(target) + strlen(hosthdr) + clen + spec.body_len + 256 +
                (spec.content_type ? strlen(spec.content_type) : 0);
  smv__free(a, f->req);
  f->req = smv__malloc(a, need);
  if (!f->req) { finish(f, SMV_ERR_NOMEM, "out of memory"); return; }
  long n = smv__http_request_write(&spec, f->req, need);
  if (n < 0) { finish(f, (int)n, "%s (building the request)", smv_strerror((int)n)); return; }
  f->req_len = (size_t)n;
  reset_response(f);
  set_phase(f, PH_SEND);
  trace(f, SMV_TRACE_REQUEST, "%s %.*s%s", method, (int)smv__url_target(f->redir.current).len,
        f->redir.current->href + smv__url_target(f->redir.current).off, clen ? " (with cookies)" : "");
  int rc = smv__conn_write(f->conn, f->req, f->req_len);
  if (rc) finish(f, rc, "%s while sending the request", smv_strerror(rc));
}

static void hop_start(smv_flow *f) {
  smv_client *cl = f->client;
  int rc = hop_push(f);
  if (rc) { finish(f, rc, "out of memory"); return; }
  smv_hop *h = cur_hop(f);
  const smv__url *u = f->redir.current;
  /* The path's events may not have reached the loop yet: look now, before anything is sent. */
  if (f->watching && (f->watch.lost || cl->platform.ops->watch_process(cl->platform.user_data, &f->watch) != SMV_OK)) {
    finish(f, SMV_ERR_PATH_LOST, "%s", f->watch.reason);
    return;
  }
  smv__free(&cl->alloc, f->host);
  if (!(f->host = smv__strndup(&cl->alloc, u->href + u->host.off, u->host.len))) {
    finish(f, SMV_ERR_NOMEM, "out of memory");
    return;
  }
  char key[SMV__CONN_KEY_MAX];
  smv__conn_key(key, u->is_http == 2, f->host, u->port_num, f->path.name);
  smv__conn *c = smv__conn_pool_take(cl, key);
  if (c) {
    f->conn = c;
    smv__conn_attach(c, &conn_events, f);
    h->reused = 1;
    h->tls = smv__conn_tls(c) ? smv__tls_version_name(smv__conn_tls(c)) : "none";
    h->family = family_of(&c->remote);
    snprintf(h->remote, sizeof(h->remote), "%s", c->remote_text);
    snprintf(h->local, sizeof(h->local), "%s", c->local_text);
    trace(f, SMV_TRACE_CONNECT, "reusing the connection to %s", c->remote_text);
    send_request(f);
    return;
  }
  /* Where to connect: literals at once, names from the cache or the path's DNS, IPv4 the path's
   * way (its own, the CLAT, NAT64); the race makes the attempts as the addresses come. */
  set_phase(f, u->host_kind == SMV__HOST_NAME ? PH_DNS : PH_CONNECT);
  smv__race_begin(&f->race, f->host, u->port_num, u->is_http == 2, f->path.name, 1, 1, on_race, f);
  rc = smv__resolve_hop(&f->rs, u, f->host);
  if (rc) finish(f, rc, "%s: %s", smv_strerror(rc), f->host);
}

/* ---- path ---------------------------------------------------------------------------------------- */
static void on_watch(uv_poll_t *p, int status, int events) {
  (void)status; (void)events;
  smv_flow *f = p->data;
  const smv__platform *pf = &f->client->platform;
  if (f->finished || !f->watching) return;
  int rc = pf->ops->watch_process(pf->user_data, &f->watch);
  if (rc == SMV_ERR_PATH_LOST) finish(f, SMV_ERR_PATH_LOST, "%s", f->watch.reason);
}

static int choose_path(smv_flow *f) {
  smv_client *cl = f->client;
  const smv__platform *p = &cl->platform;
  smv__snapshot *snap = smv__malloc(&cl->alloc, sizeof(*snap));
  if (!snap) return SMV_ERR_NOMEM;
  smv__verdict v; /* on the stack: the flow keeps the path, the result the evidence */
  memset(&v, 0, sizeof(v));
  int rc = p->ops->snapshot(p->user_data, snap);
  if (rc == 0) {
    smv__choose_opts o;
    memset(&o, 0, sizeof(o));
    o.interface = f->cfg.interface;
    o.declared_carrier = f->cfg.declared_carrier;
    o.allow_vpn_bypass = f->cfg.allow_vpn_bypass;
    rc = smv__platform_choose(p, snap, &o, &v);
  }
  smv__free(&cl->alloc, snap);
  snprintf(f->result.path.evidence, sizeof(f->result.path.evidence), "%s", v.evidence);
  if (rc) return rc;
  f->path = v.path;
  f->bound = 1;
  if (v.has_clat) {
    if (!(f->clat = smv__malloc(&cl->alloc, sizeof(*f->clat)))) return SMV_ERR_NOMEM;
    *f->clat = v.clat;
    snprintf(f->result.path.clat, sizeof(f->result.path.clat), "%s", v.clat.name);
  }
  f->result.path.cls = v.cls;
  f->result.path.declared = v.declared;
  smv__resolve_init(&f->rs, cl, &f->path, f->clat, f->cfg.family,
                    f->cfg.dns_servers, &f->race, resolve_trace, f);
  trace(f, SMV_TRACE_PATH, "%s %s%s (%s)", v.path.name, smv_path_class_name(v.cls),
        v.declared ? ", declared" : "", v.evidence);
  if (p->ops->watch_start && p->ops->watch_start(p->user_data, &f->path, &f->watch) == 0 && f->watch.fd >= 0) {
    if (uv_poll_init(cl->loop, &f->watch_poll, f->watch.fd) == 0) {
      f->watch_poll.data = f;
      f->open_handles++;
      uv_poll_start(&f->watch_poll, UV_READABLE, on_watch);
      f->watching = 1;
    } else {
      p->ops->watch_stop(p->user_data, &f->watch);
    }
  }
  return 0;
}

static void on_begin(uv_timer_t *t) {
  smv_flow *f = t->data;
  int rc = choose_path(f);
  if (rc) {
    finish(f, rc, "%s: %s", smv_strerror(rc), f->result.path.evidence[0] ? f->result.path.evidence : "no evidence");
    return;
  }
  hop_start(f);
}

/* ---- public -------------------------------------------------------------------------------------- */
/* The strings of smv_config a flow copies (the body, with its length, is copied beside them). */
#define SMV__CONFIG_STRINGS(X) X(interface) X(dns_servers) X(return_url) X(method) X(content_type) X(state)

static const char *copy_str(char **dst, const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  memcpy(*dst, s, n);
  const char *r = *dst;
  *dst += n;
  return r;
}

/* f->cfg from the caller's config: its version's fields, every string copied into one block. */
static int take_config(smv_flow *f, const smv_config *cfg) {
  smv__alloc *a = &f->client->alloc;
  int rc = smv__versioned_copy(&f->cfg, sizeof(f->cfg), cfg, smv__config_sizes, SMV_CONFIG_VERSION);
  if (rc) return rc;
  if (f->cfg.body && f->cfg.body_len > 16u * 1024 * 1024) return SMV_ERR_INVALID_ARG;
  if (f->cfg.family != 0 && f->cfg.family != 4 && f->cfg.family != 6) return SMV_ERR_INVALID_ARG;
  if (f->cfg.max_location_bytes > SMV__URL_MAX - 512) return SMV_ERR_INVALID_ARG;
  size_t n = f->cfg.body ? f->cfg.body_len + 1 : 0;
#define SMV__LEN(field) n += f->cfg.field ? strlen(f->cfg.field) + 1 : 0;
  SMV__CONFIG_STRINGS(SMV__LEN)
#undef SMV__LEN
  if (n == 0) return 0;
  char *p = f->strings = smv__malloc(a, n);
  if (!p) return SMV_ERR_NOMEM;
#define SMV__COPY(field) f->cfg.field = copy_str(&p, f->cfg.field);
  SMV__CONFIG_STRINGS(SMV__COPY)
#undef SMV__COPY
  if (f->cfg.body) {
    memcpy(p, f->cfg.body, f->cfg.body_len);
    p[f->cfg.body_len] = '\0';
    f->cfg.body = p;
  }
  return 0;
}

int smv_flow_start(smv_client *cl, const char *url, const smv_config *cfg, smv_done_cb cb,
                   void *user_data, smv_flow **out) {
  if (!cl || !url || !cfg) return SMV_ERR_INVALID_ARG;
  if (cl->freeing) return SMV_ERR_CANCELLED;
  smv__alloc *a = &cl->alloc;
  a->peak = a->current;  /* the heap peak is per flow */
  smv_flow *f = smv__calloc(a, 1, sizeof(*f));
  if (!f) return SMV_ERR_NOMEM;
  f->client = cl;
  int rc = take_config(f, cfg);
  /* A header line longer than the scratch is HEADER_TOO_LARGE; a Location up to the limit must fit,
   * so that an overlong one is reported as LOCATION_TOO_LONG. */
  f->scratch_size = f->cfg.max_location_bytes + 512;
  smv__redirect_policy pol = {f->cfg.max_redirects, f->cfg.no_http, f->cfg.max_location_bytes,
                              f->cfg.single_request, f->cfg.return_url, f->cfg.state};
  if (!rc) rc = smv__redirect_start(&f->redir, &pol, &cl->alloc, url, strlen(url));
  if (rc) {
    smv__redirect_free(&f->redir);
    smv__free(a, f->strings);
    smv__free(a, f);
    return rc;
  }
  uv_timer_init(cl->loop, &f->deadline);
  uv_timer_init(cl->loop, &f->phase_timer);
  f->deadline.data = f->phase_timer.data = f;
  f->open_handles = 2;
  if (smv__race_init(&f->race, cl) == 0) {
    f->race.trace = race_trace;
    f->open_handles++; /* its timer's close is counted with the flow's handles */
  }
  f->cb = cb;
  f->ud = user_data;
  f->t0_ns = f->phase_t0_ns = uv_hrtime();
  struct timeval tv;
  gettimeofday(&tv, NULL);
  f->result.started_unix_ms = (double)tv.tv_sec * 1000 + tv.tv_usec / 1000;
  f->next = cl->flows;
  cl->flows = f;
  if (out) *out = f;
  uv_timer_start(&f->deadline, on_deadline, f->cfg.max_time_ms, 0);
  /* The work starts from the loop, so that the callback never runs inside smv_flow_start. */
  uv_timer_start(&f->phase_timer, on_begin, 0, 0);
  return 0;
}

void smv__flows_cancel_all(smv_client *cl) {
  while (cl->flows) smv_flow_cancel(cl->flows);
}

void smv_flow_cancel(smv_flow *f) {
  if (!f || f->finished || f->in_callback) return;
  finish(f, SMV_ERR_CANCELLED, "cancelled");
}

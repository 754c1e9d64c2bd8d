/* The scripted test server (see testserver.h): route table, placeholders, delays and stalls, the
 * request log, and the built-in scenarios of the device client's integration tests. */
#include "server/testserver.h"
#include "io/readfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cJSON.h"
#include "core/alloc.h"
#include "server/certgen.h"
#include "server/server.h"
#include "smv.h"

struct smv__testserver {
  uv_loop_t *loop;
  smv__server *srv;
  smv__srv_listener *https_l;
  smv__srv_listener *http_l;
  cJSON *table;            /* {"routes": {...}, "default": {...}} */
  const cJSON *routes;
  const cJSON *fallback;
  char *alias;             /* the path "/start" stands for, or NULL */
  FILE *log;
  char https_base[80], http_base[80];
  char https_auth[64], http_auth[64];
  char dir[512];
  int own_dir;             /* dir was made here: remove it on free */
  char ca_path[600];
  char ready[1024];
  void (*stop_done)(void *);
  void *stop_data;
};

/* A response waiting for its delay_ms. */
typedef struct ts_delayed {
  uv_timer_t timer;
  smv__testserver *ts;
  smv__srv_response *res;
  const cJSON *route;
} ts_delayed;

/* ---- Built-in scenarios ------------------------------------------------------------------------ */

static const char *const ts_scenario_names[] = {
  "chain", "token", "invalid_token", "loop", "hops11", "relative", "ftp", "javascript",
  "stall", "delay", "downgrade", NULL};
static const char *const ts_scenario_paths[] = {
  "/chain/start", "/token", "/invalid-token", "/loop/a", "/hops/0", "/relative/start",
  "/scheme/ftp", "/scheme/javascript", "/stall", "/delay", "/downgrade", NULL};

const char *const *smv__testserver_scenarios(void) { return ts_scenario_names; }

const char *smv__testserver_scenario_start(const char *name) {
  for (size_t i = 0; name && ts_scenario_names[i]; i++)
    if (strcmp(ts_scenario_names[i], name) == 0) return ts_scenario_paths[i];
  return NULL;
}

#define TS_TOKEN "7b564f4b-0f92-4af6-b6ee-021f9bc439f6"
#define TS_ERR_TOKEN "56693a53-4174-4e81-8e9c-b8863a7ad827"

static cJSON *ts_redirect(int status, const char *location) {
  cJSON *r = cJSON_CreateObject();
  cJSON_AddNumberToObject(r, "status", status);
  cJSON *h = cJSON_AddObjectToObject(r, "headers");
  cJSON_AddStringToObject(h, "Location", location);
  return r;
}

static cJSON *ts_token_route(void) {
  cJSON *r = cJSON_CreateObject();
  cJSON_AddNumberToObject(r, "status", 200);
  cJSON *j = cJSON_AddObjectToObject(r, "json");
  cJSON_AddStringToObject(j, "token", TS_TOKEN);
  cJSON_AddNullToObject(j, "returnUrl");
  return r;
}

/* Every chain of the integration tests, each under its own path. The scenario's comment says what
 * the client must make of it. */
static cJSON *ts_builtin_table(void) {
  cJSON *t = cJSON_CreateObject();
  cJSON *routes = cJSON_AddObjectToObject(t, "routes");

  /* https -> http (other port) -> https -> returnUrl: completes at myapp://verified, 3 requests,
   * the last one back on the first connection (keep-alive) */
  cJSON_AddItemToObject(routes, "/chain/start", ts_redirect(302, "{http}/chain/he?step=1"));
  cJSON_AddItemToObject(routes, "/chain/he", ts_redirect(302, "{https}/chain/finish?step=2"));
  cJSON_AddItemToObject(routes, "/chain/finish", ts_redirect(302, "myapp://verified?state=ok"));

  /* the seed's final 200 without a returnUrl: completed, token reported */
  cJSON_AddItemToObject(routes, "/token", ts_token_route());
  /* the same, closing the connection: the client's next flow needs a new one (resumption tests) */
  cJSON *closing = ts_token_route();
  cJSON_AddTrueToObject(closing, "close");
  cJSON_AddItemToObject(routes, "/token/close", closing);

  /* the seed's bad-token answer: service_error, exit 9 */
  cJSON *bad = cJSON_CreateObject();
  cJSON_AddNumberToObject(bad, "status", 400);
  cJSON *bj = cJSON_AddObjectToObject(bad, "json");
  cJSON *err = cJSON_AddObjectToObject(bj, "error");
  cJSON_AddNumberToObject(err, "id", 201);
  cJSON_AddStringToObject(err, "name", "EC_INVALID_TOKEN");
  cJSON_AddStringToObject(err, "description", "Token is invalid or does not exist");
  cJSON_AddStringToObject(bj, "status", "ERROR");
  cJSON_AddStringToObject(bj, "token", TS_ERR_TOKEN);
  cJSON_AddItemToObject(routes, "/invalid-token", bad);

  /* a -> b -> a: redirect loop, exit 8 */
  cJSON_AddItemToObject(routes, "/loop/a", ts_redirect(302, "/loop/b"));
  cJSON_AddItemToObject(routes, "/loop/b", ts_redirect(302, "/loop/a"));

  /* 11 redirects (/hops/0 -> ... -> /hops/11, which answers 200): too many with the default 10 */
  for (int i = 0; i <= 10; i++) {
    char path[32], loc[32];
    snprintf(path, sizeof(path), "/hops/%d", i);
    snprintf(loc, sizeof(loc), "/hops/%d", i + 1);
    cJSON_AddItemToObject(routes, path, ts_redirect(i % 2 ? 301 : 302, loc));
  }
  cJSON_AddItemToObject(routes, "/hops/11", ts_token_route());

  /* relative references of every form: path-relative, dot segments with a fragment,
   * network-path, query-only; ends with the token */
  cJSON_AddItemToObject(routes, "/relative/start", ts_redirect(302, "step/two"));
  cJSON_AddItemToObject(routes, "/relative/step/two", ts_redirect(307, "../three?x=1#frag"));
  cJSON_AddItemToObject(routes, "/relative/three", ts_redirect(303, "//{https_authority}/relative/four"));
  cJSON_AddItemToObject(routes, "/relative/four", ts_redirect(308, "?q=5"));
  cJSON_AddItemToObject(routes, "/relative/four?q=5", ts_token_route());

  /* forbidden schemes: policy error, exit 8, nothing fetched */
  cJSON_AddItemToObject(routes, "/scheme/ftp", ts_redirect(302, "ftp://127.0.0.1/file.txt"));
  cJSON_AddItemToObject(routes, "/scheme/javascript", ts_redirect(302, "javascript:alert(1)"));

  /* accepts the request and never answers: timeout, exit 10 */
  cJSON *stall = cJSON_CreateObject();
  cJSON_AddTrueToObject(stall, "stall");
  cJSON_AddItemToObject(routes, "/stall", stall);

  /* the token after 300 ms (an operator's delay) */
  cJSON *delay = ts_token_route();
  cJSON_AddNumberToObject(delay, "delay_ms", 300);
  cJSON_AddItemToObject(routes, "/delay", delay);

  /* https -> http: allowed by default, refused with --no-http */
  cJSON_AddItemToObject(routes, "/downgrade", ts_redirect(302, "{http}/token"));

  cJSON *def = cJSON_AddObjectToObject(t, "default");
  cJSON_AddNumberToObject(def, "status", 404);
  cJSON_AddStringToObject(def, "body", "not found\n");
  return t;
}

/* ---- Helpers ----------------------------------------------------------------------------------- */

/* Replaces the placeholders; returns a malloc'd string. */
static char *ts_expand(const smv__testserver *ts, const smv__srv_request *req, const char *in) {
  static const char *const keys[] = {"{https_authority}", "{http_authority}", "{https}", "{http}",
                                     "{self}"};
  const char *vals[5] = {ts->https_auth, ts->http_auth, ts->https_base, ts->http_base,
                         req && req->tls ? ts->https_base : ts->http_base};
  size_t cap = strlen(in) + 1, len = 0;
  for (const char *p = in; (p = strchr(p, '{')) != NULL; p++) cap += sizeof(ts->https_base);
  char *out = malloc(cap);
  if (!out) return NULL;
  for (const char *p = in; *p;) {
    size_t k = 0;
    for (; k < 5; k++) {
      size_t kl = strlen(keys[k]);
      if (strncmp(p, keys[k], kl) == 0) {
        size_t vl = strlen(vals[k]);
        memcpy(out + len, vals[k], vl);
        len += vl;
        p += kl;
        break;
      }
    }
    if (k == 5) out[len++] = *p++;
  }
  out[len] = '\0';
  return out;
}

static const cJSON *ts_find_route(const smv__testserver *ts, const char *target) {
  const char *t = target;
  if (ts->alias && strncmp(target, "/start", 6) == 0 && (target[6] == '\0' || target[6] == '?'))
    t = ts->alias; /* the query of an aliased /start is not kept: scenarios do not use it */
  const cJSON *r = cJSON_GetObjectItemCaseSensitive(ts->routes, t);
  if (r) return r;
  size_t plen = strcspn(t, "?#");
  char path[1024];
  if (plen >= sizeof(path)) return NULL;
  memcpy(path, t, plen);
  path[plen] = '\0';
  return cJSON_GetObjectItemCaseSensitive(ts->routes, path);
}

static void ts_log(smv__testserver *ts, const smv__srv_request *req) {
  if (!ts->log) return;
  cJSON *o = cJSON_CreateObject();
  if (!o) return;
  char peer[80];
  snprintf(peer, sizeof(peer), strchr(req->peer_ip, ':') ? "[%s]:%u" : "%s:%u", req->peer_ip,
           (unsigned)req->peer_port);
  cJSON_AddStringToObject(o, "listener", req->tls ? "https" : "http");
  cJSON_AddStringToObject(o, "tls", req->tls_version ? req->tls_version : "none");
  cJSON_AddBoolToObject(o, "tls_resumed", req->tls_resumed);
  cJSON_AddNumberToObject(o, "conn", (double)req->conn_id);
  cJSON_AddNumberToObject(o, "conn_request", req->conn_request_index);
  cJSON_AddStringToObject(o, "peer", peer);
  cJSON_AddStringToObject(o, "method", req->method);
  cJSON_AddStringToObject(o, "target", req->target);
  cJSON *hs = cJSON_AddArrayToObject(o, "headers");
  for (size_t i = 0; hs && i < req->header_count; i++) {
    cJSON *pair = cJSON_CreateArray();
    cJSON_AddItemToArray(pair, cJSON_CreateString(req->headers[i].name));
    cJSON_AddItemToArray(pair, cJSON_CreateString(req->headers[i].value));
    cJSON_AddItemToArray(hs, pair);
  }
  cJSON_AddStringToObject(o, "body", (const char *)req->body);
  char *s = cJSON_PrintUnformatted(o);
  if (s) {
    fputs(s, ts->log);
    fputc('\n', ts->log);
    fflush(ts->log);
    cJSON_free(s);
  }
  cJSON_Delete(o);
}

static void ts_answer(smv__testserver *ts, smv__srv_response *res, const cJSON *route) {
  const smv__srv_request *req = smv__srv_response_request(res);
  const cJSON *raw = cJSON_GetObjectItemCaseSensitive(route, "raw");
  int close_after = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(route, "close"));
  if (cJSON_IsString(raw)) {
    char *bytes = ts_expand(ts, req, raw->valuestring);
    if (!bytes) {
      smv__srv_respond(res, 500, NULL, NULL, 0);
      return;
    }
    smv__srv_response_send_raw(res, bytes, strlen(bytes), close_after);
    free(bytes);
    return;
  }
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(route, "status");
  smv__srv_response_set_status(res, cJSON_IsNumber(st) ? st->valueint : 200, NULL);
  const cJSON *hdrs = cJSON_GetObjectItemCaseSensitive(route, "headers");
  const cJSON *h;
  cJSON_ArrayForEach(h, hdrs) {
    const char *name = NULL, *value = NULL;
    if (cJSON_IsString(h)) {
      name = h->string;
      value = h->valuestring;
    } else if (cJSON_IsArray(h) && cJSON_GetArraySize(h) == 2) {
      const cJSON *n = cJSON_GetArrayItem(h, 0), *v = cJSON_GetArrayItem(h, 1);
      if (cJSON_IsString(n) && cJSON_IsString(v)) {
        name = n->valuestring;
        value = v->valuestring;
      }
    }
    if (!name || !value) continue;
    char *ev = ts_expand(ts, req, value);
    if (ev) smv__srv_response_add_header(res, name, ev);
    free(ev);
  }
  const cJSON *json = cJSON_GetObjectItemCaseSensitive(route, "json");
  const cJSON *body = cJSON_GetObjectItemCaseSensitive(route, "body");
  int typed = 0; /* the route names its own Content-Type: no default beside it */
  cJSON_ArrayForEach(h, hdrs) typed |= h->string && !strcasecmp(h->string, "content-type");
  char *text = NULL;
  if (json) {
    char *printed = cJSON_PrintUnformatted(json);
    if (printed) {
      text = ts_expand(ts, req, printed);
      cJSON_free(printed);
    }
    if (!typed) smv__srv_response_add_header(res, "Content-Type", "application/json");
  } else if (cJSON_IsString(body)) {
    text = ts_expand(ts, req, body->valuestring);
    if (!typed) smv__srv_response_add_header(res, "Content-Type", "text/plain");
  }
  if (text) smv__srv_response_set_body(res, text, strlen(text));
  free(text);
  if (close_after) smv__srv_response_close(res);
  smv__srv_response_send(res);
}

static void ts_delayed_closed(uv_handle_t *h) { free(h->data); }

static void ts_delayed_fire(uv_timer_t *t) {
  ts_delayed *d = t->data;
  smv__srv_response_on_abort(d->res, NULL, NULL);
  ts_answer(d->ts, d->res, d->route);
  uv_close((uv_handle_t *)&d->timer, ts_delayed_closed);
}

static void ts_delayed_abort(smv__srv_response *res, void *data) {
  ts_delayed *d = data;
  (void)res;
  uv_timer_stop(&d->timer);
  uv_close((uv_handle_t *)&d->timer, ts_delayed_closed);
}

static void ts_on_request(smv__server *srv, const smv__srv_request *req, smv__srv_response *res,
                          void *user_data) {
  smv__testserver *ts = user_data;
  (void)srv;
  ts_log(ts, req);
  const cJSON *route = ts_find_route(ts, req->target);
  if (route) {
    const cJSON *only = cJSON_GetObjectItemCaseSensitive(route, "only");
    if (cJSON_IsString(only) && strcmp(only->valuestring, req->tls ? "https" : "http") != 0)
      route = NULL;
  }
  if (!route) route = ts->fallback;
  if (!route) {
    smv__srv_respond(res, 404, "text/plain", "not found\n", 10);
    return;
  }
  if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(route, "stall"))) return;
  const cJSON *delay = cJSON_GetObjectItemCaseSensitive(route, "delay_ms");
  if (cJSON_IsNumber(delay) && delay->valuedouble > 0) {
    ts_delayed *d = calloc(1, sizeof(*d));
    if (!d || uv_timer_init(ts->loop, &d->timer) != 0) {
      free(d);
      smv__srv_respond(res, 500, NULL, NULL, 0);
      return;
    }
    d->timer.data = d;
    d->ts = ts;
    d->res = res;
    d->route = route;
    smv__srv_response_on_abort(res, ts_delayed_abort, d);
    uv_timer_start(&d->timer, ts_delayed_fire, (uint64_t)delay->valuedouble, 0);
    return;
  }
  ts_answer(ts, res, route);
}

/* ---- Certificates ------------------------------------------------------------------------------ */

static int ts_write_file(const char *path, const char *text, int secret) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  if (secret) (void)chmod(path, 0600);
  size_t n = strlen(text);
  int ok = fwrite(text, 1, n, f) == n;
  return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* A CA and a server leaf for bind_ip (plus localhost and ::1), or the broken leaf asked for.
 * The PEM strings are malloc'd copies. */
static int ts_make_certs(smv__testserver_cert mode, const char *ip, char **ca_pem, char **cert_pem,
                         char **key_pem) {
  smv__alloc a;
  smv__alloc_init(&a, NULL);
  smv__certgen_cert *ca = NULL, *leaf = NULL;
  int rc = smv__certgen_ca(&a, "smv test CA", &ca);
  if (rc) return rc;
  const char *dns_good[] = {"localhost"};
  const char *dns_wrong[] = {"wrong.example"};
  const char *ips[] = {ip, "::1"};
  int same = strcmp(ip, "::1") == 0;
  smv__certgen_opts o;
  memset(&o, 0, sizeof(o));
  o.cn = mode == SMV__TS_CERT_WRONG_HOST ? "wrong.example" : "localhost";
  if (mode == SMV__TS_CERT_WRONG_HOST) {
    o.dns = dns_wrong;
    o.dns_count = 1;
  } else {
    o.dns = dns_good;
    o.dns_count = 1;
    o.ips = ips;
    o.ip_count = same ? 1 : 2;
  }
  if (mode == SMV__TS_CERT_EXPIRED) {
    int64_t now = (int64_t)time(NULL);
    o.not_before = now - 40 * 86400;
    o.not_after = now - 10 * 86400;
  }
  rc = smv__certgen_issue(&a, ca, &o, &leaf);
  if (rc == 0) {
    *ca_pem = strdup(smv__certgen_cert_pem(ca));
    *cert_pem = strdup(smv__certgen_cert_pem(leaf));
    *key_pem = strdup(smv__certgen_key_pem(leaf));
    if (!*ca_pem || !*cert_pem || !*key_pem) rc = SMV_ERR_NOMEM;
  }
  smv__certgen_free(leaf);
  smv__certgen_free(ca);
  return rc;
}

/* ---- Start / stop ------------------------------------------------------------------------------ */

static int ts_load_script(smv__testserver *ts, const char *path, char *err, size_t errlen) {
  char *text = smv__read_file(path, 1u << 20, NULL);
  if (!text) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return errno == ENOMEM ? SMV_ERR_NOMEM : SMV_ERR_IO;
  }
  ts->table = cJSON_Parse(text);
  free(text);
  if (!ts->table || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(ts->table, "routes"))) {
    snprintf(err, errlen, "%s: not a route table ({\"routes\": {...}})", path);
    return SMV_ERR_INVALID_ARG;
  }
  return 0;
}

int smv__testserver_start(uv_loop_t *loop, const smv__testserver_opts *opts, smv__testserver **out,
                          char *err, size_t errlen) {
  *out = NULL;
  smv__testserver *ts = calloc(1, sizeof(*ts));
  if (!ts) return SMV_ERR_NOMEM;
  ts->loop = loop;
  int rc;
  const char *ip = opts->bind_ip ? opts->bind_ip : "127.0.0.1";
  char *cert = NULL, *key = NULL, *ca = NULL;

  if (opts->script_path) {
    rc = ts_load_script(ts, opts->script_path, err, errlen);
    if (rc) goto fail;
  } else {
    ts->table = ts_builtin_table();
    if (!ts->table) {
      rc = SMV_ERR_NOMEM;
      goto fail;
    }
  }
  ts->routes = cJSON_GetObjectItemCaseSensitive(ts->table, "routes");
  ts->fallback = cJSON_GetObjectItemCaseSensitive(ts->table, "default");
  if (opts->scenario) {
    const char *start = smv__testserver_scenario_start(opts->scenario);
    if (!start && opts->script_path && cJSON_GetObjectItemCaseSensitive(ts->routes, opts->scenario))
      start = opts->scenario; /* with a script, a scenario may name a route path */
    if (!start) {
      snprintf(err, errlen, "unknown scenario '%s'", opts->scenario);
      rc = SMV_ERR_INVALID_ARG;
      goto fail;
    }
    ts->alias = strdup(start);
    if (!ts->alias) {
      rc = SMV_ERR_NOMEM;
      goto fail;
    }
  }

  if (opts->log_path) {
    ts->log = fopen(opts->log_path, "w");
    if (!ts->log) {
      snprintf(err, errlen, "%s: %s", opts->log_path, strerror(errno));
      rc = SMV_ERR_IO;
      goto fail;
    }
  }

  if (opts->dir) {
    snprintf(ts->dir, sizeof(ts->dir), "%s", opts->dir);
    (void)mkdir(ts->dir, 0700);
  } else {
    const char *tmp = getenv("TMPDIR");
    snprintf(ts->dir, sizeof(ts->dir), "%s/smv-testserver.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(ts->dir)) {
      snprintf(err, errlen, "mkdtemp: %s", strerror(errno));
      rc = SMV_ERR_IO;
      goto fail;
    }
    ts->own_dir = 1;
  }

  rc = ts_make_certs(opts->cert, ip, &ca, &cert, &key);
  if (rc) {
    snprintf(err, errlen, "certificate generation failed: %s", smv_strerror(rc));
    goto fail;
  }
  char path[600];
  snprintf(ts->ca_path, sizeof(ts->ca_path), "%s/ca.pem", ts->dir);
  int wf = ts_write_file(ts->ca_path, ca, 0);
  snprintf(path, sizeof(path), "%s/server.pem", ts->dir);
  wf |= ts_write_file(path, cert, 0);
  snprintf(path, sizeof(path), "%s/server.key", ts->dir);
  wf |= ts_write_file(path, key, 1);
  if (wf) {
    snprintf(err, errlen, "cannot write the certificates to %s: %s", ts->dir, strerror(errno));
    rc = SMV_ERR_IO;
    goto fail;
  }

  smv__srv_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.handler = ts_on_request;
  cfg.user_data = ts;
  cfg.server_header = "smv-testserver";
  cfg.limits.idle_timeout_ms = 30000;
  cfg.limits.request_timeout_ms = opts->request_timeout_ms ? opts->request_timeout_ms : 30000;
  rc = smv__server_new(loop, &cfg, &ts->srv);
  if (rc) {
    snprintf(err, errlen, "server: %s", smv_strerror(rc));
    goto fail;
  }
  smv__srv_tls tls = {cert, key, 0};
  rc = smv__server_listen(ts->srv, ip, (uint16_t)opts->https_port, &tls, NULL, &ts->https_l);
  if (rc == 0)
    rc = smv__server_listen(ts->srv, ip, (uint16_t)opts->http_port, NULL, NULL, &ts->http_l);
  if (rc) {
    snprintf(err, errlen, "listen on %s: %s", ip, smv_strerror(rc));
    goto fail;
  }
  int v6 = strchr(ip, ':') != NULL;
  snprintf(ts->https_auth, sizeof(ts->https_auth), v6 ? "[%s]:%u" : "%s:%u", ip,
           (unsigned)smv__srv_listener_port(ts->https_l));
  snprintf(ts->http_auth, sizeof(ts->http_auth), v6 ? "[%s]:%u" : "%s:%u", ip,
           (unsigned)smv__srv_listener_port(ts->http_l));
  snprintf(ts->https_base, sizeof(ts->https_base), "https://%s", ts->https_auth);
  snprintf(ts->http_base, sizeof(ts->http_base), "http://%s", ts->http_auth);

  cJSON *ready = cJSON_CreateObject();
  cJSON_AddStringToObject(ready, "https", ts->https_base);
  cJSON_AddStringToObject(ready, "http", ts->http_base);
  cJSON_AddStringToObject(ready, "ca", ts->ca_path);
  if (ts->alias) {
    char start[160];
    snprintf(start, sizeof(start), "%s/start", ts->https_base);
    cJSON_AddStringToObject(ready, "start", start);
  }
  char *line = ready ? cJSON_PrintUnformatted(ready) : NULL;
  cJSON_Delete(ready);
  if (!line) {
    rc = SMV_ERR_NOMEM;
    goto fail;
  }
  snprintf(ts->ready, sizeof(ts->ready), "%s", line);
  cJSON_free(line);
  free(ca);
  free(cert);
  free(key);
  *out = ts;
  return 0;

fail:
  free(ca);
  free(cert);
  free(key);
  if (ts->srv) {
    /* nothing ran yet on the loop for this server: close what was opened, then free */
    smv__server_drain(ts->srv, 1, NULL, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    uv_run(loop, UV_RUN_NOWAIT);
    smv__server_free(ts->srv);
    ts->srv = NULL;
  }
  smv__testserver_free(ts);
  return rc;
}

const char *smv__testserver_ready_json(const smv__testserver *ts) { return ts->ready; }

static void ts_drained(smv__server *srv, void *data) {
  smv__testserver *ts = data;
  (void)srv;
  if (ts->stop_done) ts->stop_done(ts->stop_data);
}

void smv__testserver_stop(smv__testserver *ts, void (*done)(void *data), void *data) {
  ts->stop_done = done;
  ts->stop_data = data;
  smv__server_drain(ts->srv, 1000, ts_drained, ts);
}

void smv__testserver_free(smv__testserver *ts) {
  if (!ts) return;
  if (ts->srv) smv__server_free(ts->srv);
  if (ts->log) fclose(ts->log);
  cJSON_Delete(ts->table);
  free(ts->alias);
  if (ts->own_dir && ts->dir[0]) {
    static const char *const files[] = {"ca.pem", "server.pem", "server.key"};
    char path[600];
    for (size_t i = 0; i < 3; i++) {
      snprintf(path, sizeof(path), "%s/%s", ts->dir, files[i]);
      (void)unlink(path);
    }
    (void)rmdir(ts->dir);
  }
  free(ts);
}

uint64_t smv__testserver_connections(const smv__testserver *ts) {
  smv__srv_stats st;
  smv__server_stats(ts->srv, &st);
  return st.accepted;
}

uint64_t smv__testserver_requests(const smv__testserver *ts) {
  smv__srv_stats st;
  smv__server_stats(ts->srv, &st);
  return st.requests;
}

int smv__testserver_forget_sessions(smv__testserver *ts) { return smv__server_forget_sessions(ts->srv); }

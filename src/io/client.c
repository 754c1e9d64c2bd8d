/* The client: what outlives a flow (trust store index, TLS sessions, keep-alive connections), and the
 * blocking entry point for firmware without an event loop. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "io/dns.h"
#include "io/flow.h"
#include "io/internal.h"
#include "io/result.h"

int smv_client_new(uv_loop_t *loop, const smv_client_options *opts, smv_client **out) {
  /* Version 1 callers pass the shorter struct: only its fields are read. */
  if (!loop || !out || (opts && (opts->version < 1 || opts->version > SMV_CLIENT_OPTIONS_VERSION)))
    return SMV_ERR_INVALID_ARG;
  smv__alloc boot;
  smv__alloc_init(&boot, opts ? opts->allocator : NULL);
  smv_client *cl = boot.hook.malloc(sizeof(*cl), boot.hook.user_data);
  if (!cl) return SMV_ERR_NOMEM;
  memset(cl, 0, sizeof(*cl));
  cl->alloc = boot;
  cl->loop = loop;
  if (opts)
    memcpy(&cl->opts, opts, opts->version == 1 ? offsetof(smv_client_options, tls_resume_without_ecdhe)
                                               : sizeof(*opts));
  cl->opts.allocator = NULL;
  if ((opts && opts->cacert_file && !(cl->cacert_file = smv__strdup(&cl->alloc, opts->cacert_file))) ||
      (opts && opts->ca_dir && !(cl->ca_dir = smv__strdup(&cl->alloc, opts->ca_dir)))) {
    smv__free(&cl->alloc, cl->cacert_file);
    cl->alloc.hook.free(cl, cl->alloc.hook.user_data);
    return SMV_ERR_NOMEM;
  }
  if (opts && opts->cacert_file) {
    /* Read the roots now, so that a bad --cacert is a setup error and not the first hop's. */
    smv__tls_conf *conf;
    int rc = smv__client_tls(cl, &conf);
    if (rc) {
      smv__free(&cl->alloc, cl->cacert_file);
      smv__free(&cl->alloc, cl->ca_dir);
      cl->alloc.hook.free(cl, cl->alloc.hook.user_data);
      return rc;
    }
  }
  smv__platform_get(&cl->platform);
  *out = cl;
  return 0;
}

static void release(smv_client *cl) {
  if (cl->tls) smv__tls_conf_free(cl->tls);
  smv__free(&cl->alloc, cl->cacert_file);
  smv__free(&cl->alloc, cl->ca_dir);
  smv__alloc a = cl->alloc;
  a.hook.free(cl, a.hook.user_data);
}

void smv__client_close_begin(smv_client *cl) { cl->pending_closes++; }

void smv__client_close_end(smv_client *cl) {
  /* No handle of the client's own waits for this: an application that closes every handle of its
   * loop at shutdown (uv_walk) must not strand the client. */
  if (--cl->pending_closes == 0 && cl->freeing) release(cl);
}

void smv_client_free(smv_client *cl) {
  if (!cl || cl->freeing) return;
  cl->freeing = 1;
  smv__flows_cancel_all(cl);
  smv__conn_pool_clear(cl);
  if (cl->pending_closes == 0) release(cl);
}

/* ---- blocking ------------------------------------------------------------------------------------ */
typedef struct sync_ctx {
  smv_result *copy;
  int err;
} sync_ctx;

static char *dup_or_null(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

/* Deep copy with malloc (the flow's memory goes when the callback returns). */
static int copy_result(const smv_result *r, smv_result *c) {
  *c = *r;
  c->error_message = dup_or_null(r->error_message);
  c->final_url = dup_or_null(r->final_url);
  c->token = dup_or_null(r->token);
  c->return_url = dup_or_null(r->return_url);
  c->service_error.name = dup_or_null(r->service_error.name);
  c->service_error.description = dup_or_null(r->service_error.description);
  c->body = NULL;
  if (r->body) {
    c->body = malloc(r->body_len + 1);
    if (c->body) memcpy(c->body, r->body, r->body_len + 1);
  }
  c->hops = r->hop_count ? calloc(r->hop_count, sizeof(*c->hops)) : NULL;
  for (size_t i = 0; c->hops && i < r->hop_count; i++) {
    c->hops[i] = r->hops[i];
    c->hops[i].url = dup_or_null(r->hops[i].url);
    c->hops[i].location = dup_or_null(r->hops[i].location);
    c->hops[i].response_headers = dup_or_null(r->hops[i].response_headers);
  }
  if (r->hop_count && !c->hops) c->hop_count = 0;
  return 0;
}

void smv_result_free(smv_result *r) {
  if (!r) return;
  free(r->error_message);
  free(r->final_url);
  free(r->token);
  free(r->return_url);
  free(r->service_error.name);
  free(r->service_error.description);
  free(r->body);
  for (size_t i = 0; r->hops && i < r->hop_count; i++) {
    free(r->hops[i].url);
    free(r->hops[i].location);
    free(r->hops[i].response_headers);
  }
  free(r->hops);
  free(r);
}

static void sync_done(smv_flow *f, const smv_result *r, void *ud) {
  (void)f;
  sync_ctx *s = ud;
  s->copy = calloc(1, sizeof(*s->copy));
  if (!s->copy) { s->err = SMV_ERR_NOMEM; return; }
  copy_result(r, s->copy);
}

int smv_follow_sync(const char *url, const smv_config *cfg, const smv_client_options *opts, smv_result **out) {
  uv_loop_t loop;
  if (!out) return SMV_ERR_INVALID_ARG;
  *out = NULL;
  if (uv_loop_init(&loop) != 0) return SMV_ERR_IO;
  smv_client *cl = NULL;
  sync_ctx s = {NULL, 0};
  int rc = smv_client_new(&loop, opts, &cl);
  if (rc == 0) rc = smv_flow_start(cl, url, cfg, sync_done, &s, NULL);
  if (rc == 0) uv_run(&loop, UV_RUN_DEFAULT);
  if (cl) smv_client_free(cl);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  if (rc) return rc;
  if (!s.copy) return s.err ? s.err : SMV_ERR_INTERNAL;
  *out = s.copy;
  return 0;
}

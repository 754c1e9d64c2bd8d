/* The client's public life, at the top of the I/O layer: smv_client_new and smv_client_free (which
 * cancel flows and close connections, so they sit above both), and the blocking entry point for
 * firmware without an event loop. What the client shares with its parts is in client_base.c. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "io/config.h"
#include "io/dns.h"
#include "io/flow.h"
#include "io/conn.h"
#include "io/result.h"

int smv_client_new(uv_loop_t *loop, const smv_client_options *opts, smv_client **out) {
  smv_client_options o;
  memset(&o, 0, sizeof(o));
  if (!loop || !out) return SMV_ERR_INVALID_ARG;
  if (opts && smv__versioned_copy(&o, sizeof(o), opts, smv__client_options_sizes, SMV_CLIENT_OPTIONS_VERSION))
    return SMV_ERR_INVALID_ARG;
  const smv_allocator *hook = o.allocator;
  if (hook && (!hook->malloc || !hook->realloc || !hook->free)) return SMV_ERR_INVALID_ARG;
  int tmin = o.tls_min_version ? o.tls_min_version : 12, tmax = o.tls_max_version ? o.tls_max_version : 13;
  if ((tmin != 12 && tmin != 13) || (tmax != 12 && tmax != 13) || tmin > tmax) return SMV_ERR_INVALID_ARG;
  smv__alloc boot;
  smv__alloc_init(&boot, hook);
  smv_client *cl = boot.hook.malloc(sizeof(*cl), boot.hook.user_data);
  if (!cl) return SMV_ERR_NOMEM;
  memset(cl, 0, sizeof(*cl));
  cl->alloc = boot;
  cl->loop = loop;
  cl->opts = o;
  cl->opts.allocator = NULL;
  cl->opts.tls_min_version = tmin;
  cl->opts.tls_max_version = tmax;
  smv__platform_get(&cl->platform);
  int rc = smv__client_set_platform(cl, &cl->platform) ? SMV_ERR_INTERNAL : 0;
  if (!rc && ((o.cacert_file && !(cl->cacert_file = smv__strdup(&cl->alloc, o.cacert_file))) ||
              (o.ca_dir && !(cl->ca_dir = smv__strdup(&cl->alloc, o.ca_dir)))))
    rc = SMV_ERR_NOMEM;
  /* Read the roots now, so that a bad --cacert is a setup error and not the first hop's. */
  smv__tls_conf *conf;
  if (!rc && o.cacert_file) rc = smv__client_tls(cl, &conf);
  if (rc) {
    smv__client_release(cl);
    return rc;
  }
  *out = cl;
  return 0;
}

void smv_client_free(smv_client *cl) {
  if (!cl || cl->freeing) return;
  cl->freeing = 1;
  smv__flows_cancel_all(cl);
  smv__conn_pool_clear(cl);
  smv__client_release(cl);
}

/* ---- blocking ------------------------------------------------------------------------------------ */
typedef struct sync_ctx {
  smv_result *copy;
  int err;
} sync_ctx;

static void sync_done(smv_flow *f, const smv_result *r, void *ud) {
  (void)f;
  sync_ctx *s = ud;
  /* The flow's memory goes when the callback returns: the caller gets a deep copy (libc's). */
  smv__alloc libc;
  smv__alloc_init(&libc, NULL);
  s->err = smv__result_copy(&libc, r, &s->copy);
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

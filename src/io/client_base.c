/* The client's shared part (see client.h): its TLS configuration, its platform table and the close
 * bookkeeping that releases it once libuv is done with every handle of its connections, flows and
 * DNS channels. */
#include "io/client.h"
#include "io/dns_cache.h"

static void release_now(smv_client *cl) {
  smv__dns_cache_clear(cl);
  if (cl->tls) smv__tls_conf_free(cl->tls);
  smv__free(&cl->alloc, cl->cacert_file);
  smv__free(&cl->alloc, cl->ca_dir);
  smv__alloc a = cl->alloc;
  a.hook.free(cl, a.hook.user_data);
}

void smv__client_close_begin(smv_client *cl) { cl->pending_closes++; }

void smv__client_close_end(smv_client *cl) {
  /* No handle of the client's own waits for this: the last close releases it. */
  if (--cl->pending_closes == 0 && cl->freeing) release_now(cl);
}

void smv__client_release(smv_client *cl) {
  cl->freeing = 1;
  if (cl->pending_closes == 0) release_now(cl);
}

int smv__client_tls(smv_client *cl, smv__tls_conf **out) {
  if (!cl->tls) {
    smv__tls_client_opts o = {cl->cacert_file, cl->ca_dir, cl->opts.disable_tls_resumption,
                              cl->opts.tls_resume_without_ecdhe, 0};
    smv__tls_conf *c;
    int rc = smv__tls_conf_client_new(&cl->alloc, &o, &c);
    if (rc) return rc;
    /* 12/13 (smv.h) to the wire's 0x0303/0x0304: checked in smv_client_new, so this cannot fail. */
    rc = smv__tls_conf_set_versions(c, 0x0300 | (cl->opts.tls_min_version - 9),
                                    0x0300 | (cl->opts.tls_max_version - 9));
    if (rc) {
      smv__tls_conf_free(c);
      return rc;
    }
    cl->tls = c;
  }
  *out = cl->tls;
  return 0;
}

static int platform_complete(const smv__platform_ops *o) {
  return o && o->version == SMV__PLATFORM_OPS_VERSION && o->snapshot && o->bind_socket &&
         o->check_local && o->dns_servers;
}

int smv__client_set_platform(smv_client *cl, const smv__platform *p) {
  if (!p || !platform_complete(p->ops) || cl->flows) return SMV_ERR_INVALID_ARG;
  cl->platform = *p;
  return 0;
}

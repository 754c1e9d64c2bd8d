/* The client's shared part, at the bottom of the I/O layer: what its flows, connections and DNS
 * channels share (the loop, the allocator, the TLS configuration, the platform table) and the close
 * bookkeeping that releases it. Connections and DNS use only this; flows sit above them, and
 * client.c (smv_client_new/free, smv_follow_sync) above the flows. */
#ifndef SMV_IO_CLIENT_H
#define SMV_IO_CLIENT_H

#include <uv.h>

#include "core/alloc.h"
#include "core/nat64.h"
#include "io/tls.h"
#include "platform.h"
#include "smv.h"

typedef struct smv__conn smv__conn;

struct smv_client {
  uv_loop_t *loop;
  smv__alloc alloc;
  smv__tls_conf *tls;           /* made on first https use: trusting the store costs nothing before */
  smv_client_options opts;      /* taken by the versioned-struct rule; allocator NULL, TLS versions
                                   12/13 filled in */
  char *cacert_file, *ca_dir;
  smv__platform platform;
  smv__conn *idle;              /* keep-alive pool: connections between flows/hops */
  unsigned nidle;
  struct smv_flow *flows;       /* running flows (cancelled on free) */
  struct smv__dns_entry *dns_cache; /* names resolved, newest first (dns_cache.c) */
  unsigned ndns_cache;
  struct {                      /* the NAT64 prefix of the last IPv6-only path (dns_cache.c) */
    int valid;
    unsigned ifindex;
    char ifname[32];
    smv__nat64_prefix prefix;
    uint64_t expires_ms;
  } nat64;
  int freeing;
  unsigned pending_closes;      /* handles still closing: memory is released when this reaches 0 */
};

/* Counts memory that waits for libuv close callbacks (connections, flows, DNS channels); the last one
 * releases a client that smv_client_free was called on. */
void smv__client_close_begin(smv_client *cl);
void smv__client_close_end(smv_client *cl);
/* Releases the client's own memory (TLS configuration, strings, the struct): at once when nothing
 * waits for a close callback, else when the last one has run. */
void smv__client_release(smv_client *cl);
/* Makes the client's TLS configuration if it has none (the trust store, the versions of its
 * options). SMV_OK, SMV_ERR_NOMEM or SMV_ERR_TLS_CACERT. */
int smv__client_tls(smv_client *cl, smv__tls_conf **out);

/* Test seam: the client's platform table instead of the compiled-in one (a fake network for tests
 * that need no root). Only before the first flow. SMV_ERR_INVALID_ARG when the table's version is
 * not SMV__PLATFORM_OPS_VERSION or a required operation is missing. */
int smv__client_set_platform(smv_client *cl, const smv__platform *p);

#endif

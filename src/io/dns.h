/* Names resolved on the flow's path: c-ares with the path's servers, every socket bound to the path
 * through the platform (a bind that fails fails the query), driven by libuv. */
#ifndef SMV_IO_DNS_H
#define SMV_IO_DNS_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "io/client.h"

#define SMV__DNS_ADDRS_MAX 8

typedef struct smv__dns smv__dns;

typedef struct smv__dns_answer {
  struct sockaddr_in6 addrs[SMV__DNS_ADDRS_MAX];  /* IPv6 and IPv4 (as sockaddr_in) interleaved,
                                                     port set; sockaddr_in6 holds either, and is a
                                                     seventh of a sockaddr_storage */
  size_t count;
} smv__dns_answer;

/* err is 0 or an SMV_ERR_DNS_* / SMV_ERR_NOMEM; the answer is valid during the call. */
typedef void (*smv__dns_cb)(void *ud, int err, const smv__dns_answer *answer);

/* path NULL: no binding (the default route), servers NULL: the system's configuration. */
int smv__dns_new(smv_client *cl, const smv__path *path, const smv__dns_list *servers, smv__dns **out);
/* One resolution at a time. */
int smv__dns_resolve(smv__dns *d, const char *host, unsigned port, smv__dns_cb cb, void *ud);
/* Cancels a query (its callback is not called) and releases everything once libuv has closed. */
void smv__dns_free(smv__dns *d);

/* c-ares allocates through smv__alloc_current(); called once before the first channel. */
int smv__dns_global_init(void);

#endif

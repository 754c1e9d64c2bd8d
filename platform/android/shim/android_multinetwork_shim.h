/* A Linux stand-in for the NDK's <android/multinetwork.h>, so that the Android platform layer builds
 * and its tests run on machines without the NDK. The declarations have the NDK's exact signatures
 * (API 23: setsocknetwork, setprocnetwork, getaddrinfofornetwork; API 29: res_nquery, res_nsend,
 * res_nresult, res_cancel). A network handle is the interface index in the high 32 bits and
 * Android's 0xfacade tag in the low ones, as the platform encodes netIds; binding is SO_BINDTODEVICE.
 * Only the test shim's own knobs (android_shim_*) are not NDK API. */
#ifndef SMV_ANDROID_MULTINETWORK_SHIM_H
#define SMV_ANDROID_MULTINETWORK_SHIM_H

#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t net_handle_t;
#define NETWORK_UNSPECIFIED ((net_handle_t)0)

int android_setsocknetwork(net_handle_t network, int fd);
int android_setprocnetwork(net_handle_t network);
int android_getaddrinfofornetwork(net_handle_t network, const char *node, const char *service,
                                  const struct addrinfo *hints, struct addrinfo **res);

enum ResNsendFlags {
  ANDROID_RESOLV_NO_RETRY = 1 << 0,
  ANDROID_RESOLV_NO_CACHE_STORE = 1 << 1,
  ANDROID_RESOLV_NO_CACHE_LOOKUP = 1 << 2
};

int android_res_nquery(net_handle_t network, const char *dname, int ns_class, int ns_type, uint32_t flags);
int android_res_nsend(net_handle_t network, const uint8_t *msg, size_t msglen, uint32_t flags);
int android_res_nresult(int fd, int *rcode, uint8_t *answer, size_t anslen);
void android_res_cancel(int nsend_fd);

/* ---- Shim only ---- */
/* The handle the shim gives an interface (0 when it does not exist). */
net_handle_t android_shim_handle_for(const char *ifname);
/* The DNS server netd would use for a network: "IP" or "IP:port"; NULL restores the default (the
 * first nameserver of /etc/resolv.conf). */
void android_shim_set_dns(const char *server);

#ifdef __cplusplus
}
#endif
#endif

/* The Linux implementation of the multinetwork shim (see the header for why it exists), defining the
 * functions AOSP's <android/multinetwork.h> declares, so a definition that drifts from Android's
 * prototype does not compile. It keeps
 * the NDK's contracts that the platform layer relies on: an unknown handle fails with ENONET and a
 * negative return, NETWORK_UNSPECIFIED clears a socket's binding, res_nquery returns a pollable fd
 * whose result res_nresult reads and closes, and every query leaves through the network's
 * interface. */
#include "android_multinetwork_shim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SHIM_TAG 0xfacadeu

static char shim_dns[80];

static int handle_to_ifname(net_handle_t h, char name[IF_NAMESIZE]) {
  if ((h & 0xffffffffu) != SHIM_TAG) return -1;
  unsigned ifindex = (unsigned)(h >> 32);
  return ifindex && if_indextoname(ifindex, name) ? 0 : -1;
}

net_handle_t android_shim_handle_for(const char *ifname) {
  unsigned ifindex = if_nametoindex(ifname);
  return ifindex ? ((net_handle_t)ifindex << 32) | SHIM_TAG : NETWORK_UNSPECIFIED;
}

void android_shim_set_dns(const char *server) {
  snprintf(shim_dns, sizeof(shim_dns), "%s", server ? server : "");
}

int android_setsocknetwork(net_handle_t network, int fd) {
  char name[IF_NAMESIZE];
  if (network == NETWORK_UNSPECIFIED)
    return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "", 0) == 0 ? 0 : -1;
  if (handle_to_ifname(network, name) != 0) {
    errno = ENONET;
    return -1;
  }
  return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, (socklen_t)strlen(name) + 1) == 0 ? 0 : -1;
}

int android_setprocnetwork(net_handle_t network) {
  /* A process-wide binding would bind this test process's every socket; the layer never uses it. */
  (void)network;
  errno = ENOSYS;
  return -1;
}

int android_getaddrinfofornetwork(net_handle_t network, const char *node, const char *service,
                                  const struct addrinfo *hints, struct addrinfo **res) {
  char name[IF_NAMESIZE];
  if (handle_to_ifname(network, name) != 0) {
    errno = ENONET;
    return EAI_SYSTEM;
  }
  /* The shim resolves numeric hosts only: the system resolver cannot be bound to an interface, and a
   * shim that quietly resolved through another path would hide exactly the bug it exists to catch. */
  struct addrinfo h;
  if (hints) h = *hints;
  else memset(&h, 0, sizeof(h));
  h.ai_flags |= AI_NUMERICHOST;
  return getaddrinfo(node, service, &h, res);
}

static int server_addr(struct sockaddr_storage *ss, socklen_t *len) {
  char text[80] = "";
  if (shim_dns[0]) {
    snprintf(text, sizeof(text), "%s", shim_dns);
  } else {
    FILE *f = fopen("/etc/resolv.conf", "r");
    char line[256];
    while (f && fgets(line, sizeof(line), f))
      if (sscanf(line, "nameserver %79s", text) == 1) break;
    if (f) fclose(f);
  }
  unsigned port = 53;
  char *colon = strchr(text, ':');
  if (colon && strchr(colon + 1, ':') == NULL && strchr(text, '.')) {
    *colon = '\0';
    port = (unsigned)strtoul(colon + 1, NULL, 10);
  }
  memset(ss, 0, sizeof(*ss));
  struct sockaddr_in *in = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, text, &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)port);
    *len = sizeof(*in);
    return 0;
  }
  if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)port);
    *len = sizeof(*in6);
    return 0;
  }
  return -1;
}

int android_res_nsend(net_handle_t network, const uint8_t *msg, size_t msglen, uint32_t flags) {
  (void)flags;
  struct sockaddr_storage ss;
  socklen_t sslen;
  if (server_addr(&ss, &sslen) != 0) return -EINVAL;
  int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  if (android_setsocknetwork(network, fd) != 0 || network == NETWORK_UNSPECIFIED ||
      connect(fd, (struct sockaddr *)&ss, sslen) != 0 || send(fd, msg, msglen, 0) != (ssize_t)msglen) {
    int e = errno ? errno : ENONET;
    close(fd);
    return -e;
  }
  return fd;
}

int android_res_nquery(net_handle_t network, const char *dname, int ns_class, int ns_type, uint32_t flags) {
  uint8_t q[512];
  size_t n = 12;
  memset(q, 0, 12);
  q[0] = 0x53, q[1] = 0x4d; /* any id: one query per socket */
  q[2] = 0x01;              /* RD */
  q[5] = 1;                 /* QDCOUNT */
  for (const char *label = dname; *label;) {
    const char *dot = strchr(label, '.');
    size_t len = dot ? (size_t)(dot - label) : strlen(label);
    if (len == 0 || len > 63 || n + len + 6 > sizeof(q)) return -EINVAL;
    q[n++] = (uint8_t)len;
    memcpy(q + n, label, len);
    n += len;
    label = dot ? dot + 1 : label + len;
  }
  q[n++] = 0;
  q[n++] = (uint8_t)(ns_type >> 8), q[n++] = (uint8_t)ns_type;
  q[n++] = (uint8_t)(ns_class >> 8), q[n++] = (uint8_t)ns_class;
  return android_res_nsend(network, q, n, flags);
}

int android_res_nresult(int fd, int *rcode, uint8_t *answer, size_t anslen) {
  ssize_t n = recv(fd, answer, anslen, 0);
  int e = errno;
  close(fd);
  if (n < 0) return -e;
  if (n < 12) return -EBADMSG;
  *rcode = answer[3] & 0x0f;
  return (int)n;
}

void android_res_cancel(int nsend_fd) {
  close(nsend_fd);
}

/* Sockets on a path: opening one already bound (to the device, and to an address of the path, so
 * that the kernel cannot pick another interface's address as the source: an IPv4 socket on a path
 * without IPv4 would otherwise ARP with WiFi's address), binding by device name, and the post-connect
 * check that the kernel really used the path's address. The model is curl's bindlocal(): a bind that
 * fails, fails the connection; nothing is sent unbound. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "platform.h"

int smv__bind_source(const smv__path *path, int fd, int family) {
  smv__addr src;
  if (smv__path_source(path, family, &src) != 0) {
    errno = EADDRNOTAVAIL; /* the path has no address of this family: nothing may be sent */
    return SMV_ERR_PATH_BIND;
  }
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof(ss));
  socklen_t len;
  if (family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    in->sin_family = AF_INET;
    memcpy(&in->sin_addr, src.bytes, 4);
    len = sizeof(*in);
  } else {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    in6->sin6_family = AF_INET6;
    memcpy(&in6->sin6_addr, src.bytes, 16);
    len = sizeof(*in6);
  }
  return bind(fd, (struct sockaddr *)&ss, len) == 0 ? SMV_OK : SMV_ERR_PATH_BIND;
}

int smv__platform_open_socket(const smv__platform *p, const smv__path *path, int family, int type,
                              int *fd) {
  *fd = -1;
  int s = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0) return SMV_ERR_IO;
  int rc = p->ops->bind_socket(p->user_data, path, s);
  if (rc == SMV_OK) rc = smv__bind_source(path, s, family);
  if (rc != SMV_OK) {
    int saved = errno;
    close(s);
    errno = saved;
    return rc;
  }
  *fd = s;
  return SMV_OK;
}

int smv__bind_to_device(void *ud, const smv__path *path, int fd) {
  (void)ud;
  size_t n = strnlen(path->name, sizeof(path->name));
  if (n == 0 || n >= IFNAMSIZ) {
    errno = ENODEV;
    return SMV_ERR_PATH_BIND;
  }
#ifdef SO_BINDTODEVICE
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, path->name, (socklen_t)(n + 1)) != 0)
    return SMV_ERR_PATH_BIND;
  /* Read it back: a kernel (or seccomp filter) that accepted the call without binding is a failure. */
  char got[IFNAMSIZ] = {0};
  socklen_t glen = sizeof(got);
  if (getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, got, &glen) != 0) {
#ifdef SMV_EMULATION_UNCONFIRMED_BIND
    /* qemu-user test builds only (see CMakeLists.txt): qemu refuses the read-back it does not
     * implement; any other failure still fails. */
    if (errno == EINVAL || errno == ENOPROTOOPT) return SMV_OK;
#endif
    return SMV_ERR_PATH_BIND;
  }
  if (strcmp(got, path->name) != 0) {
    errno = EPERM;
    return SMV_ERR_PATH_BIND;
  }
  return SMV_OK;
#else
  errno = ENOSYS;
  return SMV_ERR_PATH_BIND;
#endif
}

static int sockaddr_to_addr(const struct sockaddr *sa, smv__addr *a, unsigned *port) {
  memset(a, 0, sizeof(*a));
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
    a->family = AF_INET;
    memcpy(a->bytes, &in->sin_addr, 4);
    a->prefix = 32;
    if (port) *port = ntohs(in->sin_port);
    return 0;
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
    a->family = AF_INET6;
    memcpy(a->bytes, &in6->sin6_addr, 16);
    a->prefix = 128;
    if (port) *port = ntohs(in6->sin6_port);
    return 0;
  }
  return -1;
}

int smv__check_local_generic(void *ud, const smv__path *path, int fd, char *local, size_t local_len) {
  (void)ud;
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  smv__addr a;
  unsigned port = 0;
  if (local && local_len) local[0] = '\0';
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
      sockaddr_to_addr((const struct sockaddr *)&ss, &a, &port) != 0)
    return SMV_ERR_PATH_LOCAL_ADDR;
  if (local && local_len) {
    char ip[INET6_ADDRSTRLEN];
    smv__addr_format(&a, ip, sizeof(ip));
    snprintf(local, local_len, a.family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, port);
  }
  /* The path's addresses as the snapshot had them: every socket is bound to one of them (core
   * smv__path_plan picks it), so the kernel has nothing else to choose; an address removed since is
   * the path watch's to report (SMV_ERR_PATH_LOST). No getifaddrs here: its 8.6 KiB of netlink
   * buffers would sit on top of the TLS handshake's heap at every connection. */
  return smv__path_has_addr(path, &a) ? SMV_OK : SMV_ERR_PATH_LOCAL_ADDR;
}

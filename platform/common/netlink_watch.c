/* Noticing that the chosen path went away, on Linux kernels (desktop Linux, modem firmware): a
 * NETLINK_ROUTE socket subscribed to link and address events wakes the driver's poll, and then the
 * interface's actual state decides. Deciding from the state rather than from the messages keeps a
 * lost message (ENOBUFS on a busy system) from hiding a loss. */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "platform.h"

#ifdef __linux__
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#endif

void smv__watch_close(smv__path_watch *w) {
  if (w->fd >= 0) close(w->fd);
  if (w->aux_fd >= 0) close(w->aux_fd);
  w->fd = -1;
  w->aux_fd = -1;
}

/* Up, running, present, and still holding one of the addresses the flow relies on. */
int smv__watch_check_state(smv__path_watch *w) {
  char name[IF_NAMESIZE];
  if (!if_indextoname(w->ifindex, name) || strcmp(name, w->name) != 0) {
    snprintf(w->reason, sizeof(w->reason), "%s vanished", w->name);
    return SMV_ERR_PATH_LOST;
  }
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s >= 0) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%.15s", w->name);
    int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
    close(s);
    if (rc == 0 && (!(ifr.ifr_flags & IFF_UP) || !(ifr.ifr_flags & (IFF_RUNNING | IFF_LOOPBACK)))) {
      snprintf(w->reason, sizeof(w->reason), "%s went down", w->name);
      return SMV_ERR_PATH_LOST;
    }
  }
  if (w->naddrs == 0) return SMV_OK;
  struct ifaddrs *ifa = NULL;
  if (getifaddrs(&ifa) != 0) return SMV_OK; /* no evidence of loss; the next event checks again */
  smv__path now;
  memset(&now, 0, sizeof(now));
  for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
    if (!i->ifa_addr || strcmp(i->ifa_name, w->name) != 0 || now.naddrs == SMV__PATH_ADDRS_MAX) continue;
    smv__addr *a = &now.addrs[now.naddrs];
    memset(a, 0, sizeof(*a));
    if (i->ifa_addr->sa_family == AF_INET) {
      a->family = AF_INET;
      a->prefix = 32;
      memcpy(a->bytes, &((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr, 4);
      now.naddrs++;
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      a->family = AF_INET6;
      a->prefix = 128;
      memcpy(a->bytes, &((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr, 16);
      now.naddrs++;
    }
  }
  freeifaddrs(ifa);
  for (size_t k = 0; k < w->naddrs; k++)
    if (smv__path_has_addr(&now, &w->addrs[k])) return SMV_OK;
  char ip[64];
  smv__addr_format(&w->addrs[0], ip, sizeof(ip));
  snprintf(w->reason, sizeof(w->reason), "%s lost its address%s %s", w->name, w->naddrs > 1 ? "es, e.g." : "",
           ip);
  return SMV_ERR_PATH_LOST;
}

void smv__watch_init(const smv__path *path, smv__path_watch *w) {
  memset(w, 0, sizeof(*w));
  w->fd = -1;
  w->aux_fd = -1;
  w->ifindex = path->ifindex ? path->ifindex : if_nametoindex(path->name);
  w->net_handle = path->net_handle;
  snprintf(w->name, sizeof(w->name), "%s", path->name);
  w->naddrs = path->naddrs;
  memcpy(w->addrs, path->addrs, sizeof(w->addrs));
}

int smv__netlink_watch_start(void *ud, const smv__path *path, smv__path_watch *w) {
  (void)ud;
  smv__watch_init(path, w);
#ifdef __linux__
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return SMV_ERR_IO;
  struct sockaddr_nl sa;
  memset(&sa, 0, sizeof(sa));
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
    close(fd);
    return SMV_ERR_IO;
  }
  w->fd = fd;
#else
  return SMV_ERR_IO;
#endif
  if (smv__watch_check_state(w) != SMV_OK) {
    w->lost = 1;
    return SMV_ERR_PATH_LOST;
  }
  return SMV_OK;
}

int smv__netlink_watch_process(void *ud, smv__path_watch *w) {
  (void)ud;
  if (w->lost) return SMV_ERR_PATH_LOST;
  char buf[8192];
  int events = 0;
  for (;;) {
    ssize_t n = recv(w->fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0 || (n < 0 && errno == ENOBUFS)) {
      events = 1;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break; /* EAGAIN: drained; ENOBUFS: events lost, the state check below covers them */
  }
  /* The kernel queues an event on the socket before the change that made it returns, and the state
   * was checked once subscribed (watch_start): with nothing queued and nothing lost, nothing
   * changed, and the check (getifaddrs: 8.6 KiB of buffers on top of a flow's heap at each hop) is
   * not needed. */
  if (!events) return SMV_OK;
  if (smv__watch_check_state(w) != SMV_OK) {
    w->lost = 1;
    return SMV_ERR_PATH_LOST;
  }
  return SMV_OK;
}

void smv__netlink_watch_stop(void *ud, smv__path_watch *w) {
  (void)ud;
  smv__watch_close(w);
}

/* The Linux snapshot: rtnetlink dumps of links (with IFLA_LINKINFO's kind), addresses and routes,
 * then sysfs for what netlink does not say (802.11, DEVTYPE, tun_flags, the device's driver). This is
 * the evidence the classifier weighs; it reads, it never decides. */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "linux_internal.h"

#define SYSFS "/sys"

typedef struct nl {
  int fd;
  unsigned seq;
} nl;

static int nl_dump(nl *n, int type, int family) {
  struct {
    struct nlmsghdr h;
    struct rtgenmsg g;
  } req;
  memset(&req, 0, sizeof(req));
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.g));
  req.h.nlmsg_type = (unsigned short)type;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = ++n->seq;
  req.g.rtgen_family = (unsigned char)family;
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (sendto(n->fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) return -1;
  return 0;
}

typedef void (*nl_cb)(smv__snapshot *s, struct nlmsghdr *h);

/* Reads one dump's replies to the end (NLMSG_DONE). */
static int nl_read(nl *n, smv__snapshot *s, nl_cb cb) {
  char buf[16384];
  for (;;) {
    ssize_t len = recv(n->fd, buf, sizeof(buf), 0);
    if (len < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)(void *)buf; NLMSG_OK(h, (unsigned)len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != n->seq) continue;
      if (h->nlmsg_type == NLMSG_DONE) return 0;
      if (h->nlmsg_type == NLMSG_ERROR) return -1;
      cb(s, h);
    }
  }
}

static smv__path *by_index(smv__snapshot *s, unsigned ifindex) {
  for (size_t i = 0; i < s->count; i++)
    if (s->paths[i].ifindex == ifindex) return &s->paths[i];
  return NULL;
}

static void on_link(smv__snapshot *s, struct nlmsghdr *h) {
  if (h->nlmsg_type != RTM_NEWLINK) return;
  struct ifinfomsg *ifi = NLMSG_DATA(h);
  if (s->count == SMV__PATHS_MAX) {
    s->dropped++;
    return;
  }
  smv__path *p = &s->paths[s->count];
  memset(p, 0, sizeof(*p));
  p->tun_flags = -1;
  p->ifindex = (unsigned)ifi->ifi_index;
  p->arphrd = ifi->ifi_type;
  p->flags = ifi->ifi_flags;
  int len = (int)IFLA_PAYLOAD(h);
  for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == IFLA_IFNAME) {
      snprintf(p->name, sizeof(p->name), "%.*s", (int)RTA_PAYLOAD(a), (const char *)RTA_DATA(a));
    } else if (a->rta_type == IFLA_OPERSTATE && RTA_PAYLOAD(a) >= 1) {
      p->operstate = *(const unsigned char *)RTA_DATA(a);
    } else if (a->rta_type == IFLA_LINKINFO) {
      int ilen = (int)RTA_PAYLOAD(a);
      for (struct rtattr *b = RTA_DATA(a); RTA_OK(b, ilen); b = RTA_NEXT(b, ilen))
        if (b->rta_type == IFLA_INFO_KIND)
          snprintf(p->kind, sizeof(p->kind), "%.*s", (int)RTA_PAYLOAD(b), (const char *)RTA_DATA(b));
    }
  }
  /* The kind string may carry its NUL inside the payload; %.*s stops there. */
  if (p->name[0]) s->count++;
}

static void on_addr(smv__snapshot *s, struct nlmsghdr *h) {
  if (h->nlmsg_type != RTM_NEWADDR) return;
  struct ifaddrmsg *ifa = NLMSG_DATA(h);
  smv__path *p = by_index(s, ifa->ifa_index);
  if (!p || (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)) return;
  struct rtattr *local = NULL, *address = NULL;
  int len = (int)IFA_PAYLOAD(h);
  for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == IFA_LOCAL) local = a;
    else if (a->rta_type == IFA_ADDRESS) address = a;
  }
  /* On point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is ours. */
  struct rtattr *mine = local ? local : address;
  size_t alen = ifa->ifa_family == AF_INET ? 4 : 16;
  if (!mine || RTA_PAYLOAD(mine) < alen || p->naddrs == SMV__PATH_ADDRS_MAX) return;
  smv__addr *a = &p->addrs[p->naddrs++];
  memset(a, 0, sizeof(*a));
  a->family = ifa->ifa_family;
  memcpy(a->bytes, RTA_DATA(mine), alen);
  a->prefix = ifa->ifa_prefixlen;
}

static void on_route(smv__snapshot *s, struct nlmsghdr *h) {
  if (h->nlmsg_type != RTM_NEWROUTE) return;
  struct rtmsg *rt = NLMSG_DATA(h);
  if (rt->rtm_dst_len != 0 || rt->rtm_type != RTN_UNICAST) return;
  if (rt->rtm_family != AF_INET && rt->rtm_family != AF_INET6) return;
  unsigned oif = 0, metric = 0, table = rt->rtm_table;
  struct rtattr *gw = NULL;
  int len = (int)RTM_PAYLOAD(h);
  for (struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) >= 4) memcpy(&oif, RTA_DATA(a), 4);
    else if (a->rta_type == RTA_PRIORITY && RTA_PAYLOAD(a) >= 4) memcpy(&metric, RTA_DATA(a), 4);
    else if (a->rta_type == RTA_GATEWAY) gw = a;
    else if (a->rta_type == RTA_TABLE && RTA_PAYLOAD(a) >= 4) memcpy(&table, RTA_DATA(a), 4);
  }
  /* Android keeps each network's default route in its own table; any table's default counts as this
   * interface being an uplink. Local and unspec tables hold no uplinks. */
  if (table == RT_TABLE_LOCAL) return;
  smv__path *p = by_index(s, oif);
  if (!p) return;
  int v4 = rt->rtm_family == AF_INET;
  int *has = v4 ? &p->default4 : &p->default6;
  unsigned *m = v4 ? &p->metric4 : &p->metric6;
  smv__addr *g = v4 ? &p->gateway4 : &p->gateway6;
  if (*has && *m <= metric) return;
  *has = 1;
  *m = metric;
  memset(g, 0, sizeof(*g));
  size_t alen = v4 ? 4 : 16;
  if (gw && RTA_PAYLOAD(gw) >= alen) {
    g->family = rt->rtm_family;
    memcpy(g->bytes, RTA_DATA(gw), alen);
    g->prefix = (uint8_t)(alen * 8);
  }
}

static int sys_exists(const char *ifname, const char *leaf) {
  char path[PATH_MAX];
  struct stat st;
  snprintf(path, sizeof(path), "%s/class/net/%s/%s", SYSFS, ifname, leaf);
  return stat(path, &st) == 0;
}

static void sysfs_facts(smv__path *p) {
  char path[PATH_MAX], line[256];
  const char *sys = SYSFS;
  p->wireless = sys_exists(p->name, "wireless") || sys_exists(p->name, "phy80211");
  snprintf(path, sizeof(path), "%s/class/net/%s/uevent", sys, p->name);
  FILE *f = fopen(path, "r");
  if (f) {
    while (fgets(line, sizeof(line), f))
      if (strncmp(line, "DEVTYPE=", 8) == 0) {
        line[strcspn(line, "\r\n")] = '\0';
        snprintf(p->devtype, sizeof(p->devtype), "%.*s", (int)sizeof(p->devtype) - 1, line + 8);
      }
    fclose(f);
  }
  snprintf(path, sizeof(path), "%s/class/net/%s/tun_flags", sys, p->name);
  f = fopen(path, "r");
  if (f) {
    if (fgets(line, sizeof(line), f)) p->tun_flags = (int)strtol(line, NULL, 0);
    fclose(f);
  }
  char target[PATH_MAX];
  snprintf(path, sizeof(path), "%s/class/net/%s/device/driver", sys, p->name);
  ssize_t n = readlink(path, target, sizeof(target) - 1);
  if (n > 0) {
    target[n] = '\0';
    const char *base = strrchr(target, '/');
    snprintf(p->driver, sizeof(p->driver), "%.31s", base ? base + 1 : target);
  }
}

int smv__linux_snapshot(smv__snapshot *out) {
  memset(out, 0, sizeof(*out));
  snprintf(out->source, sizeof(out->source), "netlink");
  nl n = {.fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), .seq = 0};
  if (n.fd < 0) return SMV_ERR_IO;
  struct timeval tv = {.tv_sec = 2, .tv_usec = 0};
  setsockopt(n.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  int rc = SMV_OK;
  if (nl_dump(&n, RTM_GETLINK, AF_UNSPEC) || nl_read(&n, out, on_link) || nl_dump(&n, RTM_GETADDR, AF_UNSPEC) ||
      nl_read(&n, out, on_addr) || nl_dump(&n, RTM_GETROUTE, AF_INET) || nl_read(&n, out, on_route) ||
      nl_dump(&n, RTM_GETROUTE, AF_INET6) || nl_read(&n, out, on_route))
    rc = SMV_ERR_IO;
  close(n.fd);
  if (rc != SMV_OK) return rc;
  for (size_t i = 0; i < out->count; i++) sysfs_facts(&out->paths[i]);
  return SMV_OK;
}

/* A snapshot from getifaddrs() plus what sysfs and /proc say, for platforms where netlink dumps are
 * unavailable (Android apps may not dump links since API 30) or more than is needed (modem firmware
 * that names its WAN interface). Routes come from /proc/net/route and /proc/net/ipv6_route. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "platform.h"

static smv__path *find_or_add(smv__snapshot *s, const char *name) {
  for (size_t i = 0; i < s->count; i++)
    if (strcmp(s->paths[i].name, name) == 0) return &s->paths[i];
  if (s->count == SMV__PATHS_MAX) {
    s->dropped++;
    return NULL;
  }
  smv__path *p = &s->paths[s->count++];
  memset(p, 0, sizeof(*p));
  p->tun_flags = -1;
  snprintf(p->name, sizeof(p->name), "%s", name);
  p->ifindex = if_nametoindex(name);
  return p;
}

static unsigned mask_bits(const uint8_t *b, size_t n) {
  unsigned bits = 0;
  for (size_t i = 0; i < n; i++)
    for (int k = 7; k >= 0 && ((b[i] >> k) & 1); k--) bits++;
  return bits;
}

static long read_long(const char *name, const char *leaf, long dflt) {
  char path[256], buf[64];
  snprintf(path, sizeof(path), "/sys/class/net/%s/%s", name, leaf);
  FILE *f = fopen(path, "r");
  if (!f) return dflt;
  long v = dflt;
  if (fgets(buf, sizeof(buf), f)) v = strtol(buf, NULL, 0);
  fclose(f);
  return v;
}

static void routes_v4(smv__snapshot *s) {
  FILE *f = fopen("/proc/net/route", "r");
  char line[256];
  if (!f) return;
  while (fgets(line, sizeof(line), f)) {
    char ifname[64];
    unsigned dest, gw, flags, refcnt, use, metric, mask;
    if (sscanf(line, "%63s %x %x %x %u %u %u %x", ifname, &dest, &gw, &flags, &refcnt, &use, &metric,
               &mask) != 8)
      continue;
    if (dest != 0 || mask != 0 || !(flags & 0x1)) continue; /* RTF_UP default routes only */
    smv__path *p = NULL;
    for (size_t i = 0; i < s->count; i++)
      if (strcmp(s->paths[i].name, ifname) == 0) p = &s->paths[i];
    if (!p || (p->default4 && p->metric4 <= metric)) continue;
    p->default4 = 1;
    p->metric4 = metric;
    memset(&p->gateway4, 0, sizeof(p->gateway4));
    if (gw) { /* already network byte order as printed by the kernel in host-endian hex */
      p->gateway4.family = AF_INET;
      memcpy(p->gateway4.bytes, &gw, 4);
      p->gateway4.prefix = 32;
    }
  }
  fclose(f);
}

static void routes_v6(smv__snapshot *s) {
  FILE *f = fopen("/proc/net/ipv6_route", "r");
  char line[512];
  if (!f) return;
  while (fgets(line, sizeof(line), f)) {
    char dst[33], src[33], nh[33], ifname[64];
    unsigned dlen, slen, metric, refcnt, use, flags;
    if (sscanf(line, "%32s %x %32s %x %32s %x %x %x %x %63s", dst, &dlen, src, &slen, nh, &metric, &refcnt,
               &use, &flags, ifname) != 10)
      continue;
    if (dlen != 0 || strspn(dst, "0") != 32 || !(flags & 0x1) || strcmp(ifname, "lo") == 0) continue;
    for (size_t i = 0; i < s->count; i++) {
      smv__path *p = &s->paths[i];
      if (strcmp(p->name, ifname) != 0 || (p->default6 && p->metric6 <= metric)) continue;
      p->default6 = 1;
      p->metric6 = metric;
      memset(&p->gateway6, 0, sizeof(p->gateway6));
      if (strspn(nh, "0") != 32) {
        p->gateway6.family = AF_INET6;
        for (int b = 0; b < 16; b++) {
          char two[3] = {nh[2 * b], nh[2 * b + 1], 0};
          p->gateway6.bytes[b] = (uint8_t)strtoul(two, NULL, 16);
        }
        p->gateway6.prefix = 128;
      }
    }
  }
  fclose(f);
}

int smv__snapshot_from_ifaddrs(smv__snapshot *out) {
  struct ifaddrs *ifa = NULL;
  memset(out, 0, sizeof(*out));
  snprintf(out->source, sizeof(out->source), "ifaddrs");
  if (getifaddrs(&ifa) != 0) return SMV_ERR_IO;
  for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
    smv__path *p = find_or_add(out, i->ifa_name);
    if (!p) continue;
    p->flags = i->ifa_flags;
    if (!i->ifa_addr) continue;
    int fam = i->ifa_addr->sa_family;
    if (fam != AF_INET && fam != AF_INET6) continue;
    smv__addr a = {0};
    a.family = fam;
    if (fam == AF_INET) {
      memcpy(a.bytes, &((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr, 4);
      if (i->ifa_netmask)
        a.prefix = (uint8_t)mask_bits((const uint8_t *)&((const struct sockaddr_in *)(const void *)i->ifa_netmask)->sin_addr, 4);
    } else {
      memcpy(a.bytes, &((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr, 16);
      if (i->ifa_netmask)
        a.prefix = (uint8_t)mask_bits((const uint8_t *)&((const struct sockaddr_in6 *)(const void *)i->ifa_netmask)->sin6_addr, 16);
    }
    if (p->naddrs < SMV__PATH_ADDRS_MAX) p->addrs[p->naddrs++] = a;
  }
  freeifaddrs(ifa);
  for (size_t k = 0; k < out->count; k++) {
    smv__path *p = &out->paths[k];
    p->arphrd = (unsigned)read_long(p->name, "type", 0);
    p->operstate = (p->flags & IFF_RUNNING) ? 6 : 2;
    p->tun_flags = (int)read_long(p->name, "tun_flags", -1);
  }
  routes_v4(out);
  routes_v6(out);
  return SMV_OK;
}

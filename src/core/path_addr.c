/* Addresses of paths: parsing, printing, and the "is this address on that path" test that the
 * post-connect check and the loss watcher share. */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/path.h"

void smv__addr_format(const smv__addr *a, char *buf, size_t len) {
  if (len == 0) return;
  buf[0] = '\0';
  if (a->family == AF_INET || a->family == AF_INET6) inet_ntop(a->family, a->bytes, buf, (socklen_t)len);
}

int smv__addr_parse(const char *s, smv__addr *out) {
  char tmp[64];
  size_t n = strlen(s);
  if (n == 0 || n >= sizeof(tmp)) return -1;
  memcpy(tmp, s, n + 1);
  memset(out, 0, sizeof(*out));
  char *slash = strchr(tmp, '/');
  if (slash) *slash = '\0';
  if (inet_pton(AF_INET, tmp, out->bytes) == 1) {
    out->family = AF_INET;
    out->prefix = 32;
  } else if (inet_pton(AF_INET6, tmp, out->bytes) == 1) {
    out->family = AF_INET6;
    out->prefix = 128;
  } else {
    return -1;
  }
  if (slash) {
    char *end;
    long p = strtol(slash + 1, &end, 10);
    if (*end || end == slash + 1 || p < 0 || p > (out->family == AF_INET ? 32 : 128)) return -1;
    out->prefix = (uint8_t)p;
  }
  return 0;
}

/* ::ffff:a.b.c.d is how a dual-stack socket reports an IPv4 peer; compare it as IPv4. */
static smv__addr unmap(const smv__addr *a) {
  static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  smv__addr r = *a;
  if (a->family == AF_INET6 && memcmp(a->bytes, v4mapped, 12) == 0) {
    memset(&r, 0, sizeof(r));
    r.family = AF_INET;
    memcpy(r.bytes, a->bytes + 12, 4);
    r.prefix = 32;
  }
  return r;
}

static int same_prefix(const uint8_t *a, const uint8_t *b, unsigned bits) {
  unsigned whole = bits / 8, rest = bits % 8;
  if (memcmp(a, b, whole) != 0) return 0;
  if (rest == 0) return 1;
  uint8_t mask = (uint8_t)(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

int smv__path_has_addr(const smv__path *p, const smv__addr *addr) {
  smv__addr a = unmap(addr);
  size_t len = a.family == AF_INET ? 4 : 16;
  for (size_t i = 0; i < p->naddrs; i++) {
    const smv__addr *mine = &p->addrs[i];
    if (mine->family != a.family) continue;
    if (memcmp(mine->bytes, a.bytes, len) == 0) return 1;
    /* Linux answers for the whole 127.0.0.0/8 on lo, so any of it is a loopback path's own. */
    if ((p->flags & IFF_LOOPBACK) && same_prefix(mine->bytes, a.bytes, mine->prefix)) return 1;
  }
  return 0;
}

int smv__path_usable(const smv__path *p) {
  if (!(p->flags & IFF_UP)) return 0;
  if (!(p->flags & (IFF_RUNNING | IFF_LOOPBACK))) return 0;
  return p->naddrs > 0;
}

/* fe80::/10: never a source toward a server. */
static int link_local6(const smv__addr *a) {
  return a->family == AF_INET6 && a->bytes[0] == 0xfe && (a->bytes[1] & 0xc0) == 0x80;
}

int smv__path_source(const smv__path *p, int family, smv__addr *out) {
  for (size_t i = 0; i < p->naddrs; i++) {
    const smv__addr *a = &p->addrs[i];
    if (a->family != family || link_local6(a)) continue;
    *out = *a;
    return 0;
  }
  return -1;
}

int smv__path_has_family(const smv__path *p, int family) {
  smv__addr a;
  return smv__path_source(p, family, &a) == 0;
}

int smv__path_has_clat_addr(const smv__path *p) {
  for (size_t i = 0; i < p->naddrs; i++)
    if (p->addrs[i].family == AF_INET && p->addrs[i].bytes[0] == 192 && p->addrs[i].bytes[1] == 0 &&
        p->addrs[i].bytes[2] == 0 && p->addrs[i].bytes[3] < 8)
      return 1;
  return 0;
}

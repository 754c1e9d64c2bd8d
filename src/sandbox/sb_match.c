/* CGNAT record matching. IPv4-mapped IPv6 peers (::ffff:a.b.c.d, what a dual-stack listener
 * reports) are compared as the IPv4 address they carry. */
#include "sandbox/sb_match.h"

#include <string.h>

static smv__sb_addr unmap(const smv__sb_addr *a) {
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  smv__sb_addr r = *a;
  if (a->family == 6 && memcmp(a->b, mapped, 12) == 0) {
    memset(&r, 0, sizeof(r));
    r.family = 4;
    memcpy(r.b, a->b + 12, 4);
  }
  return r;
}

static int same(const smv__sb_addr *a, const smv__sb_addr *b) {
  if (a->family != b->family || !a->family) return 0;
  return memcmp(a->b, b->b, a->family == 4 ? 4 : 16) == 0;
}

static int prefix_bits(const unsigned char *a, const unsigned char *p, unsigned len) {
  unsigned full = len / 8, rest = len % 8;
  if (memcmp(a, p, full) != 0) return 0;
  if (rest) {
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    if ((a[full] & mask) != (p[full] & mask)) return 0;
  }
  return 1;
}

int smv__sb_prefix_match(const smv__sb_addr *a, const smv__sb_addr *prefix, unsigned len) {
  if (a->family != 6 || prefix->family != 6 || len > 128) return 0;
  return prefix_bits(a->b, prefix->b, len);
}

int smv__sb_addr_equal(const smv__sb_addr *a, const smv__sb_addr *b) {
  smv__sb_addr x = unmap(a), y = unmap(b);
  return same(&x, &y);
}

int smv__sb_in_prefix(const smv__sb_addr *a, const smv__sb_prefix *p) {
  smv__sb_addr x = unmap(a);
  if (x.family != p->addr.family || !x.family) return 0;
  return prefix_bits(x.b, p->addr.b, p->len);
}

int smv__sb_in_operator_ranges(const smv__sb_config *cfg, size_t op, const smv__sb_addr *ip) {
  const smv__sb_operator *o = &cfg->operators[op];
  if (o->ranges_configured) {
    for (size_t i = 0; i < o->range_count; i++)
      if (smv__sb_in_prefix(ip, &o->ranges[i])) return 1;
    return 0;
  }
  if (o->profile != SMV__SB_PROFILE_IP_PORT) return 1;
  smv__sb_addr a = unmap(ip);
  int any = 0;
  if (o->public_ipv4.family) {
    any = 1;
    if (same(&a, &o->public_ipv4)) return 1;
  }
  for (size_t i = 0; i < cfg->subscriber_count; i++) {
    const smv__sb_subscriber *s = &cfg->subscribers[i];
    if (s->op != op) continue;
    if (s->private_addr.family) {
      any = 1;
      if (same(&a, &s->private_addr)) return 1;
    }
    if (s->ipv6_prefix.family) {
      any = 1;
      if (smv__sb_prefix_match(&a, &s->ipv6_prefix, s->ipv6_prefix_len)) return 1;
    }
  }
  return !any;
}

int smv__sb_match(const smv__sb_config *cfg, const smv__sb_subscriber *s, const smv__sb_addr *ip,
                  uint16_t port, int port_known) {
  smv__sb_addr a = unmap(ip);
  if (s->private_addr.family && same(&a, &s->private_addr)) return 1;
  if (s->ipv6_prefix.family && smv__sb_prefix_match(&a, &s->ipv6_prefix, s->ipv6_prefix_len))
    return 1;
  const smv__sb_operator *op = &cfg->operators[s->op];
  if (s->port_lo && port_known && same(&a, &op->public_ipv4))
    return port >= s->port_lo && port <= s->port_hi;
  return 0;
}

long smv__sb_lookup_by_addr(const smv__sb_config *cfg, size_t op, const smv__sb_addr *ip,
                            uint16_t port) {
  for (size_t i = 0; i < cfg->subscriber_count; i++)
    if (cfg->subscribers[i].op == op && smv__sb_match(cfg, &cfg->subscribers[i], ip, port, 1))
      return (long)i;
  return -1;
}

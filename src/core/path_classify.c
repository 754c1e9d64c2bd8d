/* The path classifier: a pure function of a snapshot. Each fact the system gave about an interface
 * becomes a signal with a class and a strength; the strongest signal decides, and every signal is
 * kept as evidence, strongest first, so that a refusal can say exactly why. Strengths encode how
 * much each fact can be trusted: what the kernel or Android says about the device itself beats
 * what the interface happens to be called. */
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/attr.h"
#include "core/path.h"

typedef struct signal {
  smv_path_class cls;
  int strength;
  char text[SMV__EVIDENCE_LEN];
} signal;

typedef struct signals {
  signal s[16];
  size_t n;
} signals;

SMV__PRINTF(4, 5)
static void add(signals *sg, smv_path_class cls, int strength, const char *fmt, ...);

static void add(signals *sg, smv_path_class cls, int strength, const char *fmt, ...) {
  if (sg->n == sizeof(sg->s) / sizeof(sg->s[0])) return;
  signal *s = &sg->s[sg->n++];
  s->cls = cls;
  s->strength = strength;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->text, sizeof(s->text), fmt, ap);
  va_end(ap);
}

static int prefixed(const char *name, const char *prefix) {
  return strncmp(name, prefix, strlen(prefix)) == 0;
}

static int is_one_of(const char *s, const char *const *list) {
  for (; *list; list++)
    if (strcmp(s, *list) == 0) return 1;
  return 0;
}

/* Interface names by convention. Weak on purpose: names can be chosen by anyone. */
static void name_signal(signals *sg, const char *name, int strength) {
  static const char *const cell[] = {"rmnet", "ccmni", "wwan", "ccinet", "seth_lte", "pdp", "mhi", NULL};
  static const char *const wifi[] = {"wlan", "wlp", "wlx", "wifi", "ath", "ra", NULL};
  static const char *const vpn[] = {"tun", "tap", "wg", "ipsec", "utun", "xfrm", "vti", NULL};
  static const char *const eth[] = {"eth", "enp", "eno", "ens", "enx", "em", NULL};
  for (const char *const *p = cell; *p; p++)
    if (prefixed(name, *p)) {
      add(sg, SMV_PATH_CELLULAR, strength, "name %s (%s* is a cellular modem's data interface)", name, *p);
      return;
    }
  for (const char *const *p = wifi; *p; p++)
    if (prefixed(name, *p)) {
      add(sg, SMV_PATH_WIFI, strength, "name %s (%s* is a WiFi interface)", name, *p);
      return;
    }
  for (const char *const *p = vpn; *p; p++)
    if (prefixed(name, *p)) {
      add(sg, SMV_PATH_VPN, strength, "name %s (%s* is a VPN tunnel)", name, *p);
      return;
    }
  if (prefixed(name, "bnep")) {
    add(sg, SMV_PATH_TETHERED, strength, "name %s (Bluetooth PAN tether)", name);
    return;
  }
  if (prefixed(name, "ppp")) {
    add(sg, SMV_PATH_UNKNOWN, strength, "name %s (PPP: dial-up modem, PPPoE or L2TP/PPTP VPN)", name);
    return;
  }
  for (const char *const *p = eth; *p; p++)
    if (prefixed(name, *p)) {
      add(sg, SMV_PATH_ETHERNET, strength - 10, "name %s (%s* is wired Ethernet)", name, *p);
      return;
    }
}

static void kind_signal(signals *sg, const char *kind) {
  static const char *const vpn_tunnel[] = {"wireguard", "ovpn", "xfrm", "vti", "vti6", NULL};
  static const char *const ip_tunnel[] = {"gre", "gretap", "ip6gre", "ip6gretap", "ipip", "ip6tnl", "sit",
                                          "l2tp", "geneve", "vxlan", NULL};
  static const char *const cell[] = {"rmnet", "qmimux", "wwan", "mhi_net", NULL};
  static const char *const virt[] = {"veth", "bridge", "bond", "macvlan", "ipvlan", "vlan", "dummy", "ifb",
                                     "team", "vrf", NULL};
  if (!kind[0]) return;
  if (strcmp(kind, "tun") == 0 || strcmp(kind, "tap") == 0)
    add(sg, SMV_PATH_VPN, 90, "link kind %s (a user-space VPN's tunnel)", kind);
  else if (is_one_of(kind, vpn_tunnel))
    add(sg, SMV_PATH_VPN, 90, "link kind %s (VPN%s)", kind,
        (strcmp(kind, "xfrm") == 0 || prefixed(kind, "vti")) ? ": IPsec" : "");
  else if (is_one_of(kind, ip_tunnel))
    add(sg, SMV_PATH_VPN, 85, "link kind %s (IP tunnel)", kind);
  else if (is_one_of(kind, cell))
    add(sg, SMV_PATH_CELLULAR, 85, "link kind %s (cellular modem data channel)", kind);
  else if (strcmp(kind, "ppp") == 0)
    add(sg, SMV_PATH_UNKNOWN, 50, "link kind ppp (dial-up modem, PPPoE or L2TP/PPTP VPN: cannot tell)");
  else if (is_one_of(kind, virt))
    add(sg, SMV_PATH_UNKNOWN, 25, "link kind %s (virtual: %s)", kind,
        strcmp(kind, "veth") == 0 ? "a container or namespace pair" : "says nothing of the uplink");
  else
    add(sg, SMV_PATH_UNKNOWN, 25, "link kind %s", kind);
}

static void driver_signal(signals *sg, const smv__path *p) {
  static const char *const cell[] = {"qmi_wwan", "cdc_mbim", "mhi_net", "ipa", "rmnet_ipa", "sierra_net",
                                     "huawei_cdc_ncm", "GobiNet", "ccmni", "t7xx", "iosm", "mtk_t7xx",
                                     "qmi_wwan_q", NULL};
  static const char *const tether[] = {"rndis_host", "ipheth", NULL};
  const char *d = p->driver;
  if (!d[0]) return;
  if (is_one_of(d, cell))
    add(sg, SMV_PATH_CELLULAR, 75, "driver %s (cellular modem)", d);
  else if (is_one_of(d, tether))
    add(sg, SMV_PATH_TETHERED, 85, "driver %s (USB tether to a phone%s)", d,
        strcmp(d, "ipheth") == 0 ? ": iPhone" : ": Android RNDIS");
  else if (strcmp(d, "cdc_ncm") == 0 || strcmp(d, "cdc_ether") == 0)
    add(sg, SMV_PATH_UNKNOWN, 35, "driver %s (USB networking: modem, phone tether or adapter)", d);
}

static void arphrd_signal(signals *sg, const smv__path *p) {
  switch (p->arphrd) {
  case 519: /* ARPHRD_RAWIP */
    add(sg, SMV_PATH_CELLULAR, 60, "raw-IP link (ARPHRD_RAWIP), as cellular modems use");
    break;
  case 65534: /* ARPHRD_NONE: tun and wireguard too, but those carry a kind or tun_flags */
    if (!p->kind[0] && p->tun_flags < 0)
      add(sg, SMV_PATH_CELLULAR, 55, "no link-layer header (ARPHRD_NONE) and no tunnel kind, as modems");
    break;
  case 512: /* ARPHRD_PPP */
    add(sg, SMV_PATH_UNKNOWN, 50, "PPP link (ARPHRD_PPP): dial-up modem, PPPoE or VPN");
    break;
  case 768: case 769: case 776: case 778: case 823: /* TUNNEL, TUNNEL6, SIT, IPGRE, IP6GRE */
    add(sg, SMV_PATH_VPN, 70, "IP-in-IP tunnel link (ARPHRD %u)", p->arphrd);
    break;
  case 801: case 802: case 803: /* ARPHRD_IEEE80211* */
    add(sg, SMV_PATH_WIFI, 70, "802.11 link (ARPHRD %u)", p->arphrd);
    break;
  case 1:
    add(sg, SMV_PATH_ETHERNET, 20, "Ethernet framing (ARPHRD_ETHER)");
    break;
  default:
    break;
  }
}

static void gateway_signal(signals *sg, const smv__path *p) {
  static const uint8_t android_hotspot[4] = {192, 168, 43, 1};
  static const uint8_t ios_hotspot[4] = {172, 20, 10, 1};
  if (p->gateway4.family != AF_INET) return;
  if (memcmp(p->gateway4.bytes, android_hotspot, 4) == 0)
    add(sg, SMV_PATH_TETHERED, 88, "gateway 192.168.43.1 is the Android hotspot default");
  else if (memcmp(p->gateway4.bytes, ios_hotspot, 4) == 0)
    add(sg, SMV_PATH_TETHERED, 88, "gateway 172.20.10.1 is the iPhone Personal Hotspot default");
}

static void transport_signal(signals *sg, unsigned t) {
  /* The app's ConnectivityManager knows the network's transports: the strongest evidence there is,
   * and VPN first because a VPN network also lists the transport underneath it. */
  if (t & SMV__TRANSPORT_VPN) add(sg, SMV_PATH_VPN, 96, "Android: TRANSPORT_VPN");
  if (t & SMV__TRANSPORT_CELLULAR) add(sg, SMV_PATH_CELLULAR, 95, "Android: TRANSPORT_CELLULAR");
  if (t & SMV__TRANSPORT_WIFI) add(sg, SMV_PATH_WIFI, 95, "Android: TRANSPORT_WIFI");
  if (t & SMV__TRANSPORT_BLUETOOTH) add(sg, SMV_PATH_TETHERED, 95, "Android: TRANSPORT_BLUETOOTH (tether)");
  if (t & SMV__TRANSPORT_ETHERNET) add(sg, SMV_PATH_ETHERNET, 95, "Android: TRANSPORT_ETHERNET");
}

static void collect(const smv__snapshot *snap, const smv__path *p, int depth, signals *sg);

/* 464XLAT: Android's clatd makes v4-<base>, a tun device carrying the base interface's IPv4 over
 * IPv6. It is as cellular as its base, and it is no VPN, so this must outrank the tun kind. A name is
 * easy to fake, so it counts only with the base present and clatd's address from 192.0.0.0/29
 * (RFC 7335); otherwise the tun stays a tun. */
static void clat_signal(const smv__snapshot *snap, const smv__path *p, int depth, signals *sg) {
  if (!prefixed(p->name, "v4-") || !p->name[3] || depth > 0 || !smv__path_has_clat_addr(p)) return;
  const char *base = p->name + 3;
  for (size_t i = 0; i < snap->count; i++) {
    if (strcmp(snap->paths[i].name, base) != 0) continue;
    signals bs = {0};
    collect(snap, &snap->paths[i], depth + 1, &bs);
    smv_path_class cls = SMV_PATH_UNKNOWN;
    int best = -1;
    for (size_t k = 0; k < bs.n; k++)
      if (bs.s[k].strength > best) best = bs.s[k].strength, cls = bs.s[k].cls;
    add(sg, cls, 92, "464XLAT CLAT of %s, which is %s (192.0.0.0/29 address)", base, smv_path_class_name(cls));
    return;
  }
}

static void collect(const smv__snapshot *snap, const smv__path *p, int depth, signals *sg) {
  if ((p->flags & IFF_LOOPBACK) || p->arphrd == 772) {
    add(sg, SMV_PATH_LOOPBACK, 100, "loopback device (IFF_LOOPBACK)");
    return;
  }
  transport_signal(sg, p->transports);
  clat_signal(snap, p, depth, sg);
  kind_signal(sg, p->kind);
  if (p->tun_flags >= 0)
    add(sg, SMV_PATH_VPN, 85, "tun_flags 0x%x (a %s device)", (unsigned)p->tun_flags,
        (p->tun_flags & 0x2) ? "TAP" : "TUN");
  gateway_signal(sg, p);
  if (p->wireless) add(sg, SMV_PATH_WIFI, 80, "sysfs wireless/ or phy80211 present (802.11 radio)");
  if (strcmp(p->devtype, "wlan") == 0) add(sg, SMV_PATH_WIFI, 80, "DEVTYPE=wlan");
  else if (strcmp(p->devtype, "wwan") == 0) add(sg, SMV_PATH_CELLULAR, 80, "DEVTYPE=wwan");
  else if (strcmp(p->devtype, "bluetooth") == 0)
    add(sg, SMV_PATH_TETHERED, 75, "DEVTYPE=bluetooth (Bluetooth PAN tether)");
  else if (strcmp(p->devtype, "gadget") == 0)
    add(sg, SMV_PATH_UNKNOWN, 30, "DEVTYPE=gadget (this device is the USB tether's host side)");
  driver_signal(sg, p);
  arphrd_signal(sg, p);
  name_signal(sg, p->name, 40);
}

void smv__path_classify(const smv__snapshot *snap, size_t index, smv__classification *out) {
  memset(out, 0, sizeof(*out));
  out->cls = SMV_PATH_UNKNOWN;
  if (index >= snap->count) return;
  signals sg = {0};
  collect(snap, &snap->paths[index], 0, &sg);
  /* Stable insertion sort: equal strengths keep the order in which they were gathered. */
  for (size_t i = 1; i < sg.n; i++) {
    signal tmp = sg.s[i];
    size_t j = i;
    while (j > 0 && sg.s[j - 1].strength < tmp.strength) {
      sg.s[j] = sg.s[j - 1];
      j--;
    }
    sg.s[j] = tmp;
  }
  if (sg.n == 0) {
    snprintf(out->evidence[0], SMV__EVIDENCE_LEN, "no signal identifies %s", snap->paths[index].name);
    out->nevidence = 1;
    return;
  }
  out->cls = sg.s[0].cls;
  for (size_t i = 0; i < sg.n && i < SMV__EVIDENCE_MAX; i++) {
    out->strength[i] = sg.s[i].strength;
    memcpy(out->evidence[i], sg.s[i].text, SMV__EVIDENCE_LEN);
    out->nevidence++;
  }
}

void smv__classification_text(const smv__classification *c, char *buf, size_t len) {
  size_t used = 0;
  if (len == 0) return;
  buf[0] = '\0';
  for (size_t i = 0; i < c->nevidence && used + 1 < len; i++) {
    int n = snprintf(buf + used, len - used, "%s%s", i ? "; " : "", c->evidence[i]);
    if (n < 0) break;
    used += (size_t)n;
  }
}

const char *smv_path_class_name(smv_path_class c) {
  switch (c) {
  case SMV_PATH_CELLULAR: return "cellular";
  case SMV_PATH_WIFI: return "wifi";
  case SMV_PATH_ETHERNET: return "ethernet";
  case SMV_PATH_VPN: return "vpn";
  case SMV_PATH_TETHERED: return "tethered";
  case SMV_PATH_LOOPBACK: return "loopback";
  case SMV_PATH_UNKNOWN: break;
  }
  return "unknown";
}

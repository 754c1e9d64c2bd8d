/* Network paths as data, and the pure decisions on them: what the system says about each interface
 * (a snapshot), the class of each (cellular, wifi, vpn...) with its evidence, which one a flow may
 * use (the verdict), the addresses on a path, DNS server lists, and recorded layouts in JSON.
 *
 * Everything here is a function of caller-owned memory: no socket, no file, no clock, so that every
 * rule is tested from recorded layouts (tests/data/paths). How a snapshot is taken, how a socket is
 * bound and how loss is noticed differ per system and live in platform/ (platform/platform.h). */
#ifndef SMV_CORE_PATH_H
#define SMV_CORE_PATH_H

#include <stddef.h>
#include <stdint.h>

#include "smv.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SMV__PATHS_MAX 32        /* interfaces kept in one snapshot */
#define SMV__PATH_ADDRS_MAX 8    /* addresses kept per interface */
#define SMV__EVIDENCE_MAX 8      /* evidence items kept per classification */
#define SMV__EVIDENCE_LEN 112    /* one evidence item, NUL included */
#define SMV__VERDICT_TEXT_LEN 512
#define SMV__DNS_MAX 4

/* One interface address (or a gateway): family AF_INET/AF_INET6, network byte order. */
typedef struct smv__addr {
  int family;                    /* 0: none */
  uint8_t bytes[16];
  uint8_t prefix;                /* prefix length of an interface address */
} smv__addr;

/* Android's transports, as NetworkCapabilities.TRANSPORT_* numbers them (bit 1 << n). */
enum {
  SMV__TRANSPORT_CELLULAR = 1u << 0,
  SMV__TRANSPORT_WIFI = 1u << 1,
  SMV__TRANSPORT_BLUETOOTH = 1u << 2,
  SMV__TRANSPORT_ETHERNET = 1u << 3,
  SMV__TRANSPORT_VPN = 1u << 4
};

/* What the system says about one interface. Fields a platform cannot see stay 0 / "" (tun_flags: -1).
 * Recorded layouts store exactly these fields (see smv__snapshot_from_json). */
typedef struct smv__path {
  char name[32];
  unsigned ifindex;
  unsigned arphrd;               /* ARPHRD_* (1 ether, 512 ppp, 519 rawip, 772 loopback, 65534 none) */
  unsigned flags;                /* IFF_* (IFF_UP 0x1, IFF_LOOPBACK 0x8, IFF_RUNNING 0x40, ...) */
  unsigned operstate;            /* IF_OPER_* (6 up, 2 down, 0 unknown) */
  char kind[24];                 /* IFLA_INFO_KIND: "tun", "wireguard", "xfrm", "veth", "rmnet"... */
  char devtype[16];              /* uevent DEVTYPE: "wlan", "wwan", "bluetooth", "gadget"... */
  char driver[32];               /* basename of /sys/class/net/IF/device/driver */
  int wireless;                  /* /sys/class/net/IF/wireless or phy80211 exists */
  int tun_flags;                 /* /sys/class/net/IF/tun_flags (IFF_TUN 0x1, IFF_TAP 0x2); -1: absent */
  smv__addr addrs[SMV__PATH_ADDRS_MAX];
  size_t naddrs;
  int default4, default6;        /* an IPv4 / IPv6 default route leaves through this interface */
  unsigned metric4, metric6;     /* that route's metric (the lowest when several) */
  smv__addr gateway4, gateway6;  /* its next hop; family 0 when on-link (point-to-point) */
  uint64_t net_handle;           /* Android: Network.getNetworkHandle(); 0 elsewhere */
  unsigned transports;           /* Android: SMV__TRANSPORT_* given by the app's Java side; 0: unknown */
} smv__path;

typedef struct smv__snapshot {
  smv__path paths[SMV__PATHS_MAX];
  size_t count;
  size_t dropped;                /* interfaces beyond SMV__PATHS_MAX (reported, never silently lost) */
  char source[24];               /* "netlink", "ifaddrs", "android", "modem", "recorded" */
} smv__snapshot;

/* ---- Classification (path_classify.c) ------------------------------------------ */
typedef struct smv__classification {
  smv_path_class cls;
  size_t nevidence;
  int strength[SMV__EVIDENCE_MAX];              /* 0..100, descending */
  char evidence[SMV__EVIDENCE_MAX][SMV__EVIDENCE_LEN]; /* strongest first */
} smv__classification;

/* Classifies snapshot->paths[index]. The whole snapshot is an input: a 464XLAT CLAT (v4-rmnet_data0)
 * takes the class of its base interface. */
void smv__path_classify(const smv__snapshot *snap, size_t index, smv__classification *out);
/* "a; b; c" of the evidence, strongest first, into buf (always NUL-terminated). */
void smv__classification_text(const smv__classification *c, char *buf, size_t len);
/* True when the interface can carry traffic: IFF_UP, IFF_RUNNING (or loopback) and an address. */
int smv__path_usable(const smv__path *p);
/* 1 when the path has an address of family (AF_INET, AF_INET6) to send from: for IPv6 one beyond
 * the link (not fe80::/10), since a link-local source reaches no server. */
int smv__path_has_family(const smv__path *p, int family);
/* The address a socket of family binds to on the path (the first such address; IPv6: the first
 * beyond the link). 0 and *out, or -1 when the path has none. */
int smv__path_source(const smv__path *p, int family, smv__addr *out);
/* 1 when the path holds an IPv4 address in 192.0.0.0/29, the CLAT's range (RFC 7335). */
int smv__path_has_clat_addr(const smv__path *p);
/* 1 if addr is one of the path's addresses (loopback: within one of its prefixes). IPv4-mapped IPv6
 * addresses count as IPv4. */
int smv__path_has_addr(const smv__path *p, const smv__addr *addr);

/* ---- Choosing a path (path_choose.c) -------------------------------------------- */
typedef struct smv__choose_opts {
  const char *interface;         /* smv_config.interface; NULL: find the single cellular path */
  int declared_carrier;          /* smv_config.declared_carrier (--carrier IF) */
  int allow_vpn_bypass;          /* smv_config.allow_vpn_bypass */
  /* From the platform (its choose_defaults): */
  char configured[32];           /* its configured carrier interface (a modem's WAN); "": none. It is
                                    chosen when no other interface is named, as the platform's own
                                    declaration: class cellular, not "declared" by the user */
  int configured_only;           /* no interface is discovered: without a configured (or named) one
                                    a flow fails with SMV_ERR_NO_CARRIER_PATH */
  const char *platform;          /* the platform's name for the evidence ("modem") */
} smv__choose_opts;

typedef struct smv__verdict {
  int err;                       /* SMV_OK, or SMV_ERR_NO_CARRIER_PATH, _PATH_NOT_CELLULAR, _PATH_VPN,
                                    _PATH_TETHERED, _PATH_DOWN, _PATH_UNKNOWN, _INVALID_ARG */
  int index;                     /* index of the chosen (or offending) path in the snapshot; -1: none */
  smv__path path;                /* copy of the chosen path (valid when err == SMV_OK) */
  smv_path_class cls;            /* the chosen path's class (declared paths keep their real class) */
  int declared;                  /* chosen because the user declared it a carrier path */
  int has_clat;                  /* the chosen cellular path has no IPv4 address of its own, and its
                                    464XLAT CLAT (RFC 6877) carries IPv4: */
  smv__path clat;                /* v4-NAME, with its address in 192.0.0.0/29 (RFC 7335) */
  char evidence[SMV__VERDICT_TEXT_LEN]; /* "rmnet_data0: ...; ..." strongest first: why */
} smv__verdict;

/* The default chooser. Never falls back: a named interface is that interface or an error. */
int smv__path_choose(const smv__snapshot *snap, const smv__choose_opts *opts, smv__verdict *out);

/* ---- Address families on the chosen path (path_plan.c) ------------------------------------------- */
typedef enum smv__v4_via {
  SMV__V4_NONE = 0,              /* IPv4 cannot be reached: an IPv4 destination is refused */
  SMV__V4_DIRECT,                /* the path has IPv4 of its own */
  SMV__V4_CLAT,                  /* through the path's CLAT (464XLAT, RFC 6877) */
  SMV__V4_NAT64                  /* IPv6-only: the address is synthesised under the path's NAT64
                                    prefix (RFC 6052), learnt from its DNS64 (RFC 7050) */
} smv__v4_via;

typedef struct smv__family_plan {
  int v6;                        /* IPv6 destinations can be reached */
  smv__v4_via v4;                /* and IPv4 ones, this way */
  int ask_aaaa, ask_a;           /* the DNS queries a name needs */
} smv__family_plan;

/* How a flow on path reaches each family, given its CLAT and the family the caller forces (0: both,
 * 4: IPv4 only, 6: IPv6 only; --ipv4 / --ipv6). A family the path cannot reach is never tried: no
 * socket, no query for it. AAAA is asked whenever IPv6 is reachable; A when IPv4 is reachable
 * directly or through the CLAT, or when IPv4 is forced (then through NAT64): on an IPv6-only path
 * without a CLAT, the DNS64 synthesises what a name needs (RFC 6147). */
void smv__path_plan(const smv__path *p, int has_clat, int family, smv__family_plan *out);

/* ---- DNS server lists (dns_list.c) -------------------------------------- */
typedef struct smv__dns_list {
  char servers[SMV__DNS_MAX][80];/* numeric, c-ares syntax: "100.64.0.1", "[2001:db8::53]:5353",
                                    "fe80::1%wlan0" (a port only when one was given) */
  size_t count;
  char source[48];               /* "--dns", "systemd-resolved", "/etc/resolv.conf", "android", "modem" */
} smv__dns_list;

/* "IP[,IP]" (the --dns option; "IP:port" and "[IPv6]:port" are accepted for tests).
 * SMV_ERR_INVALID_ARG on a non-numeric entry. */
int smv__dns_parse_csv(const char *csv, smv__dns_list *out);
/* systemd-resolved's /run/systemd/resolve/netif/<ifindex> text: its SERVERS= line. */
int smv__dns_parse_resolved(const char *text, const char *ifname, smv__dns_list *out);
/* resolv.conf text: nameserver lines. Loopback servers (a local stub such as 127.0.0.53 answers from
 * whatever path it likes) are skipped unless keep_loopback. */
int smv__dns_parse_resolv_conf(const char *text, int keep_loopback, smv__dns_list *out);
/* Keeps the servers the path can reach: IPv4 ones only with v4, IPv6 ones only with v6 (a query to
 * another family would leave with another interface's address, or not at all). */
void smv__dns_list_keep(smv__dns_list *l, int v4, int v6);
/* The servers joined with ',' for ares_set_servers_csv(). */
void smv__dns_list_csv(const smv__dns_list *l, char *buf, size_t len);
/* ---- Addresses (path_addr.c) --------------------------------------------------------------------- */
/* "1.2.3.4" / "2001:db8::1" */
void smv__addr_format(const smv__addr *a, char *buf, size_t len);
int smv__addr_parse(const char *s, smv__addr *out);  /* "IP" or "IP/prefix"; 0 ok, -1 bad */

/* ---- Recorded layouts (path_json.c) ------------------------------------------ */
/* The JSON text of the recorded layouts (tests/data/paths, one file each):
 *   {"paths": [{"name": "rmnet_data0", "ifindex": 12, "arphrd": 519, "flags": ["up", "running"],
 *               "operstate": "up", "kind": "rmnet", "devtype": "", "driver": "", "wireless": false,
 *               "tun_flags": null, "addrs": ["100.64.0.2/30"], "default4": true, "metric4": 0,
 *               "gateway4": null, "default6": false, "net_handle": 0, "transports": ["cellular"]}]}
 * Missing keys take their zero value (tun_flags: -1). SMV_OK or SMV_ERR_INVALID_ARG. */
int smv__snapshot_from_json(const char *text, smv__snapshot *out);
/* The same format (pretty), allocated by cJSON: release with cJSON_free(). NULL on no memory. */
char *smv__snapshot_to_json(const smv__snapshot *snap);
/* Adds one path's recorded fields to a cJSON object (cjson_object is a cJSON *). 0 or -1. */
int smv__path_to_json(const smv__path *p, void *cjson_object);

#ifdef __cplusplus
}
#endif
#endif /* SMV_CORE_PATH_H */

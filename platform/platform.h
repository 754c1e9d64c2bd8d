/* The platform layer's one contract: how smv finds the device's network paths, decides which one a
 * flow may use, binds sockets and DNS to it, and notices when it goes away.
 *
 * Why a table and not #ifdefs: Linux (netlink + sysfs), Android (NDK multinetwork) and modem firmware
 * (a configured WAN interface) answer the same questions in different ways, and tests substitute their
 * own table. One versioned ops table with user_data, in the manner of c-ares' ares_socket_functions
 * and curl's TLS backend table; the compiled-in implementation comes from smv__platform_get().
 *
 * Everything here is plain data in caller-owned memory: a snapshot can be recorded to JSON and loaded
 * back (tests/data/paths), and the classifier and the chooser are pure functions of a snapshot. */
#ifndef SMV_PLATFORM_H
#define SMV_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "smv.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SMV__PLATFORM_OPS_VERSION 1

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

/* ---- Classification (pure: platform/common/classify.c) ------------------------------------------ */
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
/* 1 if addr is one of the path's addresses (loopback: within one of its prefixes). IPv4-mapped IPv6
 * addresses count as IPv4. */
int smv__path_has_addr(const smv__path *p, const smv__addr *addr);

/* ---- Choosing a path (pure: platform/common/choose.c) -------------------------------------------- */
typedef struct smv__choose_opts {
  const char *interface;         /* smv_config.interface; NULL: find the single cellular path */
  int declared_carrier;          /* smv_config.declared_carrier (--carrier IF) */
  int allow_vpn_bypass;          /* smv_config.allow_vpn_bypass */
} smv__choose_opts;

typedef struct smv__verdict {
  int err;                       /* SMV_OK, or SMV_ERR_NO_CARRIER_PATH, _PATH_NOT_CELLULAR, _PATH_VPN,
                                    _PATH_TETHERED, _PATH_DOWN, _PATH_UNKNOWN, _INVALID_ARG */
  int index;                     /* index of the chosen (or offending) path in the snapshot; -1: none */
  smv__path path;                /* copy of the chosen path (valid when err == SMV_OK) */
  smv_path_class cls;            /* the chosen path's class (declared paths keep their real class) */
  int declared;                  /* chosen because the user declared it a carrier path */
  char evidence[SMV__VERDICT_TEXT_LEN]; /* "rmnet_data0: ...; ..." strongest first: why */
} smv__verdict;

/* The default chooser. Never falls back: a named interface is that interface or an error. */
int smv__path_choose(const smv__snapshot *snap, const smv__choose_opts *opts, smv__verdict *out);

/* ---- DNS servers of a path (platform/common/dns_servers.c) -------------------------------------- */
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
/* The servers joined with ',' for ares_set_servers_csv(). */
void smv__dns_list_csv(const smv__dns_list *l, char *buf, size_t len);
/* The generic lookup: --dns, else systemd-resolved's per-link state, else /etc/resolv.conf.
 * root is prepended to both file names (NULL or "" for the real ones; tests point it elsewhere).
 * SMV_ERR_DNS_NO_SERVERS when nothing usable is found. */
int smv__dns_servers_generic(const smv__path *path, const char *override_csv, const char *root,
                             smv__dns_list *out);

/* ---- Watching the chosen path ---------------------------------------------------------------------
 * Caller-owned. The driver polls fd for readability (uv_poll_t) and then calls watch_process. */
typedef struct smv__path_watch {
  int fd;                        /* readable when there is something to process; -1: not started */
  int lost;                      /* set once the path is gone; stays set */
  unsigned ifindex;
  uint64_t net_handle;           /* Android: the network watched */
  char name[32];
  smv__addr addrs[SMV__PATH_ADDRS_MAX];  /* the addresses the flow relies on (the driver may narrow
                                            them to the connection's local address after connect) */
  size_t naddrs;
  char reason[128];              /* "rmnet_data0 went down", "rmnet_data0 lost 100.64.0.2" */
  int aux_fd;                    /* implementation's own (Android: the pipe's write end) */
  struct smv__path_watch *next;  /* implementation's own (Android: the registry of watches) */
} smv__path_watch;

/* ---- The ops table ------------------------------------------------------------------------------- */
typedef struct smv__platform_ops {
  int version;                   /* SMV__PLATFORM_OPS_VERSION */
  const char *name;              /* "linux", "android", "modem", or a test's */

  /* Fills *out with every interface the platform can see. SMV_OK or SMV_ERR_IO. */
  int (*snapshot)(void *user_data, smv__snapshot *out);

  /* Chooses the path of a flow (usually smv__path_choose, after platform-specific defaults).
   * Returns out->err. */
  int (*choose)(void *user_data, const smv__snapshot *snap, const smv__choose_opts *opts,
                smv__verdict *out);

  /* Binds an existing socket (before connect) to the path. A bind that fails, fails:
   * SMV_OK or SMV_ERR_PATH_BIND; errno is kept for the message. Used for TCP and, through
   * smv__platform_bind_ares, for every DNS socket c-ares opens. */
  int (*bind_socket)(void *user_data, const smv__path *path, int fd);

  /* After connect: the socket's local address must be one of the path's current addresses.
   * SMV_OK or SMV_ERR_PATH_LOCAL_ADDR (local is "addr:port" for the message, may be NULL). */
  int (*check_local)(void *user_data, const smv__path *path, int fd, char *local, size_t local_len);

  /* The path's DNS servers; override_csv is --dns (NULL: discover). SMV_OK, SMV_ERR_INVALID_ARG
   * (bad --dns) or SMV_ERR_DNS_NO_SERVERS. */
  int (*dns_servers)(void *user_data, const smv__path *path, const char *override_csv,
                     smv__dns_list *out);

  /* Loss detection. watch_start fills *w (w->fd pollable); watch_process drains the events and
   * returns SMV_OK while the path stands, SMV_ERR_PATH_LOST (w->reason says why) once it went down,
   * vanished or lost the addresses the flow uses. watch_stop releases the fd(s); idempotent. */
  int (*watch_start)(void *user_data, const smv__path *path, smv__path_watch *w);
  int (*watch_process)(void *user_data, smv__path_watch *w);
  void (*watch_stop)(void *user_data, smv__path_watch *w);

  /* Optional (NULL on Linux and modem, where c-ares does DNS through bind_socket): the platform's own
   * resolver on the path, pollable. Android: android_res_nquery / android_res_nresult / _cancel.
   * dns_query_start returns SMV_OK and a fd to poll for reading (or SMV_ERR_DNS_FAIL); dns_query_result
   * reads the answer (a DNS message) and closes fd: SMV_OK with *rcode and *answer_len, or
   * SMV_ERR_DNS_FAIL. dns_query_cancel closes fd. */
  int (*dns_query_start)(void *user_data, const smv__path *path, const char *name, int ns_type, int *fd);
  int (*dns_query_result)(void *user_data, int fd, int *rcode, uint8_t *answer, size_t *answer_len);
  void (*dns_query_cancel)(void *user_data, int fd);
} smv__platform_ops;

typedef struct smv__platform {
  const smv__platform_ops *ops;
  void *user_data;
} smv__platform;

/* The compiled-in platform (platform/<SMV_PLATFORM>/). */
void smv__platform_get(smv__platform *out);

/* ---- Helpers on top of the table (platform/common/socket.c, ares_bind.c) ------------------------ */
/* socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC) then ops->bind_socket; closes it on failure.
 * SMV_OK and *fd, SMV_ERR_IO (socket() failed) or SMV_ERR_PATH_BIND. */
int smv__platform_open_socket(const smv__platform *p, const smv__path *path, int family, int type,
                              int *fd);

/* Makes every socket c-ares opens go through ops->bind_socket (ares_set_socket_configure_callback:
 * a failed bind fails the query instead of being ignored, unlike ares_set_local_dev), and sets the
 * servers. binding must outlive the channel. Returns SMV_OK, SMV_ERR_DNS_NO_SERVERS or
 * SMV_ERR_INVALID_ARG. */
typedef struct smv__ares_binding {
  const smv__platform *platform;
  const smv__path *path;
  int failures;                  /* sockets c-ares could not bind (each failed its query) */
} smv__ares_binding;
struct ares_channeldata;
int smv__platform_bind_ares(struct ares_channeldata *channel, smv__ares_binding *binding,
                            const smv__dns_list *servers);

/* ---- Shared building blocks for implementations (platform/common) -------------------------------- */
/* The generic implementations below have the ops' signatures (ud unused), so that a table can point
 * at them directly. */
/* bind_socket: SO_BINDTODEVICE to path->name (Linux, modem). */
int smv__bind_to_device(void *ud, const smv__path *path, int fd);
/* check_local: getsockname + the path's current addresses (getifaddrs, by name; the snapshot's when
 * that fails). */
int smv__check_local_generic(void *ud, const smv__path *path, int fd, char *local, size_t local_len);
/* Fills a snapshot from getifaddrs() (names, flags, addresses, ifindex) and /proc/net/route for IPv4
 * default routes. Used where netlink is unavailable (Android apps) or unnecessary (modem). */
int smv__snapshot_from_ifaddrs(smv__snapshot *out);
/* A NETLINK_ROUTE socket subscribed to link and address events, for watch_start/watch_process on
 * Linux kernels (Linux, modem). */
int smv__netlink_watch_start(void *ud, const smv__path *path, smv__path_watch *w);
int smv__netlink_watch_process(void *ud, smv__path_watch *w);
void smv__netlink_watch_stop(void *ud, smv__path_watch *w);
/* Fills w from path (fd and aux_fd -1). */
void smv__watch_init(const smv__path *path, smv__path_watch *w);
/* The interface's state now: SMV_OK, or SMV_ERR_PATH_LOST with w->reason (vanished, down, or none of
 * w->addrs left). */
int smv__watch_check_state(smv__path_watch *w);
void smv__watch_close(smv__path_watch *w);

/* "1.2.3.4" / "2001:db8::1" */
void smv__addr_format(const smv__addr *a, char *buf, size_t len);
int smv__addr_parse(const char *s, smv__addr *out);  /* "IP" or "IP/prefix"; 0 ok, -1 bad */

/* ---- Recorded layouts (platform/common/snapshot_json.c) ------------------------------------------ */
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
#endif /* SMV_PLATFORM_H */

/* The platform layer's one contract: what differs per system in finding the device's network paths,
 * binding sockets and DNS to the chosen one, and noticing when it goes away. What does not differ
 * (the classes, the verdict, addresses, DNS lists, recorded layouts) is pure and lives in
 * src/core/path.h, as libuv keeps its Unix code in a directory of its own, apart from the common code.
 *
 * Why a table and not #ifdefs: Linux (netlink + sysfs), Android (NDK multinetwork) and modem firmware
 * (a configured WAN interface) answer the same questions in different ways, and tests substitute their
 * own table (a fake network without root: smv__client_set_platform). One versioned ops table with
 * user_data, in the manner of c-ares' ares_socket_functions and curl's TLS backend table; the
 * compiled-in implementation comes from smv__platform_get(). */
#ifndef SMV_PLATFORM_H
#define SMV_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "core/path.h"
#include "smv.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SMV__PLATFORM_OPS_VERSION 2

/* ---- DNS servers of a path (platform/common/dns_servers.c) -------------------------------------- */
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

  /* Optional: what the platform itself says about the choice (NULL: nothing). The modem platform
   * fills o->configured with its configured WAN interface and sets o->configured_only; the chooser
   * (smv__path_choose) then applies them. Called once per flow, before the choice. */
  void (*choose_defaults)(void *user_data, smv__choose_opts *o);

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

/* ---- Helpers on top of the table (platform/common/choose.c, socket.c, ares_bind.c) -------------- */
/* The verdict for a flow: the table's choose_defaults (when it has one) fill o, then
 * smv__path_choose decides. Returns out->err. */
int smv__platform_choose(const smv__platform *p, const smv__snapshot *snap, smv__choose_opts *o,
                         smv__verdict *out);

/* Binds fd (of family) to the path's source address (smv__path_source), port 0. SMV_OK, or
 * SMV_ERR_PATH_BIND (the path has no address of the family: errno EADDRNOTAVAIL; or bind failed). */
int smv__bind_source(const smv__path *path, int fd, int family);
/* socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC), ops->bind_socket, then smv__bind_source;
 * closes it on failure. SMV_OK and *fd, SMV_ERR_IO (socket() failed) or SMV_ERR_PATH_BIND. */
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
/* check_local: getsockname, and the local address must be one of the path's (as its snapshot has
 * them: the socket was bound to one of them). */
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

#ifdef __cplusplus
}
#endif
#endif /* SMV_PLATFORM_H */

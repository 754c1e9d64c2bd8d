/* The Android ops table. An app cannot dump links with netlink (API 30+) and cannot tell cellular
 * from WiFi by interface names it may not even see; ConnectivityManager can. So the app's Java side
 * requests TRANSPORT_CELLULAR + NOT_VPN and hands the network's handle, transports, interface and
 * DNS servers down (smv__android_network_set); sockets are bound with android_setsocknetwork, never
 * by name, and loss arrives from NetworkCallback.onLost through a pipe the driver polls.
 * getifaddrs supplies the other interfaces, so that `smv paths` and the VPN rule see them too. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "android_platform.h"

typedef struct network {
  uint64_t handle;
  unsigned transports;
  char ifname[32];
  char dns[256];
} network;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static network networks[SMV__ANDROID_NETWORKS_MAX];
static size_t nnetworks;
static smv__path_watch *watches; /* started watches, linked through ->next */

int smv__android_network_set(uint64_t handle, unsigned transports, const char *ifname, const char *dns_csv) {
  if (handle == NETWORK_UNSPECIFIED || !ifname || !ifname[0] || strlen(ifname) >= sizeof(networks[0].ifname))
    return SMV_ERR_INVALID_ARG;
  if (dns_csv && dns_csv[0]) {
    smv__dns_list l;
    if (smv__dns_parse_csv(dns_csv, &l) != SMV_OK) return SMV_ERR_INVALID_ARG;
  }
  pthread_mutex_lock(&lock);
  size_t i;
  for (i = 0; i < nnetworks && networks[i].handle != handle; i++) {}
  if (i == nnetworks && nnetworks == SMV__ANDROID_NETWORKS_MAX) {
    pthread_mutex_unlock(&lock);
    return SMV_ERR_INVALID_ARG;
  }
  if (i == nnetworks) nnetworks++;
  networks[i].handle = handle;
  networks[i].transports = transports;
  snprintf(networks[i].ifname, sizeof(networks[i].ifname), "%s", ifname);
  snprintf(networks[i].dns, sizeof(networks[i].dns), "%s", dns_csv ? dns_csv : "");
  pthread_mutex_unlock(&lock);
  return SMV_OK;
}

void smv__android_network_lost(uint64_t handle) {
  pthread_mutex_lock(&lock);
  for (size_t i = 0; i < nnetworks; i++)
    if (networks[i].handle == handle) {
      networks[i] = networks[--nnetworks];
      break;
    }
  for (smv__path_watch *w = watches; w; w = w->next) {
    if (w->net_handle != handle || w->lost) continue;
    w->lost = 1;
    snprintf(w->reason, sizeof(w->reason), "%s: Android reported the network lost", w->name);
    char one = 1;
    ssize_t rc = write(w->aux_fd, &one, 1); /* wakes the loop; a full pipe is awake already */
    (void)rc;
  }
  pthread_mutex_unlock(&lock);
}

void smv__android_networks_clear(void) {
  pthread_mutex_lock(&lock);
  nnetworks = 0;
  pthread_mutex_unlock(&lock);
}

/* ---- ops ---- */

static int find_network(const char *ifname, network *out) {
  int found = 0;
  pthread_mutex_lock(&lock);
  for (size_t i = 0; i < nnetworks && !found; i++)
    if (strcmp(networks[i].ifname, ifname) == 0) {
      *out = networks[i];
      found = 1;
    }
  pthread_mutex_unlock(&lock);
  return found;
}

static int android_snapshot(void *ud, smv__snapshot *out) {
  (void)ud;
  int rc = smv__snapshot_from_ifaddrs(out);
  if (rc != SMV_OK) return rc;
  snprintf(out->source, sizeof(out->source), "android");
  for (size_t i = 0; i < out->count; i++) {
    smv__path *p = &out->paths[i];
    network n;
    if (find_network(p->name, &n)) {
      p->net_handle = n.handle;
      p->transports = n.transports;
    }
#ifdef SMV_ANDROID_SHIM
    /* Off Android nobody passes handles: the shim's own stand for what Java would pass. */
    else {
      p->net_handle = android_shim_handle_for(p->name);
    }
#endif
  }
  return SMV_OK;
}

static int android_bind(void *ud, const smv__path *path, int fd) {
  (void)ud;
  /* Handle 0 would mean "clear the binding", i.e. the default network: exactly what must not happen. */
  if (path->net_handle == NETWORK_UNSPECIFIED) {
    errno = ENONET;
    return SMV_ERR_PATH_BIND;
  }
  return android_setsocknetwork((net_handle_t)path->net_handle, fd) == 0 ? SMV_OK : SMV_ERR_PATH_BIND;
}

static int android_dns(void *ud, const smv__path *path, const char *override_csv, smv__dns_list *out) {
  (void)ud;
  network n;
  if (override_csv && *override_csv) return smv__dns_parse_csv(override_csv, out);
  if (find_network(path->name, &n) && n.dns[0]) {
    int rc = smv__dns_parse_csv(n.dns, out);
    snprintf(out->source, sizeof(out->source), "android LinkProperties");
    return rc == SMV_OK ? SMV_OK : SMV_ERR_DNS_NO_SERVERS;
  }
#ifdef SMV_ANDROID_SHIM
  return smv__dns_servers_generic(path, NULL, NULL, out);
#else
  memset(out, 0, sizeof(*out));
  snprintf(out->source, sizeof(out->source), "none (the app passed no DNS servers)");
  return SMV_ERR_DNS_NO_SERVERS;
#endif
}

static int android_watch_start(void *ud, const smv__path *path, smv__path_watch *w) {
  (void)ud;
  int fds[2];
  smv__watch_init(path, w);
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return SMV_ERR_IO;
  w->fd = fds[0];
  w->aux_fd = fds[1];
  pthread_mutex_lock(&lock);
  w->next = watches;
  watches = w;
  pthread_mutex_unlock(&lock);
  if (smv__watch_check_state(w) != SMV_OK) {
    w->lost = 1;
    return SMV_ERR_PATH_LOST;
  }
  return SMV_OK;
}

static int android_watch_process(void *ud, smv__path_watch *w) {
  (void)ud;
  char buf[64];
  while (read(w->fd, buf, sizeof(buf)) > 0) {}
  pthread_mutex_lock(&lock);
  int lost = w->lost;
  pthread_mutex_unlock(&lock);
  if (lost) return SMV_ERR_PATH_LOST;
  /* Java's callbacks are the wake-up; the interface's own state is checked too, for the loss that
   * arrives before onLost does. */
  if (smv__watch_check_state(w) != SMV_OK) {
    pthread_mutex_lock(&lock);
    w->lost = 1;
    pthread_mutex_unlock(&lock);
    return SMV_ERR_PATH_LOST;
  }
  return SMV_OK;
}

static void android_watch_stop(void *ud, smv__path_watch *w) {
  (void)ud;
  pthread_mutex_lock(&lock);
  for (smv__path_watch **pp = &watches; *pp; pp = &(*pp)->next)
    if (*pp == w) {
      *pp = w->next;
      break;
    }
  w->next = NULL;
  pthread_mutex_unlock(&lock);
  smv__watch_close(w);
}

static int android_query_start(void *ud, const smv__path *path, const char *name, int ns_type, int *fd) {
  (void)ud;
  *fd = -1;
  if (path->net_handle == NETWORK_UNSPECIFIED) return SMV_ERR_PATH_BIND;
  int rc = android_res_nquery((net_handle_t)path->net_handle, name, 1 /* ns_c_in */, ns_type,
                              ANDROID_RESOLV_NO_CACHE_STORE);
  if (rc < 0) {
    errno = -rc;
    return SMV_ERR_DNS_FAIL;
  }
  *fd = rc;
  return SMV_OK;
}

static int android_query_result(void *ud, int fd, int *rcode, uint8_t *answer, size_t *answer_len) {
  (void)ud;
  int n = android_res_nresult(fd, rcode, answer, *answer_len);
  if (n < 0) {
    errno = -n;
    *answer_len = 0;
    return SMV_ERR_DNS_FAIL;
  }
  *answer_len = (size_t)n;
  return SMV_OK;
}

static void android_query_cancel(void *ud, int fd) {
  (void)ud;
  android_res_cancel(fd);
}

static const smv__platform_ops android_ops = {
  .version = SMV__PLATFORM_OPS_VERSION,
  .name = "android",
  .snapshot = android_snapshot,
  .bind_socket = android_bind,
  .check_local = smv__check_local_generic,
  .dns_servers = android_dns,
  .watch_start = android_watch_start,
  .watch_process = android_watch_process,
  .watch_stop = android_watch_stop,
  .dns_query_start = android_query_start,
  .dns_query_result = android_query_result,
  .dns_query_cancel = android_query_cancel,
};

void smv__platform_get(smv__platform *out) {
  out->ops = &android_ops;
  out->user_data = NULL;
}

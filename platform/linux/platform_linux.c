/* The Linux ops table: netlink + sysfs to see, SO_BINDTODEVICE to bind, systemd-resolved or
 * resolv.conf for the path's DNS servers, netlink events to notice loss. */
#include "linux_internal.h"

static int linux_snapshot(void *ud, smv__snapshot *out) {
  (void)ud;
  return smv__linux_snapshot(out);
}

static int linux_choose(void *ud, const smv__snapshot *snap, const smv__choose_opts *opts, smv__verdict *out) {
  (void)ud;
  return smv__path_choose(snap, opts, out);
}

static int linux_bind(void *ud, const smv__path *path, int fd) {
  (void)ud;
  return smv__bind_to_device(path, fd);
}

static int linux_check_local(void *ud, const smv__path *path, int fd, char *local, size_t len) {
  (void)ud;
  return smv__check_local_generic(path, fd, local, len);
}

static int linux_dns(void *ud, const smv__path *path, const char *override_csv, smv__dns_list *out) {
  (void)ud;
  return smv__dns_servers_generic(path, override_csv, NULL, out);
}

static int linux_watch_start(void *ud, const smv__path *path, smv__path_watch *w) {
  (void)ud;
  return smv__netlink_watch_start(path, w);
}

static int linux_watch_process(void *ud, smv__path_watch *w) {
  (void)ud;
  return smv__netlink_watch_process(w);
}

static void linux_watch_stop(void *ud, smv__path_watch *w) {
  (void)ud;
  smv__watch_close(w);
}

static const smv__platform_ops linux_ops = {
  .version = SMV__PLATFORM_OPS_VERSION,
  .name = "linux",
  .snapshot = linux_snapshot,
  .choose = linux_choose,
  .bind_socket = linux_bind,
  .check_local = linux_check_local,
  .dns_servers = linux_dns,
  .watch_start = linux_watch_start,
  .watch_process = linux_watch_process,
  .watch_stop = linux_watch_stop,
};

void smv__platform_get(smv__platform *out) {
  out->ops = &linux_ops;
  out->user_data = NULL;
}

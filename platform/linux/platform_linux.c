/* The Linux ops table: netlink + sysfs to see, SO_BINDTODEVICE to bind, systemd-resolved or
 * resolv.conf for the path's DNS servers, netlink events to notice loss. */
#include "linux_internal.h"

static int linux_snapshot(void *ud, smv__snapshot *out) {
  (void)ud;
  return smv__linux_snapshot(out);
}

static int linux_dns(void *ud, const smv__path *path, const char *override_csv, smv__dns_list *out) {
  (void)ud;
  return smv__dns_servers_generic(path, override_csv, NULL, out);
}

static const smv__platform_ops linux_ops = {
  .version = SMV__PLATFORM_OPS_VERSION,
  .name = "linux",
  .snapshot = linux_snapshot,
  .bind_socket = smv__bind_to_device,
  .check_local = smv__check_local_generic,
  .dns_servers = linux_dns,
  .watch_start = smv__netlink_watch_start,
  .watch_process = smv__netlink_watch_process,
  .watch_stop = smv__netlink_watch_stop,
};

void smv__platform_get(smv__platform *out) {
  out->ops = &linux_ops;
  out->user_data = NULL;
}

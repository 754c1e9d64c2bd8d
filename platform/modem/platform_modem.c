/* The modem ops table, for firmware that knows its WAN interface (a router's wwan0, an IoT board's
 * ppp0): the interface and its DNS servers come from configuration, SMV_MODEM_IF and SMV_MODEM_DNS
 * in the environment, or smv__modem_configure() from the firmware's own config. The configured
 * interface is the carrier path by declaration, so no heuristic can refuse it, and nothing else is
 * ever chosen: without a configured interface a flow fails. The post-connect address check and the
 * loss watch are the same as on Linux. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modem_platform.h"

typedef struct modem_config {
  char ifname[32];
  char dns[256];
} modem_config;

static modem_config configured;

void smv__modem_configure(const char *ifname, const char *dns_csv) {
  snprintf(configured.ifname, sizeof(configured.ifname), "%s", ifname ? ifname : "");
  snprintf(configured.dns, sizeof(configured.dns), "%s", dns_csv ? dns_csv : "");
}

/* Explicit configuration first, the environment second. */
static void config(modem_config *out) {
  *out = configured;
  const char *e;
  if (!out->ifname[0] && (e = getenv("SMV_MODEM_IF"))) snprintf(out->ifname, sizeof(out->ifname), "%s", e);
  if (!out->dns[0] && (e = getenv("SMV_MODEM_DNS"))) snprintf(out->dns, sizeof(out->dns), "%s", e);
}

static int modem_snapshot(void *ud, smv__snapshot *out) {
  (void)ud;
  int rc = smv__snapshot_from_ifaddrs(out);
  if (rc == SMV_OK) snprintf(out->source, sizeof(out->source), "modem");
  return rc;
}

/* The configured WAN interface is the carrier path by the platform's declaration, and nothing else
 * is ever discovered (the chooser applies both: src/core/path_choose.c). */
static void modem_choose_defaults(void *ud, smv__choose_opts *o) {
  (void)ud;
  modem_config c;
  config(&c);
  snprintf(o->configured, sizeof(o->configured), "%s", c.ifname);
  o->configured_only = 1;
  o->platform = "modem";
}

static int modem_dns(void *ud, const smv__path *path, const char *override_csv, smv__dns_list *out) {
  (void)ud;
  modem_config c;
  config(&c);
  if (override_csv && *override_csv) return smv__dns_parse_csv(override_csv, out);
  if (c.dns[0] && strcmp(path->name, c.ifname) == 0) {
    int rc = smv__dns_parse_csv(c.dns, out);
    snprintf(out->source, sizeof(out->source), "modem configuration");
    return rc == SMV_OK ? SMV_OK : SMV_ERR_INVALID_ARG;
  }
  return smv__dns_servers_generic(path, NULL, NULL, out);
}

static const smv__platform_ops modem_ops = {
  .version = SMV__PLATFORM_OPS_VERSION,
  .name = "modem",
  .snapshot = modem_snapshot,
  .choose_defaults = modem_choose_defaults,
  .bind_socket = smv__bind_to_device,
  .check_local = smv__check_local_generic,
  .dns_servers = modem_dns,
  .watch_start = smv__netlink_watch_start,
  .watch_process = smv__netlink_watch_process,
  .watch_stop = smv__netlink_watch_stop,
};

void smv__platform_get(smv__platform *out) {
  out->ops = &modem_ops;
  out->user_data = NULL;
}

/* The DNS servers of one path. A name must be resolved by the path's own servers, through the path's
 * own interface, or the answer may come from (and leak to) another network: --dns first, then the
 * per-link servers systemd-resolved keeps for that interface, then /etc/resolv.conf (whose servers
 * are still queried only through the chosen interface, by the bound sockets). The texts are parsed by
 * src/core/dns_list.c. */
#include <stdio.h>
#include <string.h>

#include "platform.h"

static int read_text(const char *path, char *buf, size_t len) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, len - 1, f);
  fclose(f);
  buf[n] = '\0';
  return 0;
}

int smv__dns_servers_generic(const smv__path *path, const char *override_csv, const char *root,
                             smv__dns_list *out) {
  if (override_csv && *override_csv) return smv__dns_parse_csv(override_csv, out);
  char file[512], text[8192];
  if (!root) root = "";
  snprintf(file, sizeof(file), "%s/run/systemd/resolve/netif/%u", root, path->ifindex);
  if (path->ifindex && read_text(file, text, sizeof(text)) == 0 &&
      smv__dns_parse_resolved(text, path->name, out) == SMV_OK)
    return SMV_OK;
  snprintf(file, sizeof(file), "%s/etc/resolv.conf", root);
  int is_lo = (path->flags & 0x8) != 0; /* IFF_LOOPBACK: a local stub is reachable only there */
  if (read_text(file, text, sizeof(text)) == 0 && smv__dns_parse_resolv_conf(text, is_lo, out) == SMV_OK)
    return SMV_OK;
  memset(out, 0, sizeof(*out));
  snprintf(out->source, sizeof(out->source), "none");
  return SMV_ERR_DNS_NO_SERVERS;
}

/* Lists of DNS servers, from the texts they are configured in (--dns, systemd-resolved's per-link
 * state, resolv.conf): pure parsing; which file is read is the platform's (platform/common). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/path.h"

/* Adds one numeric server; returns -1 when it is not an address. A "%scope" (link-local IPv6) is
 * kept, or set to ifname when numeric, since c-ares wants the interface's name there. */
static int add_server(smv__dns_list *l, const char *s, size_t n, const char *ifname, int keep_loopback) {
  char tmp[80], addr[80];
  if (n == 0) return 0;
  if (n >= sizeof(tmp)) return -1;
  memcpy(tmp, s, n);
  tmp[n] = '\0';
  char *hash = strchr(tmp, '#'); /* resolved: "1.1.1.1#cloudflare-dns.com" (DoT server name) */
  if (hash) *hash = '\0';
  char *scope = tmp[0] == '[' ? NULL : strchr(tmp, '%');
  if (scope) *scope++ = '\0';
  char *host = tmp, *port = NULL;
  /* "[2001:db8::53]:5353" or "192.0.2.53:5353": the port is kept, in c-ares' own syntax. */
  if (host[0] == '[') {
    char *close = strchr(host, ']');
    if (!close) return -1;
    *close = '\0';
    if (close[1] == ':') port = close + 2;
    else if (close[1]) return -1;
    host++;
    scope = strchr(host, '%');
    if (scope) *scope++ = '\0';
  } else if (strchr(host, '.') && strchr(host, ':') && strchr(host, ':') == strrchr(host, ':')) {
    port = strchr(host, ':');
    *port++ = '\0';
  }
  if (port) {
    char *end;
    long v = strtol(port, &end, 10);
    if (*end || end == port || v <= 0 || v > 65535) return -1;
  }
  smv__addr a;
  if (smv__addr_parse(host, &a) != 0 || strchr(host, '/')) return -1;
  if (!keep_loopback) {
    static const uint8_t v6lo[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if ((a.family == AF_INET && a.bytes[0] == 127) || (a.family == AF_INET6 && !memcmp(a.bytes, v6lo, 16)))
      return 0;
  }
  char ip[48];
  smv__addr_format(&a, ip, sizeof(ip));
  if (a.family == AF_INET6 && a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0x80) {
    const char *sc = scope && *scope && !isdigit((unsigned char)*scope) ? scope : ifname;
    if (sc && *sc) {
      size_t used = strlen(ip);
      snprintf(ip + used, sizeof(ip) - used, "%%%.15s", sc);
    }
  }
  if (port && a.family == AF_INET6) snprintf(addr, sizeof(addr), "[%s]:%s", ip, port);
  else if (port) snprintf(addr, sizeof(addr), "%s:%s", ip, port);
  else snprintf(addr, sizeof(addr), "%s", ip);
  for (size_t i = 0; i < l->count; i++)
    if (strcmp(l->servers[i], addr) == 0) return 0;
  if (l->count < SMV__DNS_MAX) snprintf(l->servers[l->count++], sizeof(l->servers[0]), "%s", addr);
  return 0;
}

static void reset(smv__dns_list *out, const char *source) {
  memset(out, 0, sizeof(*out));
  snprintf(out->source, sizeof(out->source), "%s", source);
}

int smv__dns_parse_csv(const char *csv, smv__dns_list *out) {
  reset(out, "--dns");
  const char *p = csv;
  if (!p || !*p) return SMV_ERR_INVALID_ARG;
  for (;;) { /* every comma-separated entry must be an address: "1.2.3.4," is a typo, not a list */
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    while (n && isspace((unsigned char)p[0])) p++, n--;
    while (n && isspace((unsigned char)p[n - 1])) n--;
    if (n == 0 || add_server(out, p, n, NULL, 1) != 0) return SMV_ERR_INVALID_ARG;
    if (!end) break;
    p = end + 1;
  }
  return out->count ? SMV_OK : SMV_ERR_INVALID_ARG;
}

int smv__dns_parse_resolved(const char *text, const char *ifname, smv__dns_list *out) {
  reset(out, "systemd-resolved");
  for (const char *line = text; line && *line;) {
    const char *nl = strchr(line, '\n');
    size_t n = nl ? (size_t)(nl - line) : strlen(line);
    if (n > 8 && strncmp(line, "SERVERS=", 8) == 0) {
      const char *p = line + 8, *end = line + n;
      while (p < end) {
        while (p < end && *p == ' ') p++;
        const char *w = p;
        while (p < end && *p != ' ') p++;
        add_server(out, w, (size_t)(p - w), ifname, 0); /* a malformed entry is skipped, not fatal */
      }
    }
    line = nl ? nl + 1 : NULL;
  }
  return out->count ? SMV_OK : SMV_ERR_DNS_NO_SERVERS;
}

int smv__dns_parse_resolv_conf(const char *text, int keep_loopback, smv__dns_list *out) {
  reset(out, "/etc/resolv.conf");
  for (const char *line = text; line && *line;) {
    const char *nl = strchr(line, '\n');
    size_t n = nl ? (size_t)(nl - line) : strlen(line);
    if (n > 11 && strncmp(line, "nameserver", 10) == 0 && isspace((unsigned char)line[10])) {
      const char *p = line + 10, *end = line + n;
      while (p < end && isspace((unsigned char)*p)) p++;
      const char *w = p;
      while (p < end && !isspace((unsigned char)*p)) p++;
      add_server(out, w, (size_t)(p - w), NULL, keep_loopback);
    }
    line = nl ? nl + 1 : NULL;
  }
  return out->count ? SMV_OK : SMV_ERR_DNS_NO_SERVERS;
}

void smv__dns_list_csv(const smv__dns_list *l, char *buf, size_t len) {
  size_t used = 0;
  if (len == 0) return;
  buf[0] = '\0';
  for (size_t i = 0; i < l->count && used + 1 < len; i++) {
    int n = snprintf(buf + used, len - used, "%s%s", i ? "," : "", l->servers[i]);
    if (n < 0) break;
    used += (size_t)n;
  }
}

/* The family of one server entry: "1.2.3.4", "1.2.3.4:53" are IPv4; "2001:db8::1", "[..]:53",
 * "fe80::1%wlan0" are IPv6. */
static int server_family(const char *s) {
  if (s[0] == '[') return AF_INET6;
  char host[64];
  size_t n = strcspn(s, ":");
  if (s[n] == ':' && strchr(s + n + 1, ':')) return AF_INET6; /* two colons or more: IPv6 */
  if (n >= sizeof(host)) return 0;
  memcpy(host, s, n);
  host[n] = '\0';
  unsigned char b[4];
  return inet_pton(AF_INET, host, b) == 1 ? AF_INET : 0;
}

void smv__dns_list_keep(smv__dns_list *l, int v4, int v6) {
  size_t o = 0;
  for (size_t i = 0; i < l->count; i++) {
    int fam = server_family(l->servers[i]);
    if ((fam == AF_INET && v4) || (fam == AF_INET6 && v6)) {
      if (o != i) memcpy(l->servers[o], l->servers[i], sizeof(l->servers[0]));
      o++;
    }
  }
  l->count = o;
}

/* `smv paths [--json]`: every interface the platform sees, its class and the evidence for it, and the
 * verdict a flow would get with the same path options, so that a refusal can be understood (and a
 * layout recorded for tests/data/paths) before any request is made. */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/readfile.h"
#include "platform.h"

int smv__cli_paths(int argc, char **argv);

static void usage(FILE *f) {
  fputs("usage: smv paths [--json] [--interface IF | --carrier IF] [--allow-vpn-bypass] [--dns IP[,IP]]\n"
        "                 [--snapshot FILE]\n"
        "Lists the interfaces, their class and evidence, and the verdict a flow would get.\n"
        "--snapshot FILE classifies a recorded layout (tests/data/paths) instead of this machine.\n"
        "Exit status: 0 when a flow could use a path, else the flow's (3: no usable carrier path).\n",
        f);
}


static void print_text(const smv__snapshot *snap, const smv__verdict *v, const smv__dns_list *dns, int dns_rc) {
  printf("source: %s%s\n", snap->source, snap->dropped ? " (some interfaces not shown)" : "");
  for (size_t i = 0; i < snap->count; i++) {
    const smv__path *p = &snap->paths[i];
    smv__classification c;
    char ev[SMV__VERDICT_TEXT_LEN], addrs[256] = "", one[64];
    smv__path_classify(snap, i, &c);
    smv__classification_text(&c, ev, sizeof(ev));
    for (size_t k = 0; k < p->naddrs; k++) {
      smv__addr_format(&p->addrs[k], one, sizeof(one));
      size_t used = strlen(addrs);
      snprintf(addrs + used, sizeof(addrs) - used, "%s%s/%u", k ? " " : "", one, p->addrs[k].prefix);
    }
    printf("%-16s %-9s %s%s\n", p->name, smv_path_class_name(c.cls), smv__path_usable(p) ? "up" : "down",
           (p->default4 || p->default6) ? ", default route" : "");
    if (addrs[0]) printf("    addresses: %s\n", addrs);
    if (p->gateway4.family) {
      smv__addr_format(&p->gateway4, one, sizeof(one));
      printf("    gateway: %s\n", one);
    }
    printf("    evidence: %s\n", ev);
  }
  if (v->err == SMV_OK) {
    printf("verdict: %s on %s (%s%s)\n", smv_errname(v->err), v->path.name, smv_path_class_name(v->cls),
           v->declared ? ", declared" : "");
    char csv[400];
    smv__dns_list_csv(dns, csv, sizeof(csv));
    if (dns_rc == SMV_OK) printf("dns: %s (%s)\n", csv, dns->source);
    else printf("dns: %s\n", smv_strerror(dns_rc));
  } else {
    printf("verdict: %s (exit %d): %s\n", smv_errname(v->err), smv_exit_code(v->err), smv_strerror(v->err));
  }
  printf("    %s\n", v->evidence);
}

static int print_json(const smv__snapshot *snap, const smv__verdict *v, const smv__dns_list *dns, int dns_rc) {
  cJSON *root = cJSON_CreateObject();
  if (!root) return -1;
  cJSON_AddStringToObject(root, "source", snap->source);
  cJSON *arr = cJSON_AddArrayToObject(root, "paths");
  for (size_t i = 0; i < snap->count; i++) {
    smv__classification c;
    cJSON *o = cJSON_CreateObject(), *ev = cJSON_CreateArray();
    if (!o || !ev) {
      cJSON_Delete(o), cJSON_Delete(ev);
      continue;
    }
    smv__path_to_json(&snap->paths[i], o);
    smv__path_classify(snap, i, &c);
    cJSON_AddStringToObject(o, "class", smv_path_class_name(c.cls));
    for (size_t k = 0; k < c.nevidence; k++) cJSON_AddItemToArray(ev, cJSON_CreateString(c.evidence[k]));
    cJSON_AddItemToObject(o, "evidence", ev);
    cJSON_AddBoolToObject(o, "usable", smv__path_usable(&snap->paths[i]));
    cJSON_AddItemToArray(arr, o);
  }
  cJSON *vo = cJSON_AddObjectToObject(root, "verdict");
  cJSON_AddBoolToObject(vo, "ok", v->err == SMV_OK);
  if (v->err == SMV_OK) {
    cJSON_AddNullToObject(vo, "error");
    cJSON_AddStringToObject(vo, "interface", v->path.name);
    cJSON_AddStringToObject(vo, "class", smv_path_class_name(v->cls));
    cJSON_AddBoolToObject(vo, "declared", v->declared);
  } else {
    cJSON *e = cJSON_AddObjectToObject(vo, "error");
    cJSON_AddStringToObject(e, "code", smv_errname(v->err));
    cJSON_AddStringToObject(e, "message", smv_strerror(v->err));
    if (v->index >= 0) cJSON_AddStringToObject(vo, "interface", snap->paths[v->index].name);
    else cJSON_AddNullToObject(vo, "interface");
  }
  cJSON_AddNumberToObject(vo, "exit", smv_exit_code(v->err));
  cJSON_AddStringToObject(vo, "evidence", v->evidence);
  if (v->err == SMV_OK) {
    cJSON *d = cJSON_AddObjectToObject(vo, "dns"), *s = cJSON_AddArrayToObject(d, "servers");
    for (size_t k = 0; dns_rc == SMV_OK && k < dns->count; k++)
      cJSON_AddItemToArray(s, cJSON_CreateString(dns->servers[k]));
    cJSON_AddStringToObject(d, "source", dns->source);
    if (dns_rc != SMV_OK) cJSON_AddStringToObject(d, "error", smv_errname(dns_rc));
  }
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  if (!text) return -1;
  puts(text);
  cJSON_free(text);
  return 0;
}

int smv__cli_paths(int argc, char **argv) {
  int json = 0;
  const char *snapshot_file = NULL, *dns = NULL;
  smv__choose_opts opts = {.interface = NULL};
  /* argv[0] is the subcommand ("paths"). */
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--json") == 0) json = 1;
    else if (strcmp(a, "--allow-vpn-bypass") == 0) opts.allow_vpn_bypass = 1;
    else if ((strcmp(a, "--interface") == 0 || strcmp(a, "--carrier") == 0) && i + 1 < argc) {
      if (opts.interface) {
        fputs("smv paths: --interface and --carrier name one interface, once\n", stderr);
        return 2;
      }
      opts.declared_carrier = strcmp(a, "--carrier") == 0;
      opts.interface = argv[++i];
    } else if (strcmp(a, "--dns") == 0 && i + 1 < argc) dns = argv[++i];
    else if (strcmp(a, "--snapshot") == 0 && i + 1 < argc) snapshot_file = argv[++i];
    else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    } else {
      fprintf(stderr, "smv paths: unknown or incomplete option %s\n", a);
      usage(stderr);
      return 2;
    }
  }

  smv__platform plat;
  smv__platform_get(&plat);
  static smv__snapshot snap;
  if (snapshot_file) {
    char *text = smv__read_file(snapshot_file, 1u << 20, NULL);
    int rc = text ? smv__snapshot_from_json(text, &snap) : SMV_ERR_IO;
    free(text);
    if (rc != SMV_OK) {
      fprintf(stderr, "smv paths: %s: not a recorded layout\n", snapshot_file);
      return 2;
    }
  } else {
    int rc = plat.ops->snapshot(plat.user_data, &snap);
    if (rc != SMV_OK) {
      fprintf(stderr, "smv paths: cannot list interfaces: %s\n", smv_strerror(rc));
      return smv_exit_code(rc);
    }
  }

  static smv__verdict v;
  if (snapshot_file) smv__path_choose(&snap, &opts, &v); /* a recording has no platform defaults */
  else smv__platform_choose(&plat, &snap, &opts, &v);
  smv__dns_list servers;
  memset(&servers, 0, sizeof(servers));
  int dns_rc = SMV_ERR_DNS_NO_SERVERS;
  if (v.err == SMV_OK) {
    dns_rc = snapshot_file ? (dns ? smv__dns_parse_csv(dns, &servers) : SMV_ERR_DNS_NO_SERVERS)
                           : plat.ops->dns_servers(plat.user_data, &v.path, dns, &servers);
    if (dns_rc == SMV_ERR_INVALID_ARG) {
      fprintf(stderr, "smv paths: --dns %s: not a list of addresses\n", dns);
      return 2;
    }
  }
  if (json) {
    if (print_json(&snap, &v, &servers, dns_rc) != 0) return 1;
  } else {
    print_text(&snap, &v, &servers, dns_rc);
  }
  return smv_exit_code(v.err);
}

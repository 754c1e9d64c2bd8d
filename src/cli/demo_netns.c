/* `smv demo --netns`: the demo across the namespace harness (tests/harness/demo_netns.sh) instead of
 * loopback, with a real carrier-grade NAT between the device and the sandbox.
 *
 * Why a script and not C: the topology (four namespaces, veth pairs, nftables, two dnsmasq, and the
 * operator's header-enrichment proxy, nginx in the carrier) is the harness's, and keeping one
 * definition of it means the demo shows exactly what the tests check. This file only finds the
 * script and runs it with this very binary. The script lives in the source tree (the feature needs
 * root, ip, nft, dnsmasq, nginx and curl: a developer's or CI's machine, not an installed one):
 * $SMV_HARNESS_DIR if set, else tests/harness next to the source this binary was built from. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#define DEMO_NETNS_SCRIPT "demo_netns.sh"

/* The harness directory: the environment's, else derived from this file's path at build time
 * (src/cli/demo_netns.c -> tests/harness). */
static int demo_netns_script(char *out, size_t len) {
  const char *env = getenv("SMV_HARNESS_DIR");
  if (env && *env) {
    snprintf(out, len, "%s/%s", env, DEMO_NETNS_SCRIPT);
    return access(out, R_OK) == 0 ? 0 : -1;
  }
  const char *self = __FILE__;
  const char *tail = strstr(self, "src/cli/demo_netns.c");
  if (!tail || self[0] != '/') return -1;
  snprintf(out, len, "%.*stests/harness/%s", (int)(tail - self), self, DEMO_NETNS_SCRIPT);
  return access(out, R_OK) == 0 ? 0 : -1;
}

int smv__cli_demo_netns(int argc, char **argv) {
  int verbose = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--netns")) continue;
    if (!strcmp(argv[i], "-v")) {
      verbose = 1;
    } else {
      fprintf(stderr, "smv demo --netns: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  char script[PATH_MAX + 64];
  if (demo_netns_script(script, sizeof(script)) != 0) {
    fprintf(stderr,
            "smv demo --netns: cannot find tests/harness/%s of the source tree; set SMV_HARNESS_DIR "
            "to that directory\n",
            DEMO_NETNS_SCRIPT);
    return 1;
  }
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) {
    fprintf(stderr, "smv demo --netns: cannot find this program's path: %s\n", strerror(errno));
    return 1;
  }
  self[n] = '\0';
  char bash[] = "bash", v[] = "-v";
  char *args[] = {bash, script, self, verbose ? v : NULL, NULL};
  fflush(stdout);
  execvp("bash", args);
  fprintf(stderr, "smv demo --netns: cannot run bash: %s\n", strerror(errno));
  return 1;
}

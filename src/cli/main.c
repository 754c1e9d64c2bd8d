/* smv: the command-line tool. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void usage(FILE *f) {
  fputs("usage: smv follow URL [options]     open URL on the carrier path, follow the redirect chain\n"
        "       smv report URL [options]     one request (GET, or POST with -d) on the carrier path\n"
        "       smv paths [--json]           interfaces, their class, evidence, and the verdict\n"
        "       smv sandbox [--config FILE]  the verification-service and operator simulator\n"
        "       smv demo                     the whole flow end to end on this machine\n"
        "       smv testserver ...           scripted HTTPS/HTTP server for tests\n"
        "       smv --version\n"
        "Run 'smv follow --help' for the options.\n",
        f);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "follow")) return smv__cli_follow(argc - 1, argv + 1, 0);
  if (!strcmp(cmd, "report")) return smv__cli_follow(argc - 1, argv + 1, 1);
  if (!strcmp(cmd, "paths")) return smv__cli_paths(argc - 1, argv + 1);
#ifdef SMV_WITH_SANDBOX
  if (!strcmp(cmd, "sandbox")) return smv__cli_sandbox(argc - 1, argv + 1);
  if (!strcmp(cmd, "demo")) return smv__cli_demo(argc - 1, argv + 1);
  if (!strcmp(cmd, "testserver")) return smv__cli_testserver(argc - 1, argv + 1);
#else
  if (!strcmp(cmd, "sandbox") || !strcmp(cmd, "demo") || !strcmp(cmd, "testserver")) {
    fprintf(stderr, "smv: '%s' is not in this build (SMV_BUILD_SANDBOX=OFF)\n", cmd);
    return 2;
  }
#endif
  if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
    printf("smv %d.%d.%d\n", SMV_VERSION_MAJOR, SMV_VERSION_MINOR, SMV_VERSION_PATCH);
#ifdef SMV_EMULATION_UNCONFIRMED_BIND
    printf("built with SMV_EMULATION_UNCONFIRMED_BIND: for tests under qemu-user, not for devices\n");
#endif
    return 0;
  }
  if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
    usage(stdout);
    return 0;
  }
  fprintf(stderr, "smv: unknown command '%s'\n", cmd);
  usage(stderr);
  return 2;
}

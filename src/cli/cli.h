/* The subcommands of the smv tool. Each returns the process exit status (docs/cli.md). */
#ifndef SMV_CLI_H
#define SMV_CLI_H

#include "smv.h"

int smv__cli_follow(int argc, char **argv, int report);
int smv__cli_paths(int argc, char **argv);
int smv__cli_sandbox(int argc, char **argv);
int smv__cli_demo(int argc, char **argv);
/* `smv demo --netns`: runs the namespace harness's demo (tests/harness/demo_netns.sh). */
int smv__cli_demo_netns(int argc, char **argv);
int smv__cli_testserver(int argc, char **argv);

/* How the HAR is written: what it may show, and the TLS versions the client allowed. */
typedef struct smv__har_opts {
  int show_secrets;             /* 0: URLs, Locations and cookies redacted as the trace is */
  int tls_min, tls_max;         /* 12 or 13 */
} smv__har_opts;

/* Writes the flow's chain as a HAR 1.2 file. Returns 0 or -1 with errno. */
int smv__har_write(const char *path, const smv_result *r, const smv__har_opts *o);

#endif

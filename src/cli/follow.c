/* smv follow / smv report: option parsing, running one flow, printing the outcome. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cli/cli.h"
#include "io/readfile.h"

typedef struct cli_run {
  int json, verbose, exit_code, done;
  const char *har, *url;
  int report;
  smv__har_opts har_opts;
} cli_run;

static void help(FILE *f, int report) {
  fprintf(f,
    "usage: smv %s URL [options]\n"
    "  --interface IF        use IF; refused unless it classifies as cellular\n"
    "  --carrier IF          declare IF a carrier path whatever it looks like (labs, loopback)\n"
    "  --dns IP[,IP]         DNS servers of the path (default: the path's own)\n"
    "  --cacert FILE         trust these PEM roots instead of the system store\n"
    "  --capath DIR          the system store's directory (default /etc/ssl/certs)\n"
    "  --return-url URL      stop when a redirect points at URL (not fetched); an OAuth\n"
    "                        redirect_uri's code, state or error go into the result\n"
    "  --state S             the OAuth state the return URL must carry (RFC 6749 10.12)\n"
    "  --max-redirects N     default 10 (at most 64)\n"
    "  --max-time S          whole-flow deadline in seconds (default 30)\n"
    "  --connect-timeout S   per connection: DNS + TCP + TLS (default 10)\n"
    "  --response-timeout S  silence allowed while waiting for a response (default 10)\n"
    "  --max-header-bytes N  per response (default 16384)\n"
    "  --max-body-bytes N    per response (default 65536)\n"
    "  --no-http             forbid plain-HTTP hops (the first hop must be https anyway)\n"
    "  --allow-vpn-bypass    a VPN that is up does not fail the flow when the socket is bound to\n"
    "                        the cellular interface\n"
    "  --no-resume           no TLS session resumption (benchmarks)\n"
    "  --tls-min 1.2|1.3     lowest TLS version offered (default 1.2)\n"
    "  --tls-max 1.2|1.3     highest TLS version offered (default 1.3)\n"
    "  -4, --ipv4            connect over IPv4 only\n"
    "  -6, --ipv6            connect over IPv6 only\n"
    "  --json                print the result object on stdout\n"
    "  -v                    hop-by-hop trace on stderr (no token, code, state or query\n"
    "                        value unless --show-secrets)\n"
    "  --show-secrets        let the trace and the HAR show tokens, OAuth values and cookies\n"
    "  --har FILE            write the chain as a HAR 1.2 file\n"
    "%s"
    "exit: 0 done, 2 usage, 3 no carrier path, 4 DNS, 5 connect, 6 TLS, 7 HTTP, 8 redirect policy,\n"
    "      9 service error, 10 timeout, 1 other\n",
    report ? "report" : "follow",
    report ? "  -d, --data DATA       POST DATA (\"@FILE\" reads a file)\n"
             "  -X, --request METHOD  GET or POST\n"
             "  --content-type TYPE   default application/json with -d\n"
           : "");
}

static int parse_seconds(const char *s, unsigned *ms) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !(v > 0) || v > 86400 || isnan(v)) return -1;
  *ms = (unsigned)(v * 1000 + 0.5);
  if (*ms == 0) *ms = 1;
  return 0;
}

static int parse_size(const char *s, unsigned long max, unsigned long *out) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || end == s || *end || s[0] == '-' || v > max) return -1;
  *out = v;
  return 0;
}


static const char *phase_name(smv_trace_phase p) {
  switch (p) {
  case SMV_TRACE_PATH: return "path";
  case SMV_TRACE_DNS: return "dns";
  case SMV_TRACE_CONNECT: return "connect";
  case SMV_TRACE_TLS: return "tls";
  case SMV_TRACE_REQUEST: return "request";
  case SMV_TRACE_RESPONSE: return "response";
  case SMV_TRACE_DONE: return "done";
  case SMV_TRACE_ERROR: return "error";
  }
  return "?";
}

static void trace(void *ud, int hop, smv_trace_phase phase, double ms, const char *url, const char *detail) {
  (void)ud;
  (void)url;
  fprintf(stderr, "smv: [%d] %8.1f ms  %-8s %s\n", hop, ms, phase_name(phase), detail ? detail : "");
}

static void on_done(smv_flow *flow, const smv_result *r, void *ud) {
  (void)flow;
  cli_run *run = ud;
  run->done = 1;
  if (r->outcome == SMV_OUTCOME_ERROR)
    run->exit_code = smv_exit_code(r->error ? r->error : SMV_ERR_INTERNAL);
  else if (r->outcome == SMV_OUTCOME_SERVICE_ERROR)
    run->exit_code = smv_exit_code(r->error ? r->error : SMV_ERR_SERVICE_ERROR);
  else
    run->exit_code = 0;
  if (run->json) {
    char *j = smv_result_json(r, 0);
    if (j) {
      puts(j);
      free(j);
    } else {
      run->exit_code = 1;
    }
  } else if (run->report && r->body) {
    fwrite(r->body, 1, r->body_len, stdout);
    if (r->body_len && r->body[r->body_len - 1] != '\n') putchar('\n');
  } else if (!run->report) {
    if (r->outcome == SMV_OUTCOME_ERROR)
      printf("error %s: %s\n", smv_errname(r->error), r->error_message ? r->error_message : smv_strerror(r->error));
    else if (r->outcome == SMV_OUTCOME_SERVICE_ERROR)
      printf("service_error %s %d %s\n", smv_errname(r->error ? r->error : SMV_ERR_SERVICE_ERROR),
             r->http_status, r->final_url ? r->final_url : "");
    else
      printf("%s %d %s\n", r->outcome == SMV_OUTCOME_RETURN_URL ? "return_url" : "completed",
             r->http_status, r->final_url ? r->final_url : "");
  }
  if (r->outcome == SMV_OUTCOME_ERROR && !run->json)
    fprintf(stderr, "smv: %s: %s\n", smv_errname(r->error), r->error_message ? r->error_message : smv_strerror(r->error));
  if (run->har && smv__har_write(run->har, r, &run->har_opts) != 0) {
    fprintf(stderr, "smv: cannot write %s: %s\n", run->har, strerror(errno));
    if (run->exit_code == 0) run->exit_code = 1;
  }
}

int smv__cli_follow(int argc, char **argv, int report) {
  enum { O_IF = 256, O_CARRIER, O_DNS, O_CACERT, O_RET, O_MAXRED, O_MAXTIME, O_CTIMEOUT, O_RTIMEOUT,
         O_NOHTTP, O_CAPATH, O_JSON, O_SECRETS, O_HAR, O_CTYPE, O_MAXHDR, O_MAXBODY, O_VPN, O_NORESUME,
         O_STATE, O_TLSMIN, O_TLSMAX };
  static const struct option opts[] = {
    {"interface", required_argument, 0, O_IF}, {"carrier", required_argument, 0, O_CARRIER},
    {"dns", required_argument, 0, O_DNS}, {"cacert", required_argument, 0, O_CACERT}, {"capath", required_argument, 0, O_CAPATH},
    {"return-url", required_argument, 0, O_RET}, {"max-redirects", required_argument, 0, O_MAXRED},
    {"max-time", required_argument, 0, O_MAXTIME}, {"connect-timeout", required_argument, 0, O_CTIMEOUT},
    {"response-timeout", required_argument, 0, O_RTIMEOUT}, {"no-http", no_argument, 0, O_NOHTTP},
    {"json", no_argument, 0, O_JSON}, {"show-secrets", no_argument, 0, O_SECRETS},
    {"har", required_argument, 0, O_HAR}, {"data", required_argument, 0, 'd'},
    {"request", required_argument, 0, 'X'}, {"content-type", required_argument, 0, O_CTYPE},
    {"max-header-bytes", required_argument, 0, O_MAXHDR}, {"max-body-bytes", required_argument, 0, O_MAXBODY},
    {"allow-vpn-bypass", no_argument, 0, O_VPN}, {"no-resume", no_argument, 0, O_NORESUME},
    {"state", required_argument, 0, O_STATE}, {"tls-min", required_argument, 0, O_TLSMIN},
    {"tls-max", required_argument, 0, O_TLSMAX}, {"ipv4", no_argument, 0, '4'}, {"ipv6", no_argument, 0, '6'},
    {"verbose", no_argument, 0, 'v'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  smv_config cfg;
  smv_config_init(&cfg);
  smv_client_options copts = {.version = SMV_CLIENT_OPTIONS_VERSION};
  cli_run run = {0};
  run.report = report;
  char *data = NULL;
  size_t data_len = 0;
  int c, rc = 2;
  unsigned long n;
  optind = 1;
  while ((c = getopt_long(argc, argv, report ? "vh46d:X:" : "vh46", opts, NULL)) != -1) {
    switch (c) {
    case O_IF: cfg.interface = optarg; cfg.declared_carrier = 0; break;
    case O_CARRIER: cfg.interface = optarg; cfg.declared_carrier = 1; break;
    case O_DNS: cfg.dns_servers = optarg; break;
    case O_CACERT: copts.cacert_file = optarg; break;
    case O_CAPATH: copts.ca_dir = optarg; break;
    case O_RET: cfg.return_url = optarg; break;
    case O_MAXRED:
      if (parse_size(optarg, 64, &n)) { fprintf(stderr, "smv: --max-redirects: 0..64\n"); goto out; }
      cfg.max_redirects = (unsigned)n;
      break;
    case O_MAXTIME:
      if (parse_seconds(optarg, &cfg.max_time_ms)) { fprintf(stderr, "smv: --max-time: seconds > 0\n"); goto out; }
      break;
    case O_CTIMEOUT:
      if (parse_seconds(optarg, &cfg.connect_timeout_ms)) { fprintf(stderr, "smv: --connect-timeout: seconds > 0\n"); goto out; }
      break;
    case O_RTIMEOUT:
      if (parse_seconds(optarg, &cfg.response_timeout_ms)) { fprintf(stderr, "smv: --response-timeout: seconds > 0\n"); goto out; }
      break;
    case O_MAXHDR:
      if (parse_size(optarg, 1u << 20, &n) || n < 256) { fprintf(stderr, "smv: --max-header-bytes: 256..1048576\n"); goto out; }
      cfg.max_header_bytes = n;
      break;
    case O_MAXBODY:
      if (parse_size(optarg, 16u << 20, &n)) { fprintf(stderr, "smv: --max-body-bytes: 0..16777216\n"); goto out; }
      cfg.max_body_bytes = n;
      break;
    case O_NOHTTP: cfg.no_http = 1; break;
    case O_VPN: cfg.allow_vpn_bypass = 1; break;
    case O_NORESUME: copts.disable_tls_resumption = 1; break;
    case O_STATE: cfg.state = optarg; break;
    case O_TLSMIN:
    case O_TLSMAX: {
      int v = !strcmp(optarg, "1.2") ? 12 : !strcmp(optarg, "1.3") ? 13 : 0;
      if (!v) { fprintf(stderr, "smv: --tls-%s: 1.2 or 1.3\n", c == O_TLSMIN ? "min" : "max"); goto out; }
      *(c == O_TLSMIN ? &copts.tls_min_version : &copts.tls_max_version) = v;
      break;
    }
    case '4':
    case '6':
      if (cfg.family && cfg.family != c - '0') { fprintf(stderr, "smv: -4 and -6 exclude each other\n"); goto out; }
      cfg.family = c - '0';
      break;
    case O_JSON: run.json = 1; break;
    case O_SECRETS: cfg.show_secrets = 1; break;
    case O_HAR: run.har = optarg; break;
    case O_CTYPE: cfg.content_type = optarg; break;
    case 'v': run.verbose = 1; break;
    case 'X':
      if (strcmp(optarg, "GET") && strcmp(optarg, "POST")) { fprintf(stderr, "smv: -X: GET or POST\n"); goto out; }
      cfg.method = optarg;
      break;
    case 'd':
      free(data);
      if (optarg[0] == '@') {
        data = smv__read_file(optarg + 1, 16u << 20, &data_len);
        if (!data) { fprintf(stderr, "smv: %s: %s\n", optarg + 1, strerror(errno)); goto out; }
      } else {
        data_len = strlen(optarg);
        data = malloc(data_len + 1);
        if (!data) goto out;
        memcpy(data, optarg, data_len + 1);
      }
      break;
    case 'h': help(stdout, report); rc = 0; goto out;
    default: help(stderr, report); goto out;
    }
  }
  if (optind != argc - 1) {
    fprintf(stderr, "smv: exactly one URL is needed\n");
    help(stderr, report);
    goto out;
  }
  run.url = argv[optind];
  if (report) {
    cfg.single_request = 1;
    cfg.body = data;
    cfg.body_len = data_len;
  }
  if (copts.tls_min_version > (copts.tls_max_version ? copts.tls_max_version : 13)) {
    fprintf(stderr, "smv: --tls-min is above --tls-max\n");
    goto out;
  }
  run.har_opts.show_secrets = cfg.show_secrets;
  run.har_opts.tls_min = copts.tls_min_version ? copts.tls_min_version : 12;
  run.har_opts.tls_max = copts.tls_max_version ? copts.tls_max_version : 13;
  if (run.verbose) {
    cfg.trace = trace;
    fprintf(stderr, "smv: TLS %s to %s\n", run.har_opts.tls_min == 13 ? "1.3" : "1.2",
            run.har_opts.tls_max == 12 ? "1.2" : "1.3");
  }

  uv_loop_t loop;
  if (uv_loop_init(&loop) != 0) { rc = 1; goto out; }
  smv_client *client = NULL;
  smv_flow *flow = NULL;
  int err = smv_client_new(&loop, &copts, &client);
  if (err == 0) err = smv_flow_start(client, run.url, &cfg, on_done, &run, &flow);
  if (err != 0) {
    fprintf(stderr, "smv: %s: %s\n", smv_errname(err), smv_strerror(err));
    rc = smv_exit_code(err);
    if (run.json) {
      smv_result r;
      memset(&r, 0, sizeof(r));
      r.error = err;
      char *j = smv_result_json(&r, 0);
      if (j) puts(j);
      free(j);
    }
  } else {
    uv_run(&loop, UV_RUN_DEFAULT);
    rc = run.done ? run.exit_code : 1;
  }
  if (client) smv_client_free(client);
  uv_run(&loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&loop) != 0 && rc == 0) rc = 1;
out:
  free(data);
  fflush(stdout);
  return rc;
}

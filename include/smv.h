/* smv: the device side of silent mobile verification.
 *
 * smv opens a verification service's deviceRedirectUrl over the device's cellular data path and
 * nothing else, follows the redirect chain (service, operator header enrichment, back) over TLS, stops
 * at the app's returnUrl, and reports the outcome.
 *
 * Threads and callbacks (tests/unit/test_threads.c and test_callbacks.c check these):
 * - Any thread, at any time, also from any callback: smv_version, smv_version_string, smv_errname,
 *   smv_strerror, smv_exit_code, smv_path_class_name, smv_config_init, smv_result_json (on a result
 *   the caller may read), smv_result_free (on a result of smv_follow_sync, once).
 * - A client and its flows belong to the uv_loop_t given to smv_client_new: smv_client_new,
 *   smv_client_free, smv_flow_start and smv_flow_cancel are called on that loop's thread only (the
 *   thread that runs uv_run on it, or any one thread while the loop is not running). smv takes no
 *   lock for them; to act on a client from another thread, wake its loop (uv_async_send) and call
 *   smv there.
 * - From a done callback (smv_done_cb, which runs on the loop's thread, never inside
 *   smv_flow_start): smv_flow_start on the same or another client, smv_flow_cancel of any flow (of the
 *   flow being reported it does nothing), smv_client_free of its own client (the client's other flows
 *   get their callbacks, with SMV_ERR_CANCELLED, before smv_client_free returns). The result and the
 *   smv_flow pointer are valid until the callback returns, never after.
 * - From a trace callback (smv_trace_cb, on the loop's thread, in the middle of smv's work): only the
 *   any-thread functions above. Starting, cancelling or freeing there is not allowed.
 * - Allocator hooks are called on the thread of the client they belong to (smv_follow_sync: the
 *   calling thread), so a hook per client needs no lock.
 * - smv_follow_sync may be called from several threads at once, each call with its own private loop
 *   and client; it blocks its thread, so it does not belong in a loop callback.
 * - Clients on different threads (each on its own loop) run at once: smv's per-call state is
 *   thread-local and mbedTLS's shared PSA state is locked. libuv's own rules apply to the loop.
 * Memory: every allocation of the library (and of mbedTLS, c-ares and cJSON while smv drives them) goes
 * through the client's allocator hook; smv_stats.heap_peak_bytes reports the high-water mark.
 *
 * This header is the whole public API and its documentation.
 */
#ifndef SMV_H
#define SMV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Versions ------------------------------------------------------------------------------------
 * The project's one version: CMakeLists.txt, smv.pc, the CMake package and the Debian packages read it
 * from these three lines. SMV_VERSION is comparable: SMV_VERSION >= 0x000200 means 0.2.0 or newer.
 * The shared library's SONAME (libsmv.so.N) follows the ABI, not this version: docs/library.md. */
#define SMV_VERSION_MAJOR 0
#define SMV_VERSION_MINOR 2
#define SMV_VERSION_PATCH 0
#define SMV_VERSION ((SMV_VERSION_MAJOR << 16) | (SMV_VERSION_MINOR << 8) | SMV_VERSION_PATCH)
#define SMV__STR2(x) #x
#define SMV__STR(x) SMV__STR2(x)
#define SMV_VERSION_STRING \
  SMV__STR(SMV_VERSION_MAJOR) "." SMV__STR(SMV_VERSION_MINOR) "." SMV__STR(SMV_VERSION_PATCH)

/* The version of the library the program runs with (SMV_VERSION's encoding, "0.2.0"): with
 * libsmv.so it may be newer than the header the program was compiled with. */
unsigned smv_version(void);
const char *smv_version_string(void);

/* ---- Errors ---------------------------------------------------------------------------------------
 * One list generates the enum, smv_errname(), smv_strerror() and smv_exit_code().
 * XX(NAME, value, exit status of the CLI, message). Codes are negative, 0 is success, and each value
 * is fixed here (as libuv, nghttp2 and c-ares fix theirs): a code never changes when a line is added
 * or moved, so programs compiled against an older smv.h read the same numbers. New codes take an
 * unused value in -999..-900 (error.c checks that values are unique and in range).
 * Exit statuses: 1 other, 2 usage, 3 no usable carrier path, 4 DNS, 5 connect, 6 TLS, 7 HTTP protocol,
 * 8 redirect policy, 9 service error, 10 timeout. */
#define SMV_ERRNO_MAP(XX)                                                                          \
  XX(NOMEM,                  -999,  1, "out of memory")                                                 \
  XX(INVALID_ARG,            -998,  2, "invalid argument")                                              \
  XX(CANCELLED,              -997,  1, "flow cancelled")                                                \
  XX(INTERNAL,               -996,  1, "internal error")                                                \
  XX(IO,                     -995,  1, "local I/O error")                                               \
  XX(URL_PARSE,              -994,  2, "malformed URL")                                                 \
  XX(URL_SCHEME,             -993,  2, "the first URL must be https")                                   \
  XX(URL_USERINFO,           -992,  8, "URL carries user credentials (refused)")                        \
  XX(NO_CARRIER_PATH,        -991,  3, "no cellular data path (WiFi, Ethernet or nothing up)")          \
  XX(PATH_NOT_CELLULAR,      -990,  3, "the requested interface is not a cellular path")                \
  XX(PATH_VPN,               -989,  3, "a VPN is up: traffic would not leave on the carrier path")      \
  XX(PATH_TETHERED,          -988,  3, "the uplink is another device's hotspot or tether")              \
  XX(PATH_DOWN,              -987,  3, "the cellular interface is down or has no address")              \
  XX(PATH_LOST,              -986,  3, "the cellular path went away during the flow")                   \
  XX(PATH_BIND,              -985,  3, "binding a socket to the carrier path failed")                   \
  XX(PATH_LOCAL_ADDR,        -984,  3, "the connection's local address is not on the carrier path")     \
  XX(PATH_UNKNOWN,           -983,  3, "the path's class could not be established")                     \
  XX(DNS_NOT_FOUND,          -982,  4, "host name not found")                                           \
  XX(DNS_FAIL,               -981,  4, "DNS resolution failed")                                         \
  XX(DNS_NO_SERVERS,         -980,  4, "no DNS server for the carrier path")                            \
  XX(DNS_NO_ADDRESS,         -979,  4, "the name has no address of a usable family")                    \
  XX(CONNECT_REFUSED,        -978,  5, "connection refused")                                            \
  XX(CONNECT_UNREACH,        -977,  5, "network or host unreachable")                                   \
  XX(CONNECT,                -976,  5, "connection failed")                                             \
  XX(CONN_RESET,             -975,  5, "connection reset by the server")                                \
  XX(ADDRESS_FAMILY,         -928,  5, "address family excluded or not on the carrier path")            \
  XX(NAT64_NO_PREFIX,        -932,  5, "IPv6-only path without a NAT64 prefix (RFC 7050)")              \
  XX(NAT64_DISCOVERY,        -931,  5, "malformed ipv4only.arpa answer (RFC 7050)")                     \
  XX(NAT64_PREFIX,           -930,  5, "unusable NAT64 prefix (RFC 6052)")                              \
  XX(NAT64_WKP_NON_GLOBAL,   -929,  5, "64:ff9b::/96 with a non-global IPv4 address")                   \
  XX(TLS_CERT_EXPIRED,       -974,  6, "server certificate expired")                                    \
  XX(TLS_CERT_FUTURE,        -973,  6, "server certificate not yet valid")                              \
  XX(TLS_CERT_UNTRUSTED,     -972,  6, "server certificate not signed by a trusted root")               \
  XX(TLS_CERT_HOSTNAME,      -971,  6, "server certificate does not match the host name or address")    \
  XX(TLS_CERT_WEAK_KEY,      -970,  6, "server certificate key too weak")                               \
  XX(TLS_CERT_WEAK_HASH,     -969,  6, "server certificate signed with a weak hash (SHA-1, MD5)")       \
  XX(TLS_CERT_NOT_CA,        -968,  6, "an intermediate certificate is not a CA")                       \
  XX(TLS_CERT_PIN,           -967,  6, "server key does not match the pinned key")                      \
  XX(TLS_CERT,               -966,  6, "server certificate rejected")                                   \
  XX(TLS_VERSION,            -965,  6, "server does not offer TLS 1.2 or 1.3")                          \
  XX(TLS_HANDSHAKE,          -964,  6, "TLS handshake failed")                                          \
  XX(TLS_ALERT,              -963,  6, "TLS alert or record error from the server")                     \
  XX(TLS_CACERT,             -962,  6, "cannot read the trusted roots")                                 \
  XX(HTTP_MALFORMED,         -961,  7, "malformed HTTP response")                                       \
  XX(HTTP_HEADER_TOO_LARGE,  -960,  7, "response header block too large")                               \
  XX(HTTP_BODY_TOO_LARGE,    -959,  7, "response body too large")                                       \
  XX(HTTP_CONTENT_LENGTH,    -958,  7, "duplicate or invalid Content-Length")                           \
  XX(HTTP_TRANSFER_ENCODING,  -957,  7, "invalid, duplicate or conflicting Transfer-Encoding")          \
  XX(HTTP_OBS_FOLD,          -956,  7, "obsolete line folding in a header")                             \
  XX(HTTP_HEADER_VALUE,      -955,  7, "CR, LF or NUL in a header value")                               \
  XX(HTTP_TOO_MANY_1XX,      -954,  7, "too many interim (1xx) responses")                              \
  XX(HTTP_CHUNK,             -953,  7, "invalid chunked encoding")                                      \
  XX(HTTP_EOF,               -952,  7, "connection closed before the response was complete")            \
  XX(HTTP_BODY_JSON,         -951,  7, "the final response body is not the expected JSON")              \
  XX(TOO_MANY_REDIRECTS,     -950,  8, "too many redirects")                                            \
  XX(REDIRECT_LOOP,          -949,  8, "redirect loop")                                                 \
  XX(REDIRECT_SCHEME,        -948,  8, "redirect to a forbidden scheme")                                \
  XX(REDIRECT_DOWNGRADE,     -947,  8, "redirect to plain HTTP is forbidden")                           \
  XX(LOCATION_MISSING,       -946,  8, "redirect without a Location")                                   \
  XX(LOCATION_MULTIPLE,      -945,  8, "redirect with conflicting Locations")                           \
  XX(LOCATION_TOO_LONG,      -944,  8, "Location too long")                                             \
  XX(LOCATION_BAD,           -943,  8, "Location is not a valid URL")                                   \
  XX(AUTHORIZATION_STATE,    -934,  8, "OAuth state missing or not the one sent")                       \
  XX(AUTHORIZATION_MALFORMED,  -933,  8, "malformed authorization response")                            \
  XX(SERVICE_ERROR,          -942,  9, "the service answered with an error")                            \
  XX(AUTHORIZATION_ERROR,    -935,  9, "the authorization server refused")                              \
  XX(INTERACTION_REQUIRED,   -936,  9, "the authorization needs the user (a page)")                     \
  XX(TIMEOUT,                -941, 10, "the flow's deadline passed")                                    \
  XX(TIMEOUT_DNS,            -940, 10, "DNS timed out")                                                 \
  XX(TIMEOUT_CONNECT,        -939, 10, "connect timed out")                                             \
  XX(TIMEOUT_TLS,            -938, 10, "TLS handshake timed out")                                       \
  XX(TIMEOUT_RESPONSE,       -937, 10, "the server stopped sending")

typedef enum smv_err {
  SMV_OK = 0,
#define SMV__ERR_ENUM(name, value, exitcode, msg) SMV_ERR_##name = (value),
  SMV_ERRNO_MAP(SMV__ERR_ENUM)
#undef SMV__ERR_ENUM
  SMV__ERR_MIN_ = -999,
  SMV__ERR_MAX_ = -900
} smv_err;

/* "SMV_ERR_TLS_CERT_EXPIRED" for SMV_ERR_TLS_CERT_EXPIRED; "SMV_OK" for 0; "SMV_ERR_UNKNOWN" else. */
const char *smv_errname(int err);
/* A short English message; never NULL. */
const char *smv_strerror(int err);
/* The CLI's exit status for an error (0 for SMV_OK). */
int smv_exit_code(int err);

/* ---- Allocator hook ------------------------------------------------------------------------------
 * All three functions are required when a hook is given; they follow malloc/realloc/free semantics.
 * smv never frees through free() what it allocated through the hook and vice versa. */
typedef struct smv_allocator {
  void *(*malloc)(size_t size, void *user_data);
  void *(*realloc)(void *ptr, size_t size, void *user_data);
  void (*free)(void *ptr, void *user_data);
  void *user_data;
} smv_allocator;

/* ---- Paths --------------------------------------------------------------------------------------- */
typedef enum smv_path_class {
  SMV_PATH_UNKNOWN = 0,
  SMV_PATH_CELLULAR,
  SMV_PATH_WIFI,
  SMV_PATH_ETHERNET,
  SMV_PATH_VPN,
  SMV_PATH_TETHERED,
  SMV_PATH_LOOPBACK
} smv_path_class;

/* "cellular", "wifi", ... */
const char *smv_path_class_name(smv_path_class c);

/* ---- Trace ---------------------------------------------------------------------------------------
 * One event per phase of every hop. Strings are valid during the call only. The token and cookies are
 * never passed to the trace unless smv_config.show_secrets is set. */
typedef enum smv_trace_phase {
  SMV_TRACE_PATH,        /* path chosen: detail = "rmnet_data0 cellular (evidence...)" */
  SMV_TRACE_DNS,         /* name resolved: detail = "host -> addr[, addr]" */
  SMV_TRACE_CONNECT,     /* TCP connected (or reused): detail = "local -> remote" */
  SMV_TRACE_TLS,         /* TLS established: detail = "tls1.3 TLS_AES_128_GCM_SHA256 (resumed)" */
  SMV_TRACE_REQUEST,     /* request sent: detail = "GET /path" */
  SMV_TRACE_RESPONSE,    /* response head received: detail = "302 -> Location" */
  SMV_TRACE_DONE,        /* flow finished: detail = outcome */
  SMV_TRACE_ERROR        /* a failure: detail = message */
} smv_trace_phase;

typedef void (*smv_trace_cb)(void *user_data, int hop, smv_trace_phase phase, double ms,
                             const char *url, const char *detail);

/* ---- Versioned structs ---------------------------------------------------------------------------
 * smv_client_options and smv_config carry a version (set it to the header's SMV_*_VERSION, or let
 * smv_config_init do it). One rule for both: a struct of any version from 1 to the current one is
 * accepted, and the fields added after the caller's version take their defaults; a version outside
 * that range is SMV_ERR_INVALID_ARG. So a program built against an older smv.h keeps working. */

/* ---- Client --------------------------------------------------------------------------------------
 * A client holds what lives across flows: the trust store index, the TLS configuration and session
 * cache, idle keep-alive connections, cached DNS answers. */
typedef struct smv_client smv_client;

typedef struct smv_client_options {
  int version;                   /* SMV_CLIENT_OPTIONS_VERSION */
  const smv_allocator *allocator;/* NULL: libc */
  const char *cacert_file;       /* PEM roots; NULL: the system store (/etc/ssl/certs, indexed) */
  const char *ca_dir;            /* the system store's directory; NULL: /etc/ssl/certs */
  int disable_tls_resumption;    /* for benchmarks and tests */
  /* Version 2: */
  int tls_resume_without_ecdhe;  /* TLS 1.3 resumption offers psk_ke (the ticket's key alone) instead
                                    of psk_dhe_ke: a resumed handshake then costs no elliptic-curve
                                    work on either side, but loses forward secrecy for that
                                    connection (as TLS 1.2 ticket resumption does). Off by default;
                                    for load generators and fleets that resume constantly. */
  /* Version 3: */
  int tls_min_version;           /* 0 or 12: TLS 1.2 (the default), 13: TLS 1.3 only (--tls-min) */
  int tls_max_version;           /* 0 or 13: up to TLS 1.3 (the default), 12: TLS 1.2 at most
                                    (--tls-max). The versions belong to the client, not to a flow:
                                    its flows share one TLS configuration and session cache. */
} smv_client_options;
#define SMV_CLIENT_OPTIONS_VERSION 3

struct uv_loop_s;
/* Makes a client on loop; opts NULL: the defaults. Returns 0 and *out, or SMV_ERR_INVALID_ARG (no
 * loop or out, a version outside 1..SMV_CLIENT_OPTIONS_VERSION, an allocator with a NULL function,
 * tls_min_version above tls_max_version or either not 0/12/13), SMV_ERR_NOMEM, SMV_ERR_TLS_CACERT
 * (cacert_file cannot be read or holds no certificate: read at once, so a bad file is a setup
 * error) or SMV_ERR_INTERNAL (the compiled-in platform table is of another version). */
int smv_client_new(struct uv_loop_s *loop, const smv_client_options *opts, smv_client **out);
/* Cancels running flows (their callbacks run with SMV_ERR_CANCELLED) and ends its connections
 * cleanly: close_notify and FIN, then each waits (at most 1 s) for the server's own end, so that no
 * late packet of the server meets a closed socket (the kernel would answer it with a reset sent by
 * the default route, on another interface). Keep running the loop until uv_run returns: the
 * client's memory is released when its last handle is closed. The client's handles are its own:
 * do not close them yourself (uv_walk at shutdown) before then. */
void smv_client_free(smv_client *client);

/* ---- One flow ------------------------------------------------------------------------------------ */
typedef struct smv_config {
  int version;                   /* SMV_CONFIG_VERSION */
  const char *interface;         /* use this interface; refused unless it classifies as cellular.
                                    NULL: the platform's cellular path; none is SMV_ERR_NO_CARRIER_PATH,
                                    a VPN up SMV_ERR_PATH_VPN, a tethered uplink SMV_ERR_PATH_TETHERED */
  int declared_carrier;          /* interface is declared a carrier path whatever it looks like */
  const char *dns_servers;       /* "IP[,IP]"; NULL: the path's own servers */
  const char *return_url;        /* stop when a redirect points here (scheme/host case-insensitive,
                                    port and path exact, a query may be added) */
  unsigned max_redirects;        /* redirects followed (default 10, at most 64); one more fails */
  unsigned max_time_ms;          /* whole flow (default 30000) */
  unsigned connect_timeout_ms;   /* per connection: DNS + TCP + TLS (default 10000) */
  unsigned response_timeout_ms;  /* idle time while waiting for response bytes (default 10000) */
  int no_http;                   /* forbid plain-HTTP hops (the first hop is always https) */
  int allow_vpn_bypass;          /* a VPN that is up does not fail the flow: sockets are bound to the
                                    cellular interface and each connection's local address must be
                                    one of its addresses (else SMV_ERR_PATH_LOCAL_ADDR) */
  size_t max_header_bytes;       /* per response (default 16 KiB) */
  size_t max_body_bytes;         /* per response (default 64 KiB) */
  size_t max_location_bytes;     /* default and maximum 4 KiB */
  /* One request instead of a redirect chain (smv report): */
  int single_request;            /* do not follow redirects: 2xx and 3xx complete, 4xx/5xx are a
                                    service error */
  const char *method;            /* NULL: GET, or POST when body is set */
  const char *body;
  size_t body_len;
  const char *content_type;      /* NULL: application/json when body is set */
  int show_secrets;              /* token and cookies may appear in the trace */
  smv_trace_cb trace;
  void *trace_user_data;
  /* Version 2: */
  const char *state;             /* the OAuth state the returnUrl (redirect_uri) must carry; missing
                                    or different: SMV_ERR_AUTHORIZATION_STATE (RFC 6749 10.12) */
  int family;                    /* 0: both (IPv6 preferred, Happy Eyeballs), 4 or 6: that family
                                    only (--ipv4, --ipv6) */
} smv_config;
#define SMV_CONFIG_VERSION 2

/* Fills the defaults above; everything else zero/NULL. Always start from it: a limit set to 0 means 0. */
void smv_config_init(smv_config *cfg);

/* ---- Result -------------------------------------------------------------------------------------- */
typedef enum smv_outcome {
  SMV_OUTCOME_ERROR = 0,
  SMV_OUTCOME_RETURN_URL,        /* a redirect pointed at the returnUrl */
  SMV_OUTCOME_COMPLETED,         /* a final 2xx */
  SMV_OUTCOME_SERVICE_ERROR      /* the service refused: a final 4xx/5xx (with the service's ERROR
                                    JSON when present), an OAuth error= on the redirect_uri, or a
                                    page that needs the user (SMV_ERR_INTERACTION_REQUIRED);
                                    result.error says which */
} smv_outcome;

/* Every pointer in a result is owned by it: smv's during the done callback, the caller's (until
 * smv_result_free) for the copy smv_follow_sync returns. Only smv_hop.tls points to a constant. */
typedef struct smv_hop {
  char *url;
  char *method;                  /* "GET", "POST": 303 (and 301/302) turn a POST into a GET */
  int status;                    /* 0 when no response was received */
  const char *tls;               /* "tls1.3", "tls1.3-resumed", "tls1.2", "tls1.2-resumed", "none" */
  int reused;                    /* the connection was kept alive from an earlier hop */
  char remote[64];               /* "203.0.113.1:443", "[2001:db8::1]:443": the address connected to
                                    (under NAT64, the synthesised IPv6 address; the URL keeps the
                                    literal) */
  int family;                    /* 4 or 6: the family of that connection; 0 when none was made */
  int nat64;                     /* the address was synthesised under the path's NAT64 prefix */
  char local[64];
  double ms;                     /* from the hop's start to its complete response */
  double start_ms;               /* since the flow started */
  double dns_ms, connect_ms, tls_ms, send_ms, wait_ms, receive_ms;   /* -1: not done on this hop */
  char *location;                /* the Location received, when any */
  char *response_headers;        /* "Name: value\n" lines as received (for HAR; may hold cookies) */
  size_t body_bytes;
} smv_hop;

typedef struct smv_stats {
  unsigned connections;
  unsigned tls_full;
  unsigned tls_resumed;
  unsigned dns_queries;          /* DNS queries sent: A and AAAA each count, and ipv4only.arpa */
  unsigned dns_lookups;          /* names resolved through the DNS (not the client's cache) */
  size_t heap_peak_bytes;        /* the client's allocator high-water mark during this flow */
  double ms;
} smv_stats;

typedef struct smv_result {
  smv_outcome outcome;
  int error;                     /* SMV_OK or an smv_err */
  char *error_message;           /* detail for error (may name the host, the header, ...) */
  char *final_url;
  int http_status;
  char *token;                   /* from the final JSON body, when present */
  char *return_url;              /* from the final JSON body, when present (NULL: absent or null) */
  int return_url_present;        /* the body had a "returnUrl" key (null or string) */
  struct {
    int present;
    long id;
    char *name;
    char *description;
  } service_error;
  struct {
    char interface[64];
    smv_path_class cls;
    int declared;
    char local[64];              /* local address:port of the first connection */
    char clat[32];               /* the path's 464XLAT CLAT that carried IPv4 ("v4-rmnet_data0"), or "" */
    char evidence[512];
  } path;
  struct {
    int present;                 /* the returnUrl reached carried OAuth parameters (RFC 6749 4.1.2) */
    char *code;                  /* each percent-decoded once; NULL when absent */
    char *state;
    char *error;                 /* with error the outcome is a service error
                                    (SMV_ERR_AUTHORIZATION_ERROR) */
    char *error_description;
  } authorization;
  smv_hop *hops;
  size_t hop_count;
  double started_unix_ms;        /* wall clock at the flow's start (HAR startedDateTime) */
  char *body;                    /* final response body (report mode), NUL-terminated */
  size_t body_len;
  smv_stats stats;
} smv_result;

/* The result JSON object of the CLI contract (docs/cli.md), allocated with malloc(); free() it.
 * NULL on no memory. The token is part of the result (it is what the app needs); it is only the trace
 * that hides it. */
char *smv_result_json(const smv_result *r, int pretty);

typedef struct smv_flow smv_flow;
/* Called once per flow, on the loop thread. The result is owned by smv and valid during the call. */
typedef void (*smv_done_cb)(smv_flow *flow, const smv_result *result, void *user_data);

/* Starts a flow to url (https). The config is copied. Returns 0 and sets *out (may be NULL), or an
 * error (SMV_ERR_URL_PARSE, _URL_SCHEME, _URL_USERINFO, _INVALID_ARG, _NOMEM; then cb is not called).
 * cb never runs inside smv_flow_start: the work begins on the next turn of the loop. */
int smv_flow_start(smv_client *client, const char *url, const smv_config *cfg, smv_done_cb cb,
                   void *user_data, smv_flow **out);
/* The done callback runs (synchronously) with SMV_ERR_CANCELLED unless it has run already. */
void smv_flow_cancel(smv_flow *flow);

/* Blocking convenience for firmware without an event loop: runs one flow on a private loop.
 * The result must be released with smv_result_free(). */
int smv_follow_sync(const char *url, const smv_config *cfg, const smv_client_options *opts,
                    smv_result **out);
void smv_result_free(smv_result *r);

#ifdef __cplusplus
}
#endif
#endif /* SMV_H */

/* Stand-in for footprint_main.c while smv_follow_sync() does not exist yet: the footprint report needs a
 * static program whose dependencies are pulled in the way a flow pulls them. This one makes the calls
 * a flow makes into each dependency (an event loop with a TCP connection and timers, a c-ares query
 * bound to an interface, a verified TLS client handshake with the trusted-certificate callback,
 * response parsing, JSON), and the build keeps every global function of smv's libraries
 * (cmake/SmvFootprint.cmake writes their names into a linker script), which overstates smv's share a
 * little. With no arguments it does nothing, so that running it under qemu only checks that it loads.
 */
#include <smv.h>

#include <ares.h>
#include <cJSON.h>
#include <http_parser.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>
#include <uv.h>

#include <stdio.h>
#include <string.h>

typedef struct standin {
  uv_loop_t loop;
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_connect_t connect;
  uv_write_t write;
  ares_channel_t *channel;
  mbedtls_ssl_context ssl;
  mbedtls_ssl_config conf;
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_x509_crt roots;
  http_parser parser;
  char buf[4096];
  size_t len;
} standin;

static int on_header(http_parser *p, const char *at, size_t n) {
  (void)p;
  return memchr(at, 0, n) != NULL;
}

static int on_body(http_parser *p, const char *at, size_t n) {
  cJSON *json = cJSON_ParseWithLength(at, n);
  const cJSON *token = cJSON_GetObjectItemCaseSensitive(json, "token");
  char *text = cJSON_PrintUnformatted(json);
  (void)p;
  if (cJSON_IsString(token)) {
    puts(token->valuestring);
  }
  cJSON_free(text);
  cJSON_Delete(json);
  return 0;
}

static int tls_send(void *ctx, const unsigned char *data, size_t n) {
  standin *s = ctx;
  uv_buf_t b = uv_buf_init((char *)(uintptr_t)data, (unsigned)n);
  return uv_try_write((uv_stream_t *)&s->tcp, &b, 1);
}

static int tls_recv(void *ctx, unsigned char *data, size_t n) {
  standin *s = ctx;
  if (s->len == 0) {
    return MBEDTLS_ERR_SSL_WANT_READ;
  }
  n = n < s->len ? n : s->len;
  memcpy(data, s->buf, n);
  s->len -= n;
  memmove(s->buf, s->buf + n, s->len);
  return (int)n;
}

static int find_root(void *ctx, const mbedtls_x509_crt *child, mbedtls_x509_crt **out) {
  standin *s = ctx;
  (void)child;
  *out = &s->roots;
  return 0;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b) {
  standin *s = h->data;
  (void)hint;
  *b = uv_buf_init(s->buf + s->len, (unsigned)(sizeof(s->buf) - s->len));
}

static void on_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *b) {
  static const http_parser_settings settings = {.on_header_value = on_header, .on_body = on_body};
  standin *s = stream->data;
  unsigned char plain[1024];
  int got;
  (void)b;
  if (n < 0) {
    uv_close((uv_handle_t *)stream, NULL);
    return;
  }
  s->len += (size_t)n;
  if (mbedtls_ssl_is_handshake_over(&s->ssl) == 0) {
    (void)mbedtls_ssl_handshake(&s->ssl);
    return;
  }
  got = mbedtls_ssl_read(&s->ssl, plain, sizeof(plain));
  if (got > 0) {
    http_parser_execute(&s->parser, &settings, (const char *)plain, (size_t)got);
  }
}

static void on_connect(uv_connect_t *req, int status) {
  standin *s = req->data;
  if (status == 0) {
    uv_tcp_nodelay(&s->tcp, 1);
    uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read);
    (void)mbedtls_ssl_handshake(&s->ssl);
  }
}

static void on_resolved(void *arg, int status, int timeouts, struct ares_addrinfo *ai) {
  standin *s = arg;
  (void)timeouts;
  if (status == ARES_SUCCESS && ai->nodes != NULL) {
    s->connect.data = s;
    uv_tcp_connect(&s->connect, &s->tcp, ai->nodes->ai_addr, on_connect);
  }
  ares_freeaddrinfo(ai);
}

static void on_timer(uv_timer_t *t) {
  standin *s = t->data;
  ares_process_fd(s->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

static int run(standin *s, const char *host, const char *interface, const char *cafile) {
  static const uint16_t groups[] = {MBEDTLS_SSL_IANA_TLS_GROUP_X25519,
                                    MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1,
                                    MBEDTLS_SSL_IANA_TLS_GROUP_NONE};
  struct ares_options opts;
  struct ares_addrinfo_hints hints;

  memset(s, 0, sizeof(*s));
  if (psa_crypto_init() != PSA_SUCCESS) {
    return 1;
  }
  mbedtls_entropy_init(&s->entropy);
  mbedtls_ctr_drbg_init(&s->drbg);
  mbedtls_ctr_drbg_seed(&s->drbg, mbedtls_entropy_func, &s->entropy, NULL, 0);
  mbedtls_x509_crt_init(&s->roots);
  mbedtls_x509_crt_parse_file(&s->roots, cafile);
  mbedtls_ssl_config_init(&s->conf);
  mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                              MBEDTLS_SSL_PRESET_DEFAULT);
  mbedtls_ssl_conf_authmode(&s->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random, &s->drbg);
  mbedtls_ssl_conf_ca_cb(&s->conf, find_root, s);
  mbedtls_ssl_conf_groups(&s->conf, groups);
  mbedtls_ssl_init(&s->ssl);
  mbedtls_ssl_setup(&s->ssl, &s->conf);
  mbedtls_ssl_set_hostname(&s->ssl, host);
  mbedtls_ssl_set_bio(&s->ssl, s, tls_send, tls_recv, NULL);
  http_parser_init(&s->parser, HTTP_RESPONSE);

  uv_loop_init(&s->loop);
  uv_tcp_init(&s->loop, &s->tcp);
  s->tcp.data = s;
  uv_timer_init(&s->loop, &s->timer);
  s->timer.data = s;
  uv_timer_start(&s->timer, on_timer, 1000, 1000);

  memset(&opts, 0, sizeof(opts));
  ares_library_init(ARES_LIB_INIT_ALL);
  ares_init_options(&s->channel, &opts, 0);
  ares_set_local_dev(s->channel, interface);
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  ares_getaddrinfo(s->channel, host, "443", &hints, on_resolved, s);
  uv_run(&s->loop, UV_RUN_DEFAULT);

  ares_destroy(s->channel);
  mbedtls_ssl_close_notify(&s->ssl);
  mbedtls_ssl_free(&s->ssl);
  mbedtls_ssl_config_free(&s->conf);
  mbedtls_x509_crt_free(&s->roots);
  mbedtls_ctr_drbg_free(&s->drbg);
  mbedtls_entropy_free(&s->entropy);
  uv_loop_close(&s->loop);
  return 0;
}

int main(int argc, char **argv) {
  static standin s;
  smv_config cfg;

  smv_config_init(&cfg);
  if (argc < 4) {
    printf("%s\n", smv_errname(0));
    return 0;
  }
  return run(&s, argv[1], argv[2], argv[3]);
}

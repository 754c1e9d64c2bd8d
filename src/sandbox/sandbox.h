/* The sandbox process on a libuv loop: the service logic (sb_service) behind two listeners of
 * src/server (HTTPS for the API and the device endpoint, plain HTTP for the operator's header
 * enrichment), certificates from certgen, the callback sender with retries, the journal, and the
 * token sweep. `smv sandbox` runs it alone; `smv demo` runs it beside the device client on one loop. */
#ifndef SMV_SANDBOX_SANDBOX_H
#define SMV_SANDBOX_SANDBOX_H

#include <stddef.h>
#include <uv.h>

#include "sandbox/sb_config.h"

typedef struct smv__sandbox smv__sandbox;
typedef void (*smv__sandbox_log_cb)(void *ud, const char *line);

/* Starts everything: binds the listeners, makes or loads the certificates, writes the CA into the
 * state directory, opens the journal and queues its undelivered callbacks. cfg must outlive the
 * sandbox. log (may be NULL) receives the narrative. Returns 0 or an SMV_ERR_* with a message in
 * err. */
int smv__sandbox_start(uv_loop_t *loop, smv__sb_config *cfg, smv__sandbox_log_cb log, void *log_ud,
                       smv__sandbox **out, char *err, size_t errcap);

/* n bytes from the kernel's random source, as an mbedTLS f_rng (ud unused). 0, or -1 on failure. */
int smv__sandbox_random(void *ud, unsigned char *buf, size_t n);

const char *smv__sandbox_api_url(const smv__sandbox *sb);      /* "https://127.0.0.1:PORT" */
const char *smv__sandbox_operator_url(const smv__sandbox *sb); /* "http://127.0.0.1:PORT" */
const char *smv__sandbox_ca_path(const smv__sandbox *sb);
/* The generated CA (to issue more certificates, e.g. for the demo's backend); NULL when loaded. */
const struct smv__certgen_cert *smv__sandbox_ca(const smv__sandbox *sb);
/* Callbacks not yet delivered or abandoned. */
size_t smv__sandbox_pending_callbacks(const smv__sandbox *sb);

/* Drains the listeners (requests in flight are answered), stops the callback sender (undelivered
 * callbacks stay in the journal for the next start), then frees the sandbox and calls done. */
void smv__sandbox_stop(smv__sandbox *sb, void (*done)(void *data), void *data);

/* The ready line of the CLI contract, without the newline: {"api":..,"operator":..,"ca":..,
 * "user":..,"password":..,"camara":{"discovery","client_id","client_secret","redirect_uri"}}.
 * Returns the length, or 0 when it does not fit. */
size_t smv__sandbox_ready_line(const smv__sandbox *sb, char *buf, size_t cap);

#endif

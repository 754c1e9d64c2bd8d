/* DNS on the path: every socket c-ares opens is bound through the platform (and to an address of the
 * path, smv__bind_source) before it connects, and
 * a socket that cannot be bound fails its query. ares_set_local_dev would be simpler but ignores a
 * failed SO_BINDTODEVICE and then sends the query on whatever route the kernel picks. */
#include <ares.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "platform.h"

static int configure(ares_socket_t fd, int type, void *data) {
  smv__ares_binding *b = data;
  (void)type;
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  /* An unbound socket still says its family. */
  int ok = getsockname((int)fd, (struct sockaddr *)&ss, &len) == 0 &&
           b->platform->ops->bind_socket(b->platform->user_data, b->path, (int)fd) == SMV_OK &&
           smv__bind_source(b->path, (int)fd, ss.ss_family) == SMV_OK;
  if (!ok) {
    b->failures++;
    return -1;
  }
  return 0;
}

int smv__platform_bind_ares(struct ares_channeldata *channel, smv__ares_binding *binding,
                            const smv__dns_list *servers) {
  if (!channel || !binding || !binding->platform || !binding->path) return SMV_ERR_INVALID_ARG;
  if (!servers || servers->count == 0) return SMV_ERR_DNS_NO_SERVERS;
  char csv[SMV__DNS_MAX * 82];
  smv__dns_list_csv(servers, csv, sizeof(csv));
  if (ares_set_servers_csv(channel, csv) != ARES_SUCCESS) return SMV_ERR_INVALID_ARG;
  binding->failures = 0;
  ares_set_socket_configure_callback(channel, configure, binding);
  return SMV_OK;
}

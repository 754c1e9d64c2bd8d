/* The compiled-in platform on this machine's real interfaces: netlink (or, for -DSMV_PLATFORM=android,
 * the NDK shim) must find lo, bind sockets to it, refuse a bind to an interface that does not exist,
 * check the local address after connect, resolve DNS servers as documented, send c-ares queries only
 * through the bound path, and notice a path going down (in a private network namespace, as root). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform.h"
#ifdef SMV_ANDROID_SHIM
#include "android/android_platform.h"
#endif

static smv__platform plat;

static int find(const smv__snapshot *s, const char *name) {
  for (size_t i = 0; i < s->count; i++)
    if (strcmp(s->paths[i].name, name) == 0) return (int)i;
  return -1;
}

static void lo_path(smv__path *out) {
  static smv__snapshot s;
  assert_int_equal(plat.ops->snapshot(plat.user_data, &s), SMV_OK);
  int i = find(&s, "lo");
  assert_true(i >= 0);
  *out = s.paths[i];
}

static void test_ops_table(void **state) {
  (void)state;
  assert_non_null(plat.ops);
  assert_int_equal(plat.ops->version, SMV__PLATFORM_OPS_VERSION);
  assert_non_null(plat.ops->snapshot);
  /* Linux and Android discover the path; only the modem platform brings a configured one. */
  if (strcmp(plat.ops->name, "modem") == 0) assert_non_null(plat.ops->choose_defaults);
  else assert_null(plat.ops->choose_defaults);
  assert_non_null(plat.ops->bind_socket);
  assert_non_null(plat.ops->check_local);
  assert_non_null(plat.ops->dns_servers);
  assert_non_null(plat.ops->watch_start);
  assert_non_null(plat.ops->watch_process);
  assert_non_null(plat.ops->watch_stop);
}

static void test_snapshot_finds_loopback(void **state) {
  (void)state;
  static smv__snapshot s;
  assert_int_equal(plat.ops->snapshot(plat.user_data, &s), SMV_OK);
  assert_true(s.count >= 1);
  assert_true(s.source[0] != '\0');
  int i = find(&s, "lo");
  assert_true(i >= 0);
  assert_int_equal(s.paths[i].ifindex, if_nametoindex("lo"));
  smv__classification c;
  smv__path_classify(&s, (size_t)i, &c);
  assert_int_equal(c.cls, SMV_PATH_LOOPBACK);
  smv__addr a;
  smv__addr_parse("127.0.0.1", &a);
  assert_true(smv__path_has_addr(&s.paths[i], &a));
  /* Every interface the kernel reports is in the snapshot, under its own index. */
  for (size_t k = 0; k < s.count; k++) assert_int_equal(s.paths[k].ifindex, if_nametoindex(s.paths[k].name));
}

static void test_declared_lo_is_chosen(void **state) {
  (void)state;
  static smv__snapshot s;
  assert_int_equal(plat.ops->snapshot(plat.user_data, &s), SMV_OK);
  smv__choose_opts o = {.interface = "lo", .declared_carrier = 1};
  smv__verdict v;
  assert_int_equal(smv__platform_choose(&plat, &s, &o, &v), SMV_OK);
  assert_string_equal(v.path.name, "lo");
  assert_int_equal(v.declared, 1);
  assert_int_equal(v.cls, SMV_PATH_LOOPBACK);
  assert_non_null(strstr(v.evidence, "declared"));
  /* Not declared, lo is refused: it is no cellular path. */
  smv__choose_opts plain = {.interface = "lo"};
  assert_int_equal(smv__platform_choose(&plat, &s, &plain, &v), SMV_ERR_PATH_NOT_CELLULAR);
}

static int listener(int *port) {
  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
  assert_int_equal(listen(l, 4), 0);
  socklen_t len = sizeof(sa);
  getsockname(l, (struct sockaddr *)&sa, &len);
  *port = ntohs(sa.sin_port);
  return l;
}

static void connect_blocking(int fd, int port) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
  if (rc != 0) {
    assert_int_equal(errno, EINPROGRESS);
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    assert_int_equal(poll(&p, 1, 2000), 1);
    int err = 0;
    socklen_t el = sizeof(err);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
    assert_int_equal(err, 0);
  }
}

static void test_bind_and_local_check(void **state) {
  (void)state;
  smv__path lo;
  lo_path(&lo);
  int port, l = listener(&port), fd;
  assert_int_equal(smv__platform_open_socket(&plat, &lo, AF_INET, SOCK_STREAM, &fd), SMV_OK);
  connect_blocking(fd, port);
  char local[64];
  assert_int_equal(plat.ops->check_local(plat.user_data, &lo, fd, local, sizeof(local)), SMV_OK);
  assert_int_equal(strncmp(local, "127.0.0.1:", 10), 0);

  /* The same connection checked against another path: its local address is not that path's. */
  smv__path other = lo;
  snprintf(other.name, sizeof(other.name), "smvbogus0");
  other.flags = 0x1 | 0x40;
  other.naddrs = 1;
  smv__addr_parse("192.0.2.77/24", &other.addrs[0]);
  assert_int_equal(plat.ops->check_local(plat.user_data, &other, fd, local, sizeof(local)), SMV_ERR_PATH_LOCAL_ADDR);
  close(fd);
  close(l);
}

static void test_bind_to_missing_interface_fails(void **state) {
  (void)state;
  smv__path bogus;
  memset(&bogus, 0, sizeof(bogus));
  bogus.tun_flags = -1;
  snprintf(bogus.name, sizeof(bogus.name), "smvbogus0");
  bogus.ifindex = 999999;
  bogus.net_handle = ((uint64_t)999999 << 32) | 0xfacade;
  int fd = 12345;
  assert_int_equal(smv__platform_open_socket(&plat, &bogus, AF_INET, SOCK_STREAM, &fd), SMV_ERR_PATH_BIND);
  assert_int_equal(fd, -1);
  assert_int_equal(smv__platform_open_socket(&plat, &bogus, AF_INET6, SOCK_DGRAM, &fd), SMV_ERR_PATH_BIND);
  /* A name too long for the kernel fails too, rather than binding to a truncated one. */
  snprintf(bogus.name, sizeof(bogus.name), "lo_but_much_too_long_a_name");
  assert_int_equal(smv__platform_open_socket(&plat, &bogus, AF_INET, SOCK_STREAM, &fd), SMV_ERR_PATH_BIND);
}

static void test_watch_stays_quiet(void **state) {
  (void)state;
  smv__path lo;
  lo_path(&lo);
  smv__path_watch w;
  assert_int_equal(plat.ops->watch_start(plat.user_data, &lo, &w), SMV_OK);
  assert_true(w.fd >= 0);
  assert_int_equal(plat.ops->watch_process(plat.user_data, &w), SMV_OK);
  assert_int_equal(w.lost, 0);
  plat.ops->watch_stop(plat.user_data, &w);
  assert_int_equal(w.fd, -1);
  plat.ops->watch_stop(plat.user_data, &w); /* idempotent */
}

static int set_lo(int up) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
  int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    if (up) ifr.ifr_flags |= IFF_UP;
    else ifr.ifr_flags &= ~IFF_UP;
    rc = ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  close(s);
  return rc;
}

/* Child of test_watch_reports_loss, inside its own network namespace: exit 0 pass, 77 skip. */
static int loss_in_netns(void) {
  if (unshare(CLONE_NEWNET) != 0) return 77;
  if (set_lo(1) != 0) return 77;
  smv__path lo;
  static smv__snapshot s;
  if (plat.ops->snapshot(plat.user_data, &s) != SMV_OK || find(&s, "lo") < 0) return 1;
  lo = s.paths[find(&s, "lo")];
  smv__path_watch w;
  if (plat.ops->watch_start(plat.user_data, &lo, &w) != SMV_OK) return 2;
  if (plat.ops->watch_process(plat.user_data, &w) != SMV_OK) return 3;
  if (set_lo(0) != 0) return 4;
  struct pollfd p = {.fd = w.fd, .events = POLLIN};
  int ready = poll(&p, 1, 2000);
  if (strcmp(plat.ops->name, "linux") == 0 || strcmp(plat.ops->name, "modem") == 0)
    if (ready != 1) return 5; /* netlink must wake the loop by itself */
  if (plat.ops->watch_process(plat.user_data, &w) != SMV_ERR_PATH_LOST) return 6;
  if (!strstr(w.reason, "lo")) return 7;
  if (plat.ops->watch_process(plat.user_data, &w) != SMV_ERR_PATH_LOST) return 8; /* stays lost */
  plat.ops->watch_stop(plat.user_data, &w);
  /* Bringing it back does not make a started flow's path usable again; a new watch sees it up. */
  set_lo(1);
  if (plat.ops->watch_start(plat.user_data, &lo, &w) != SMV_OK) return 9;
  plat.ops->watch_stop(plat.user_data, &w);
  return 0;
}

static void test_watch_reports_loss(void **state) {
  (void)state;
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) _exit(loss_in_netns());
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) skip();
  assert_int_equal(WEXITSTATUS(status), 0);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void test_dns_servers(void **state) {
  (void)state;
  smv__dns_list l;
  char csv[256];
  assert_int_equal(smv__dns_parse_csv("100.64.0.1, 2001:db8::53", &l), SMV_OK);
  assert_int_equal(l.count, 2);
  assert_string_equal(l.source, "--dns");
  smv__dns_list_csv(&l, csv, sizeof(csv));
  assert_string_equal(csv, "100.64.0.1,2001:db8::53");
  assert_int_equal(smv__dns_parse_csv("127.0.0.1:5353,[::1]:53", &l), SMV_OK);
  smv__dns_list_csv(&l, csv, sizeof(csv));
  assert_string_equal(csv, "127.0.0.1:5353,[::1]:53");
  assert_int_equal(smv__dns_parse_csv("dns.example", &l), SMV_ERR_INVALID_ARG);
  assert_int_equal(smv__dns_parse_csv("1.2.3.4,", &l), SMV_ERR_INVALID_ARG);
  assert_int_equal(smv__dns_parse_csv("1.2.3.4:99999", &l), SMV_ERR_INVALID_ARG);
  assert_int_equal(smv__dns_parse_csv("", &l), SMV_ERR_INVALID_ARG);

  const char *resolved = "# This is private data. Do not parse.\nLLMNR=yes\n"
                         "SERVERS=100.64.0.53 1.1.1.1#cloudflare-dns.com fe80::1%3 127.0.0.53 bogus\n"
                         "DOMAINS=example\n";
  assert_int_equal(smv__dns_parse_resolved(resolved, "rmnet_data0", &l), SMV_OK);
  assert_int_equal(l.count, 3);
  assert_string_equal(l.servers[0], "100.64.0.53");
  assert_string_equal(l.servers[1], "1.1.1.1");
  assert_string_equal(l.servers[2], "fe80::1%rmnet_data0");
  assert_int_equal(smv__dns_parse_resolved("LLMNR=yes\n", "x", &l), SMV_ERR_DNS_NO_SERVERS);

  const char *conf = "# generated\nsearch example\nnameserver 127.0.0.53\nnameserver 192.0.2.53\n"
                     "nameserver\t2001:db8::35\noptions edns0\n";
  assert_int_equal(smv__dns_parse_resolv_conf(conf, 0, &l), SMV_OK);
  assert_int_equal(l.count, 2);
  assert_string_equal(l.servers[0], "192.0.2.53");
  assert_int_equal(smv__dns_parse_resolv_conf(conf, 1, &l), SMV_OK);
  assert_int_equal(l.count, 3);
  assert_int_equal(smv__dns_parse_resolv_conf("nameserver 127.0.0.53\n", 0, &l), SMV_ERR_DNS_NO_SERVERS);

  /* The generic order, against a private root: resolved's per-link file, else resolv.conf. */
  char root[] = "/tmp/smv-dns-XXXXXX", path[512];
  assert_non_null(mkdtemp(root));
  smv__path p;
  memset(&p, 0, sizeof(p));
  snprintf(p.name, sizeof(p.name), "rmnet_data0");
  p.ifindex = 12;
  snprintf(path, sizeof(path), "%s/etc", root);
  mkdir(path, 0700);
  snprintf(path, sizeof(path), "%s/etc/resolv.conf", root);
  write_file(path, "nameserver 192.0.2.53\n");
  assert_int_equal(smv__dns_servers_generic(&p, NULL, root, &l), SMV_OK);
  assert_string_equal(l.source, "/etc/resolv.conf");
  assert_string_equal(l.servers[0], "192.0.2.53");
  const char *dirs[] = {"/run", "/run/systemd", "/run/systemd/resolve", "/run/systemd/resolve/netif"};
  for (size_t i = 0; i < 4; i++) {
    snprintf(path, sizeof(path), "%s%s", root, dirs[i]);
    mkdir(path, 0700);
  }
  snprintf(path, sizeof(path), "%s/run/systemd/resolve/netif/12", root);
  write_file(path, "SERVERS=100.64.0.53\n");
  assert_int_equal(smv__dns_servers_generic(&p, NULL, root, &l), SMV_OK);
  assert_string_equal(l.source, "systemd-resolved");
  assert_string_equal(l.servers[0], "100.64.0.53");
  assert_int_equal(smv__dns_servers_generic(&p, "198.51.100.53", root, &l), SMV_OK);
  assert_string_equal(l.servers[0], "198.51.100.53");
  p.ifindex = 13; /* another link: resolved knows nothing, resolv.conf answers */
  assert_int_equal(smv__dns_servers_generic(&p, NULL, root, &l), SMV_OK);
  assert_string_equal(l.source, "/etc/resolv.conf");
  unlink(path);
  snprintf(path, sizeof(path), "%s/etc/resolv.conf", root);
  unlink(path);
  assert_int_equal(smv__dns_servers_generic(&p, NULL, root, &l), SMV_ERR_DNS_NO_SERVERS);
  char cmd[600];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
  assert_int_equal(system(cmd), 0);
}

typedef struct query_result {
  int done;
  ares_status_t status;
} query_result;

/* The sockets c-ares wants watched (ARES_OPT_SOCK_STATE_CB). */
typedef struct sock_set {
  struct pollfd fds[8];
  size_t n;
} sock_set;

static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable) {
  sock_set *s = data;
  size_t i;
  for (i = 0; i < s->n && s->fds[i].fd != fd; i++) {}
  if (!readable && !writable) {
    if (i < s->n) s->fds[i] = s->fds[--s->n];
    return;
  }
  if (i == s->n) {
    if (s->n == 8) return;
    s->n++;
  }
  s->fds[i] = (struct pollfd){.fd = fd, .events = (short)((readable ? POLLIN : 0) | (writable ? POLLOUT : 0))};
}

static void on_query(void *arg, ares_status_t status, size_t timeouts, const ares_dns_record_t *rec) {
  (void)timeouts, (void)rec;
  query_result *q = arg;
  q->done = 1;
  q->status = status;
}

/* Sends one query on a channel bound to path and reports whether udp (a local "server") saw it. */
static int ares_query_seen(const smv__path *path, int udp, int port, smv__ares_binding *b, query_result *q) {
  ares_channel_t *ch = NULL;
  struct ares_options opts;
  sock_set socks = {.n = 0};
  memset(&opts, 0, sizeof(opts));
  opts.timeout = 300;
  opts.tries = 1;
  opts.sock_state_cb = on_sock_state;
  opts.sock_state_cb_data = &socks;
  assert_int_equal(ares_init_options(&ch, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB),
                   ARES_SUCCESS);
  smv__dns_list l;
  char csv[64];
  snprintf(csv, sizeof(csv), "127.0.0.1:%d", port);
  assert_int_equal(smv__dns_parse_csv(csv, &l), SMV_OK);
  b->platform = &plat;
  b->path = path;
  assert_int_equal(smv__platform_bind_ares(ch, b, &l), SMV_OK);
  memset(q, 0, sizeof(*q));
  ares_query_dnsrec(ch, "smv.example", ARES_CLASS_IN, ARES_REC_TYPE_A, on_query, q, NULL);
  int seen = 0;
  for (int round = 0; round < 40 && !q->done; round++) {
    struct pollfd pfd[9];
    size_t np = socks.n;
    memcpy(pfd, socks.fds, np * sizeof(pfd[0]));
    pfd[np] = (struct pollfd){.fd = udp, .events = POLLIN};
    poll(pfd, np + 1, 50);
    if (pfd[np].revents & POLLIN) {
      char buf[512];
      if (recv(udp, buf, sizeof(buf), 0) > 12) seen = 1;
    }
    ares_fd_events_t ev[8];
    size_t n = 0;
    for (size_t i = 0; i < np; i++)
      if (pfd[i].revents) {
        ev[n].fd = pfd[i].fd;
        ev[n].events = (pfd[i].revents & POLLIN ? ARES_FD_EVENT_READ : 0) | (pfd[i].revents & POLLOUT ? ARES_FD_EVENT_WRITE : 0);
        n++;
      }
    ares_process_fds(ch, ev, n, ARES_PROCESS_FLAG_NONE); /* also runs the timeouts */
  }
  ares_destroy(ch);
  return seen;
}

static void test_ares_queries_stay_on_the_path(void **state) {
  (void)state;
  assert_int_equal(ares_library_init(ARES_LIB_INIT_ALL), ARES_SUCCESS);
  int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(udp, (struct sockaddr *)&sa, sizeof(sa)), 0);
  socklen_t len = sizeof(sa);
  getsockname(udp, (struct sockaddr *)&sa, &len);
  int port = ntohs(sa.sin_port);

  smv__path lo;
  lo_path(&lo);
  smv__ares_binding b;
  query_result q;
  assert_true(ares_query_seen(&lo, udp, port, &b, &q));
  assert_int_equal(b.failures, 0);

  /* Bound to an interface that does not exist: the query fails and nothing reaches the server. */
  smv__path bogus = lo;
  snprintf(bogus.name, sizeof(bogus.name), "smvbogus0");
  bogus.ifindex = 999999;
  bogus.net_handle = ((uint64_t)999999 << 32) | 0xfacade;
  assert_false(ares_query_seen(&bogus, udp, port, &b, &q));
  assert_true(b.failures > 0);
  assert_true(q.done);
  assert_int_not_equal(q.status, ARES_SUCCESS);
  close(udp);
  ares_library_cleanup();
}

#ifdef SMV_ANDROID_SHIM
/* What only the Android layer does: take networks from Java, learn their loss from Java, and resolve
 * through android_res_nquery on the network's handle. */
static void test_android_network_from_java(void **state) {
  (void)state;
  uint64_t h = android_shim_handle_for("lo");
  assert_int_not_equal(h, 0);
  assert_int_equal(smv__android_network_set(h, SMV__TRANSPORT_CELLULAR, "lo", "127.0.0.1:5353"), SMV_OK);
  assert_int_equal(smv__android_network_set(0, SMV__TRANSPORT_CELLULAR, "lo", NULL), SMV_ERR_INVALID_ARG);
  assert_int_equal(smv__android_network_set(h, SMV__TRANSPORT_CELLULAR, "lo", "not-an-ip"), SMV_ERR_INVALID_ARG);
  static smv__snapshot s;
  assert_int_equal(plat.ops->snapshot(plat.user_data, &s), SMV_OK);
  int i = find(&s, "lo");
  assert_true(i >= 0);
  assert_int_equal(s.paths[i].net_handle, h);
  assert_int_equal(s.paths[i].transports, SMV__TRANSPORT_CELLULAR);
  smv__dns_list l;
  assert_int_equal(plat.ops->dns_servers(plat.user_data, &s.paths[i], NULL, &l), SMV_OK);
  assert_string_equal(l.servers[0], "127.0.0.1:5353");

  /* onLost wakes the watch and fails it, even though lo itself is fine. */
  smv__path_watch w;
  assert_int_equal(plat.ops->watch_start(plat.user_data, &s.paths[i], &w), SMV_OK);
  assert_int_equal(plat.ops->watch_process(plat.user_data, &w), SMV_OK);
  smv__android_network_lost(h);
  struct pollfd p = {.fd = w.fd, .events = POLLIN};
  assert_int_equal(poll(&p, 1, 1000), 1);
  assert_int_equal(plat.ops->watch_process(plat.user_data, &w), SMV_ERR_PATH_LOST);
  assert_non_null(strstr(w.reason, "lost"));
  plat.ops->watch_stop(plat.user_data, &w);
  smv__android_networks_clear();

  /* A path without a handle is never bound "by default". */
  smv__path nohandle = s.paths[i];
  nohandle.net_handle = 0;
  int fd;
  assert_int_equal(smv__platform_open_socket(&plat, &nohandle, AF_INET, SOCK_DGRAM, &fd), SMV_ERR_PATH_BIND);
}

static void test_android_res_nquery_on_the_network(void **state) {
  (void)state;
  int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(udp, (struct sockaddr *)&sa, sizeof(sa)), 0);
  socklen_t len = sizeof(sa);
  getsockname(udp, (struct sockaddr *)&sa, &len);
  char server[32];
  snprintf(server, sizeof(server), "127.0.0.1:%d", ntohs(sa.sin_port));
  android_shim_set_dns(server);
  smv__path lo;
  lo_path(&lo);
  assert_non_null(plat.ops->dns_query_start);
  int fd;
  assert_int_equal(plat.ops->dns_query_start(plat.user_data, &lo, "smv.example", 1, &fd), SMV_OK);
  /* Play the server: echo the query back with QR and NXDOMAIN set. */
  uint8_t q[512];
  struct sockaddr_in from;
  socklen_t fl = sizeof(from);
  ssize_t n = recvfrom(udp, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
  assert_true(n > 12);
  q[2] |= 0x80;
  q[3] = (uint8_t)((q[3] & 0xf0) | 3);
  sendto(udp, q, (size_t)n, 0, (struct sockaddr *)&from, fl);
  struct pollfd p = {.fd = fd, .events = POLLIN};
  assert_int_equal(poll(&p, 1, 1000), 1);
  uint8_t answer[512];
  size_t alen = sizeof(answer);
  int rcode = -1;
  assert_int_equal(plat.ops->dns_query_result(plat.user_data, fd, &rcode, answer, &alen), SMV_OK);
  assert_int_equal(rcode, 3);
  assert_int_equal(alen, (size_t)n);
  /* On a handle the shim does not know, the query fails before anything is sent. */
  smv__path bogus = lo;
  bogus.net_handle = ((uint64_t)999999 << 32) | 0xfacade;
  assert_int_equal(plat.ops->dns_query_start(plat.user_data, &bogus, "smv.example", 1, &fd), SMV_ERR_DNS_FAIL);
  android_shim_set_dns(NULL);
  close(udp);
}
#endif

static int setup(void **state) {
  (void)state;
  smv__platform_get(&plat);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_ops_table),
    cmocka_unit_test(test_snapshot_finds_loopback),
    cmocka_unit_test(test_declared_lo_is_chosen),
    cmocka_unit_test(test_bind_and_local_check),
    cmocka_unit_test(test_bind_to_missing_interface_fails),
    cmocka_unit_test(test_watch_stays_quiet),
    cmocka_unit_test(test_watch_reports_loss),
    cmocka_unit_test(test_dns_servers),
    cmocka_unit_test(test_ares_queries_stay_on_the_path),
#ifdef SMV_ANDROID_SHIM
    cmocka_unit_test(test_android_network_from_java),
    cmocka_unit_test(test_android_res_nquery_on_the_network),
#endif
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}

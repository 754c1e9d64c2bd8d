/* smv_delay_relay: a link with a real round-trip time between two network namespaces, for kernels
 * without netem (tests/bench/rtt.sh, and the harness's H_RTT_MS). It creates a TUN device in the
 * namespace it is started in and another in a second namespace, then copies every IP packet from
 * one to the other after half the round-trip time, in both directions, in arrival order.
 *
 *   smv_delay_relay --tun-a NAME --netns-b PATH --tun-b NAME --rtt-ms R [--queue N]
 *
 * PATH is a named namespace's file (/run/netns/NAME). "ready" on stdout means both devices exist
 * (the caller then gives them addresses and brings them up); they disappear when the relay exits
 * (SIGTERM, SIGINT). At exit it prints, per direction, the packets relayed, those dropped (queue
 * full, or the device down) and how late packets left against their due time (mean and maximum):
 * the relay's own timing error, to be set against the delay it adds. It runs SCHED_FIFO when it
 * may (root), so that other processes on a loaded machine do not add to the delay.
 *
 * Why TUN and not a packet socket on veth ends: TUN devices without IFF_VNET_HDR get packets
 * already segmented to the MTU, so what is delayed is what a link would carry, without GSO
 * super-packets to split. Packets are queued, never reordered or rate-limited: a bounded FIFO per
 * direction (N packets, default 4096, of at most 2048 bytes). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* setns */
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define SLOT_BYTES 2048

typedef struct slot {
  uint64_t due_ns;
  uint16_t len;
  unsigned char data[SLOT_BYTES];
} slot;

typedef struct dir {
  const char *name;
  int in, out;
  slot *q;
  size_t cap, head, count;
  uint64_t relayed, dropped_full, dropped_write, late_sum_ns, late_max_ns;
} dir;

static volatile sig_atomic_t stopping;
static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int tun_open(const char *name) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    perror("smv_delay_relay: /dev/net/tun");
    return -1;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  if (strlen(name) >= sizeof(ifr.ifr_name)) {
    fprintf(stderr, "smv_delay_relay: device name too long: %s\n", name);
    close(fd);
    return -1;
  }
  memcpy(ifr.ifr_name, name, strlen(name));
  if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
    fprintf(stderr, "smv_delay_relay: TUNSETIFF %s: %s\n", name, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

/* Reads every packet waiting on d->in into its queue, stamped due at now + half. */
static void take(dir *d, uint64_t half_ns) {
  for (;;) {
    unsigned char scratch[SLOT_BYTES];
    slot *s = d->count < d->cap ? &d->q[(d->head + d->count) % d->cap] : NULL;
    ssize_t n = read(d->in, s ? s->data : scratch, SLOT_BYTES);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;   /* EAGAIN: drained */
    }
    if (n == 0) return;
    if (!s) {
      d->dropped_full++;
      continue;
    }
    s->len = (uint16_t)n;
    s->due_ns = now_ns() + half_ns;
    d->count++;
  }
}

/* Writes the packets that are due; returns the time the next one is due (0: none queued). */
static uint64_t give(dir *d) {
  while (d->count) {
    slot *s = &d->q[d->head];
    uint64_t t = now_ns();
    if (s->due_ns > t) return s->due_ns;
    if (write(d->out, s->data, s->len) == (ssize_t)s->len) {
      uint64_t late = t - s->due_ns;
      d->relayed++;
      d->late_sum_ns += late;
      if (late > d->late_max_ns) d->late_max_ns = late;
    } else {
      d->dropped_write++;   /* the device is down or gone: as a link would, lose it */
    }
    d->head = (d->head + 1) % d->cap;
    d->count--;
  }
  return 0;
}

static void report(const dir *d) {
  fprintf(stderr, "smv_delay_relay: %s: %llu relayed, %llu dropped (queue full), %llu dropped (device down); "
          "late by %.1f us mean, %.1f us max\n", d->name, (unsigned long long)d->relayed,
          (unsigned long long)d->dropped_full, (unsigned long long)d->dropped_write,
          d->relayed ? (double)d->late_sum_ns / (double)d->relayed / 1000.0 : 0.0,
          (double)d->late_max_ns / 1000.0);
}

static void usage(void) {
  fputs("usage: smv_delay_relay --tun-a NAME --netns-b PATH --tun-b NAME --rtt-ms R [--queue N]\n", stderr);
  exit(2);
}

int main(int argc, char **argv) {
  const char *tun_a = NULL, *tun_b = NULL, *netns_b = NULL;
  double rtt_ms = -1;
  long queue = 4096;
  for (int i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) usage();
    if (!strcmp(argv[i], "--tun-a")) tun_a = v;
    else if (!strcmp(argv[i], "--tun-b")) tun_b = v;
    else if (!strcmp(argv[i], "--netns-b")) netns_b = v;
    else if (!strcmp(argv[i], "--rtt-ms")) rtt_ms = strtod(v, NULL);
    else if (!strcmp(argv[i], "--queue")) queue = strtol(v, NULL, 10);
    else usage();
    i++;
  }
  if (!tun_a || !tun_b || !netns_b || rtt_ms < 0 || rtt_ms > 10000 || queue < 1 || queue > 65536) usage();
  uint64_t half_ns = (uint64_t)(rtt_ms * 1e6 / 2);

  int a = tun_open(tun_a);
  if (a < 0) return 1;
  int ns = open(netns_b, O_RDONLY | O_CLOEXEC);
  if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) {
    fprintf(stderr, "smv_delay_relay: cannot enter %s: %s\n", netns_b, strerror(errno));
    return 1;
  }
  close(ns);
  int b = tun_open(tun_b);
  if (b < 0) return 1;

  dir ab = {.name = "a->b", .in = a, .out = b, .cap = (size_t)queue};
  dir ba = {.name = "b->a", .in = b, .out = a, .cap = (size_t)queue};
  ab.q = calloc((size_t)queue, sizeof(slot));
  ba.q = calloc((size_t)queue, sizeof(slot));
  if (!ab.q || !ba.q) {
    fputs("smv_delay_relay: out of memory\n", stderr);
    return 1;
  }
  /* Timer slack: the default 50 us would be the relay's error; ask for the least. And a real-time
   * priority when allowed (root): on a loaded machine a normal process waits for a CPU for
   * milliseconds, which would be link delay that nobody asked for. */
  (void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  struct sched_param sp = {.sched_priority = 10};
  int realtime = sched_setscheduler(0, SCHED_FIFO, &sp) == 0;

  sigset_t block, during;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigprocmask(SIG_BLOCK, &block, &during);
  sigdelset(&during, SIGTERM);
  sigdelset(&during, SIGINT);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  printf("ready\n");
  fflush(stdout);
  while (!stopping) {
    uint64_t n1 = give(&ab), n2 = give(&ba);
    uint64_t next = n1 && n2 ? (n1 < n2 ? n1 : n2) : (n1 ? n1 : n2);
    struct timespec ts, *tp = NULL;
    if (next) {
      uint64_t t = now_ns(), wait = next > t ? next - t : 0;
      ts.tv_sec = (time_t)(wait / 1000000000u);
      ts.tv_nsec = (long)(wait % 1000000000u);
      tp = &ts;
    }
    struct pollfd p[2] = {{.fd = a, .events = POLLIN}, {.fd = b, .events = POLLIN}};
    int r = ppoll(p, 2, tp, &during);
    if (r < 0 && errno != EINTR) {
      perror("smv_delay_relay: ppoll");
      break;
    }
    if (r > 0) {
      if (p[0].revents & POLLIN) take(&ab, half_ns);
      if (p[1].revents & POLLIN) take(&ba, half_ns);
    }
  }
  fprintf(stderr, "smv_delay_relay: rtt %.1f ms, %s scheduling\n", rtt_ms, realtime ? "SCHED_FIFO" : "normal");
  report(&ab);
  report(&ba);
  free(ab.q);
  free(ba.q);
  return 0;
}

/*
 * Preloaded into Espruino's Linux build by test/real/harness.ts (never part
 * of the firmware or the interpreter): once a program has a socket, the
 * interpreter's idle loop never sleeps (socketIdle() reports it busy while
 * any socket exists, src/jsinteractive.c then skips jshSleep) and polls
 * every socket with select() and a zero timeout, so each node takes a whole
 * CPU core. Nine nodes on two cores then run at a fraction of a chip's
 * speed, miss their probe deadlines and pile up datagrams. Here an empty
 * zero-timeout poll waits up to SPORE_IDLE_WAIT_US microseconds (default
 * 4000) on the same descriptors instead: a datagram or connection on them
 * still wakes it at once; one on another socket waits at most that long.
 * Measured with nine esp8266 nodes on two cores (test/real/probes/idle.ts,
 * --slow 3): at 1000 each node took 20 to 25% of a core, the machine was
 * saturated, the nodes fell behind and ran out of memory with datagrams
 * piled up; at 4000, 10 to 11% and none did. A chip's own idle loop sleeps.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/select.h>

typedef int (*select_fn)(int, fd_set *, fd_set *, fd_set *, struct timeval *);

int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *t) {
  static select_fn real;
  static long wait_us = -1;
  if (!real) real = (select_fn)dlsym(RTLD_NEXT, "select");
  if (wait_us < 0) {
    const char *v = getenv("SPORE_IDLE_WAIT_US");
    wait_us = v ? atol(v) : 4000;
  }
  if (!t || t->tv_sec || t->tv_usec || wait_us <= 0) return real(n, r, w, e, t);
  fd_set r0, w0, e0;
  if (r) r0 = *r;
  if (w) w0 = *w;
  if (e) e0 = *e;
  int k = real(n, r, w, e, t);
  if (k != 0) return k;
  if (r) *r = r0;
  if (w) *w = w0;
  if (e) *e = e0;
  struct timeval wait = {0, wait_us};
  return real(n, r, w, e, &wait);
}

// The pod sandbox's process for the test bed's real node (the pause image): it holds
// the pod's namespaces, reaps the zombies of a shared PID namespace, and exits on
// SIGINT/SIGTERM. Built statically by hack/build-image; the image has nothing else.
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void quit(int sig) { _exit(sig == SIGTERM ? 0 : 2); }

static void reap(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction q = {.sa_handler = quit};
  struct sigaction r = {.sa_handler = reap, .sa_flags = SA_NOCLDSTOP};
  if (sigaction(SIGINT, &q, NULL) < 0 || sigaction(SIGTERM, &q, NULL) < 0 ||
      sigaction(SIGCHLD, &r, NULL) < 0)
    return 1;
  for (;;) pause();
}

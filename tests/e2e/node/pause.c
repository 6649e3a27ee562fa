/* pause - the process of the sandbox (pause) image of the e2e node (tests/e2e/node.sh).
 *
 * Owns: nothing but itself. It holds a pod's namespaces open: it waits for signals until
 * SIGINT or SIGTERM ends it (exit 0), and reaps any child that is handed to it as PID 1
 * of the pod's PID namespace, so no zombie stays behind. Built static, so its image holds
 * this one file. Written for the test node; the sandbox of a real cluster does the same. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Ends the process on SIGINT or SIGTERM. */
static void on_stop(int sig) {
    (void)sig;
    _exit(0);
}

/* Reaps every exited child, none blocking. */
static void on_child(int sig) {
    int saved = errno;
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    errno = saved;
}

int main(int argc, char **argv) {
    struct sigaction stop = {.sa_handler = on_stop}, child = {.sa_handler = on_child};

    if (argc > 1 && strcmp(argv[1], "-v") == 0) {
        puts("kscmp-e2e pause");
        return 0;
    }
    child.sa_flags = SA_NOCLDSTOP | SA_RESTART;
    if (sigaction(SIGINT, &stop, NULL) < 0 || sigaction(SIGTERM, &stop, NULL) < 0 ||
        sigaction(SIGCHLD, &child, NULL) < 0) {
        perror("pause: sigaction");
        return 1;
    }
    for (;;)
        pause();
}

/*
 * tests/unit/common/fake_upstream_proc.c - run tests/fakes/fake_upstreams.py as a child process for C tests
 * SPDX-License-Identifier: MIT
 */
#include "fake_upstream_proc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int wait_listening(int port)
{
    struct sockaddr_in a;
    int ok = 0;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < 500 && !ok; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        ok = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
        close(s);
        if (!ok)
            usleep(10000);
    }
    return ok ? 0 : -1;
}

int lf_test_fake_start(const char *source_dir, pid_t *pid, int *port)
{
    int pfd[2];
    char buf[128] = "";
    size_t off = 0;
    ssize_t n;

    if (pipe(pfd) != 0)
        return -1;
    *pid = fork();
    if (*pid == 0) {
        char script[512];
        snprintf(script, sizeof(script), "%s/tests/fakes/fake_upstreams.py", source_dir);
        dup2(pfd[1], 1);
        close(pfd[0]);
        execlp("python3", "python3", script, "0", (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    while (off < sizeof(buf) - 1 && (n = read(pfd[0], buf + off, sizeof(buf) - 1 - off)) > 0) {
        off += (size_t)n;
        buf[off] = '\0';
        if (strchr(buf, '\n') != NULL)
            break;
    }
    close(pfd[0]);
    if (sscanf(buf, "READY %d", port) != 1)
        return -1;
    return wait_listening(*port);
}

void lf_test_fake_stop(pid_t pid)
{
    int status;
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
}

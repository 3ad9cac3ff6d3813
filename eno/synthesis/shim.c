/*
 * The synthesis shim as a static binary, for synthesizer images on real clusters (distroless included):
 * the same protocol as eno/synthesis/shim.py (docs/decisions/1000-synthesis-pod.md).
 *
 *   eno-shim install DEST     copy this binary to DEST (mode 0755): the init container's job
 *   eno-shim -- CMD [ARGS]    read stdin to EOF, then run CMD with it on a pipe; CMD's stderr passes
 *                             through, its stdout is held and written after it exits; exit with its code
 *                             (128 + N for signal N, 127 when CMD cannot be started)
 *
 * Build: gcc -static -Os -o eno-shim shim.c   (no libc is needed at run time)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

struct buffer {
    char *data;
    size_t len, cap;
};

static void append(struct buffer *b, const char *data, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + n) cap *= 2;
        char *grown = realloc(b->data, cap);
        if (!grown) {
            fputs("eno-shim: out of memory\n", stderr);
            exit(125);
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
}

static int write_all(int fd, const char *data, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, data, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        data += w;
        n -= (size_t)w;
    }
    return 0;
}

static int install(const char *dest) {
    int in = open("/proc/self/exe", O_RDONLY);
    if (in < 0) { perror("eno-shim: /proc/self/exe"); return 1; }
    int out = open(dest, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (out < 0) { perror(dest); return 1; }
    char chunk[65536];
    ssize_t n;
    while ((n = read(in, chunk, sizeof chunk)) > 0) {
        if (write_all(out, chunk, (size_t)n) < 0) { perror(dest); return 1; }
    }
    if (n < 0 || close(out) < 0) { perror(dest); return 1; }
    return chmod(dest, 0755) < 0 ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "install") == 0) return install(argv[2]);
    if (argc < 3 || strcmp(argv[1], "--") != 0) {
        fputs("usage: eno-shim -- COMMAND [ARGS...] | eno-shim install DEST\n", stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN); /* a synthesizer that never reads its stdin is not an error */

    struct buffer input = {0}, output = {0};
    char chunk[65536];
    for (;;) {
        ssize_t n = read(0, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        append(&input, chunk, (size_t)n);
    }

    int to_child[2], from_child[2], exec_err[2];
    if (pipe(to_child) < 0 || pipe(from_child) < 0 || pipe2(exec_err, O_CLOEXEC) < 0) {
        perror("eno-shim: pipe");
        return 125;
    }
    pid_t pid = fork();
    if (pid < 0) { perror("eno-shim: fork"); return 125; }
    if (pid == 0) {
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        close(to_child[0]); close(to_child[1]); close(from_child[0]); close(from_child[1]);
        close(exec_err[0]);
        execvp(argv[2], argv + 2);
        int err = errno;
        (void)!write(exec_err[1], &err, sizeof err);
        _exit(127);
    }
    close(to_child[0]); close(from_child[1]); close(exec_err[1]);
    int err = 0;
    if (read(exec_err[0], &err, sizeof err) == (ssize_t)sizeof err) {
        fprintf(stderr, "exec: \"%s\": %s\n", argv[2], strerror(err));
    }
    close(exec_err[0]);

    fcntl(to_child[1], F_SETFL, O_NONBLOCK);
    size_t sent = 0;
    int in_fd = to_child[1], out_fd = from_child[0];
    if (input.len == 0) { close(in_fd); in_fd = -1; }
    while (out_fd >= 0) {
        struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {in_fd, POLLOUT, 0}};
        if (poll(fds, in_fd >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR) continue;
            perror("eno-shim: poll");
            return 125;
        }
        if (in_fd >= 0 && fds[1].revents) {
            ssize_t w = write(in_fd, input.data + sent, input.len - sent);
            if (w > 0) sent += (size_t)w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || sent == input.len) {
                close(in_fd); /* EOF for the child, or it stopped reading (EPIPE) */
                in_fd = -1;
            }
        }
        if (fds[0].revents) {
            ssize_t n = read(out_fd, chunk, sizeof chunk);
            if (n > 0) append(&output, chunk, (size_t)n);
            else if (n == 0 || (errno != EINTR && errno != EAGAIN)) { close(out_fd); out_fd = -1; }
        }
    }
    if (in_fd >= 0) close(in_fd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (output.len && write_all(1, output.data, output.len) < 0) return 125;
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

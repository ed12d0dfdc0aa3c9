/*
 * measure - fork/exec timing harness for bench/run.
 *
 * Started once inside the director namespace (so `ip netns exec` is not part of
 * any measured run), it execs each command directly and times it with
 * CLOCK_MONOTONIC around fork..wait4, taking CPU (ru_utime + ru_stime) and peak
 * RSS (ru_maxrss) from wait4's rusage. Linux fills that rusage for the child
 * *and* its reaped descendants, so a shell pipeline's CPU counts whole.
 *
 *   measure series ROUNDS < PLAN    one CSV line per run on stdout:
 *                                   label,run,wall_us,cpu_us,maxrss_kib,status,ok
 *   measure load N INFLIGHT < PLAN  N runs over the plan's lines in turn, at most
 *                                   INFLIGHT at once; prints one summary line:
 *                                   total_ms=... runs=... wrong=...
 *
 * PLAN: one contender per line, tab-separated: LABEL RUNS EXPECT ARGV0 ARGV...
 *   RUNS    how many runs in `series` mode; they are spread evenly over ROUNDS
 *           round-robin rounds, so load drift hits every contender alike. Each
 *           round takes the contenders in a new random order (fixed seed, so a
 *           rerun repeats it): a run that follows a long idle one (a 200 ms
 *           no-reply, a recipe) starts cold and was measured ~1 ms slower, and a
 *           fixed order would always hand that cost to the same contender.
 *   EXPECT  `rc=N` (exit status N), a word (the first word of stdout), or `-`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONTENDERS 64
#define MAX_ARGS 64

struct contender {
    char *label;
    long runs;
    char *expect;
    char *argv[MAX_ARGS + 1];
    long done;
};

static struct contender plan[MAX_CONTENDERS];
static int nplan;

static void die(const char *what)
{
    perror(what);
    exit(2);
}

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static void read_plan(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        if (line[n - 1] == '\n')
            line[n - 1] = '\0';
        if (line[0] == '\0' || line[0] == '#')
            continue;
        if (nplan == MAX_CONTENDERS) {
            fprintf(stderr, "measure: too many contenders\n");
            exit(2);
        }
        struct contender *c = &plan[nplan];
        char *save = NULL;
        char *f = strtok_r(strdup(line), "\t", &save);
        int field = 0, argc = 0;
        for (; f; f = strtok_r(NULL, "\t", &save), ++field) {
            if (field == 0)
                c->label = f;
            else if (field == 1)
                c->runs = atol(f);
            else if (field == 2)
                c->expect = f;
            else if (argc < MAX_ARGS)
                c->argv[argc++] = f;
        }
        if (argc == 0) {
            fprintf(stderr, "measure: plan line without a command: %s\n", line);
            exit(2);
        }
        c->argv[argc] = NULL;
        ++nplan;
    }
    free(line);
}

/* Starts one run of c with stdout into a pipe (read back after exit to check the
 * verdict word; one line fits the pipe buffer, so the child never blocks) and
 * stderr to /dev/null. */
static pid_t start(const struct contender *c, int *out_fd)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(p[1], 1);
        dup2(null, 2);
        execv(c->argv[0], c->argv);
        _exit(127);
    }
    close(p[1]);
    *out_fd = p[0];
    return pid;
}

static int verdict_ok(const struct contender *c, int status, int fd)
{
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    if (strcmp(c->expect, "-") == 0)
        return 1;
    if (strncmp(c->expect, "rc=", 3) == 0)
        return WIFEXITED(status) && WEXITSTATUS(status) == atoi(c->expect + 3);
    size_t len = strlen(c->expect);
    return strncmp(buf, c->expect, len) == 0 && (buf[len] == ' ' || buf[len] == '\n' || buf[len] == '\0');
}

/* xorshift64: a fixed, reproducible sequence; nothing here needs better. */
static unsigned long next_random(unsigned long *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static int series(long rounds)
{
    int order[MAX_CONTENDERS];
    unsigned long seed = 0x9e3779b97f4a7c15UL;
    for (int i = 0; i < nplan; ++i)
        order[i] = i;
    printf("label,run,wall_us,cpu_us,maxrss_kib,status,ok\n");
    for (long r = 0; r < rounds; ++r) {
        for (int i = nplan - 1; i > 0; --i) { /* Fisher-Yates */
            const int j = (int)(next_random(&seed) % (unsigned long)(i + 1));
            const int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int k = 0; k < nplan; ++k) {
            struct contender *c = &plan[order[k]];
            /* Spread RUNS evenly over ROUNDS: run when the quota line crosses. */
            if (c->done >= c->runs || (r + 1) * c->runs / rounds <= c->done)
                continue;
            int fd;
            struct rusage ru;
            int status;
            const double t0 = now_us();
            pid_t pid = start(c, &fd);
            if (wait4(pid, &status, 0, &ru) < 0)
                die("wait4");
            const double wall = now_us() - t0;
            const double cpu = (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec +
                               (double)ru.ru_stime.tv_sec * 1e6 + (double)ru.ru_stime.tv_usec;
            const int ok = verdict_ok(c, status, fd);
            printf("%s,%ld,%.1f,%.0f,%ld,%d,%d\n", c->label, c->done, wall, cpu, ru.ru_maxrss,
                   WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), ok);
            fflush(stdout);
            ++c->done;
        }
    }
    return 0;
}

static int load(long total, long inflight)
{
    struct slot {
        pid_t pid;
        int fd;
        int which;
    } *slots = calloc((size_t)inflight, sizeof *slots);
    long started = 0, finished = 0, wrong = 0;
    int running = 0;
    const double t0 = now_us();
    while (finished < total) {
        while (running < inflight && started < total) {
            for (long s = 0; s < inflight; ++s)
                if (slots[s].pid == 0) {
                    slots[s].which = (int)(started % nplan);
                    slots[s].pid = start(&plan[slots[s].which], &slots[s].fd);
                    break;
                }
            ++running;
            ++started;
        }
        int status;
        pid_t pid = wait(&status);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            die("wait");
        }
        for (long s = 0; s < inflight; ++s)
            if (slots[s].pid == pid) {
                if (!verdict_ok(&plan[slots[s].which], status, slots[s].fd)) {
                    ++wrong;
                    fprintf(stderr, "measure: wrong verdict from %s\n", plan[slots[s].which].label);
                }
                slots[s].pid = 0;
                --running;
                ++finished;
                break;
            }
    }
    printf("total_ms=%.1f runs=%ld wrong=%ld\n", (now_us() - t0) / 1e3, finished, wrong);
    free(slots);
    return wrong ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "series") == 0) {
        read_plan();
        return series(atol(argv[2]));
    }
    if (argc == 4 && strcmp(argv[1], "load") == 0) {
        read_plan();
        return load(atol(argv[2]), atol(argv[3]));
    }
    fprintf(stderr, "usage: measure series ROUNDS < PLAN | measure load N INFLIGHT < PLAN\n");
    return 2;
}

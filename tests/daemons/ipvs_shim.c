/* ipvs_shim.c - LD_PRELOAD stand-in for the kernel's ip_vs, for tests only.
 *
 * The test machines have no ip_vs module. keepalived's checker asks ip_vs for its
 * version at start-up and, without it, exits ("IPVS: Can't initialize ipvs") and takes
 * the daemon down. This shim answers the IPVS socket options (IPPROTO_IP, optnames
 * IP_VS_SO_* = 1152..1167) with success, an empty table and version 1.2.1, and appends
 * one line per command to $VIPCHECK_IPVS_LOG, so a test can see what keepalived would
 * have done to the kernel's table. Every other socket option goes to libc unchanged.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ip_vs.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int is_ipvs(int level, int optname)
{
    return level == IPPROTO_IP && optname >= IP_VS_BASE_CTL && optname <= IP_VS_SO_SET_MAX;
}

static void log_line(const char *fmt, ...)
{
    const char *path = getenv("VIPCHECK_IPVS_LOG");
    if (!path || !*path)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (n > (int)sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    /* One write with O_APPEND: lines from the checker and its children never interleave. */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    ssize_t w = write(fd, line, (size_t)n);
    (void)w;
    close(fd);
}

static const char *set_name(int optname)
{
    static const char *names[] = {"NONE", "INSERT", "ADD", "EDIT", "DEL", "FLUSH", "LIST", "ADDDEST",
                                  "DELDEST", "EDITDEST", "TIMEOUT", "STARTDAEMON", "STOPDAEMON",
                                  "RESTORE", "SAVE", "ZERO"};
    return names[optname - IP_VS_BASE_CTL];
}

static void format_service(char *out, size_t size, const struct ip_vs_service_user *s)
{
    char addr[INET_ADDRSTRLEN];
    if (s->fwmark)
        snprintf(out, size, "fwmark %u", s->fwmark);
    else
        snprintf(out, size, "%s %s:%u", s->protocol == IPPROTO_UDP ? "udp" : "tcp",
                 inet_ntop(AF_INET, &s->addr, addr, sizeof addr), ntohs(s->port));
}

int setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen)
{
    static int (*real)(int, int, int, const void *, socklen_t);
    if (!is_ipvs(level, optname)) {
        if (!real)
            real = (int (*)(int, int, int, const void *, socklen_t))dlsym(RTLD_NEXT, "setsockopt");
        return real(fd, level, optname, optval, optlen);
    }
    char svc[96] = "";
    if (optval && optlen >= sizeof(struct ip_vs_service_user))
        format_service(svc, sizeof svc, optval);
    if (optval && optlen >= sizeof(struct ip_vs_service_user) + sizeof(struct ip_vs_dest_user)) {
        const struct ip_vs_dest_user *d =
            (const void *)((const char *)optval + sizeof(struct ip_vs_service_user));
        char addr[INET_ADDRSTRLEN];
        log_line("ipvs %s %s -> %s:%u weight %d", set_name(optname), svc,
                 inet_ntop(AF_INET, &d->addr, addr, sizeof addr), ntohs(d->port), d->weight);
    } else {
        log_line("ipvs %s %s", set_name(optname), svc);
    }
    return 0;
}

int getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen)
{
    static int (*real)(int, int, int, void *, socklen_t *);
    if (!is_ipvs(level, optname) || optname > IP_VS_SO_GET_MAX) {
        if (!real)
            real = (int (*)(int, int, int, void *, socklen_t *))dlsym(RTLD_NEXT, "getsockopt");
        return real(fd, level, optname, optval, optlen);
    }
    /* The caller's struct keeps its counts and names; everything else reads as empty. */
    if (optname == IP_VS_SO_GET_VERSION) {
        if (optval && optlen && *optlen > 0)
            snprintf(optval, *optlen, "IP Virtual Server version 1.2.1 (size=4096)");
    } else if (optname == IP_VS_SO_GET_INFO) {
        if (optval && optlen && *optlen >= sizeof(struct ip_vs_getinfo)) {
            struct ip_vs_getinfo info = {.version = 0x010201, .size = 4096, .num_services = 0};
            memcpy(optval, &info, sizeof info);
        }
    } else if (optname == IP_VS_SO_GET_SERVICES) {
        if (optval && optlen && *optlen >= sizeof(struct ip_vs_get_services))
            ((struct ip_vs_get_services *)optval)->num_services = 0;
    } else if (optname == IP_VS_SO_GET_DESTS) {
        if (optval && optlen && *optlen >= sizeof(struct ip_vs_get_dests))
            ((struct ip_vs_get_dests *)optval)->num_dests = 0;
    } else if (optname == IP_VS_SO_GET_TIMEOUT || optname == IP_VS_SO_GET_DAEMON) {
        if (optval && optlen)
            memset(optval, 0, *optlen);
    } else if (optname == IP_VS_SO_GET_SERVICE) {
        errno = ESRCH; /* "no such service": the table is empty */
        log_line("ipvs GET_SERVICE");
        return -1;
    }
    log_line("ipvs GET %d", optname - IP_VS_BASE_CTL);
    return 0;
}

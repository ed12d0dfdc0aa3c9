/* late_request_shim.c - LD_PRELOAD: a TLS client whose request goes out late, for tests only.
 *
 * A TLS 1.3 server that refuses our client certificate says so after the handshake,
 * which the client counts done already: it sends its request at once. The server sends
 * its alert and closes, with our Finished message or request unread, so the close is a
 * reset. On a busy director the reset may arrive before the request is sent; the send
 * then fails, the alert still unread. This shim makes that order certain: a send() whose
 * buffer starts with a TLS application data record (23, version 3.x) first waits until
 * the peer has closed or reset the connection (10 s at most, a hang guard). The
 * handshake's own flights go out unchanged: the client's last flight starts with a
 * change_cipher_spec record (20), which OpenSSL sends by default (middlebox
 * compatibility). Every other send() goes to libc unchanged.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

enum { HANG_GUARD_MS = 10000 };

static int starts_application_data(const void *buf, size_t len)
{
    const unsigned char *b = buf;
    return len >= 5 && b[0] == 23 && b[1] == 3;
}

static void wait_for_peer_close(int fd)
{
    /* Not POLLIN: the alert arrives before the close. POLLHUP and POLLERR (a reset)
     * are reported whatever the events asked. */
    struct pollfd p = {.fd = fd, .events = POLLRDHUP};
    (void)poll(&p, 1, HANG_GUARD_MS);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    ssize_t (*libc_send)(int, const void *, size_t, int) =
        (ssize_t(*)(int, const void *, size_t, int))dlsym(RTLD_NEXT, "send");
    if (!libc_send)
        return -1;
    if (starts_application_data(buf, len))
        wait_for_peer_close(fd);
    return libc_send(fd, buf, len, flags);
}

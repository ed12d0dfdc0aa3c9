#!/usr/bin/python3
"""A realserver's application for mgmt-http-check lab tests.

    http_server.py --port 8080 [--bind ADDR] [--body FILE]
                   [--tls CERT KEY [--client-ca CA]] [--hang] [--broken-on ADDR]

Paths:
    /                 200 with the --body file (or a fixed text)
    /status/NNN       status NNN
    /big/N            200 with N bytes and a Content-Length
    /chunked/N        200 with N bytes, chunked (no length known up front)
    /redirect         302 to /
    /host             200 "host=HOST sni=SNI" (what the client asked for)
--broken-on ADDR answers every request that reached the local address ADDR (a VIP)
with 500, as a broken virtual host would, while other addresses answer normally.
--hang listens and never answers: the kernel completes the handshake, the
request is never read.  Only ever bound inside a lab namespace.
"""
import argparse
import http.server
import signal
import socket
import ssl
import sys

CHUNK = 64 * 1024


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked bodies need 1.1
    server_version = "vcl-lab"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def do_HEAD(self):
        self.respond(head=True)

    def do_GET(self):
        self.respond(head=False)

    def send_fixed(self, status, body, head, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def respond(self, head):
        path = self.path.split("?", 1)[0]
        if self.server.broken_on:
            local = self.connection.getsockname()[0]
            if local.startswith("::ffff:"):
                local = local[7:]
            if local == self.server.broken_on:
                self.send_fixed(500, b"virtual host broken\n", head)
                return
        parts = path.strip("/").split("/")
        if path == "/":
            self.send_fixed(200, self.server.body, head)
        elif len(parts) == 2 and parts[0] == "status" and parts[1].isdigit():
            code = int(parts[1])
            self.send_fixed(code, b"status %d\n" % code, head)
        elif len(parts) == 2 and parts[0] == "big" and parts[1].isdigit():
            n = int(parts[1])
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            if not head:
                self.write_bytes(n, self.wfile.write)
        elif len(parts) == 2 and parts[0] == "chunked" and parts[1].isdigit():
            n = int(parts[1])
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if not head:
                def chunk(data):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.write_bytes(n, chunk)
                self.wfile.write(b"0\r\n\r\n")
        elif path == "/redirect":
            self.send_fixed(302, b"moved\n", head, [("Location", "/")])
        elif path == "/host":
            sni = getattr(self.connection, "vcl_sni", None)
            body = ("host=%s sni=%s\n" % (self.headers.get("Host"), sni)).encode()
            self.send_fixed(200, body, head)
        else:
            self.send_fixed(404, b"not found\n", head)

    @staticmethod
    def write_bytes(n, write):
        block = b"x" * CHUNK
        try:
            while n > 0:
                write(block[: min(n, CHUNK)])
                n -= CHUNK
        except (BrokenPipeError, ConnectionResetError):
            pass  # the check stopped reading at --max-body, as it should


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True
    # bench/daemon.sh opens hundreds of connections at once: socketserver's backlog of 5
    # would drop their SYNs and measure the kernel's retransmission instead.
    request_queue_size = 1024
    tls = None

    def server_bind(self):
        # One socket for both families: the lab reaches it over IPv4 and IPv6.
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()

    def finish_request(self, request, client_address):
        if self.tls is None:
            return super().finish_request(request, client_address)
        # The handshake happens here, in the connection's thread, so a client that
        # never completes it cannot stall the others.
        # A failed handshake closes the socket at once (wrap_socket took it over): with
        # the client's last messages unread, the close is a reset, as with other
        # OpenSSL servers. In TLS 1.3 the client counts the handshake done before the
        # server has judged its certificate, so the reset may reach it before its request
        # goes out; the checks judge from the alert, read anyway (lab-daemon-http).
        try:
            conn = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            sys.stderr.write("tls handshake from %s failed: %s\n" % (client_address[0], e))
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            conn.close()


def remember_sni(sslsock, name, _ctx):
    sslsock.vcl_sni = name


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bind", default="::")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--body")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--client-ca")
    p.add_argument("--hang", action="store_true")
    p.add_argument("--broken-on")
    a = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    if a.hang:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a.bind, a.port))
        s.listen(64)
        while True:
            signal.pause()

    server = Server((a.bind, a.port), Handler)
    server.body = open(a.body, "rb").read() if a.body else b"vipcheck lab realserver\n"
    server.broken_on = a.broken_on
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
        ctx.sni_callback = remember_sni
        if a.client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(a.client_ca)
        server.tls = ctx
    server.serve_forever()


if __name__ == "__main__":
    main()

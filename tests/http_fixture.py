#!/usr/bin/env python3
"""A local HTTP server for tests/update.sh: one path per behaviour the
updater must handle, every request logged so the test can see which
conditional headers were sent.

    http_fixture.py --dir DIR --port-file FILE --log FILE [--lifetime S]

Binds 127.0.0.1 on a free port, writes the port to FILE (atomically),
serves until killed or for at most S seconds (default 300).

    /registry.csv     DIR/registry.csv with ETag and Last-Modified; 304 only
                      when If-None-Match carries that ETag, else 200 - so an
                      updater that forgets the header is caught
    /noetag.csv       DIR/registry.csv, no validators, Content-Length
    /chunked          DIR/registry.csv, chunked, no Content-Length
    /small.csv        DIR/small.csv
    /garbage          an HTML page
    /truncated        Content-Length larger than what is sent, then close
    /cut-close        DIR/registry.csv up to just after "matahari,490", no
                      Content-Length, then close: to HTTP a complete body
    /cut-length       DIR/registry.csv whole, under a Content-Length that
                      ends it at the same place: the client reads no more
    /status/N         status N with a short body
    /redirect         302 to /noetag.csv
    /redirect-ftp     302 to an ftp:// URL
    /redirect-loop    302 to itself
    /drip?s=S         DIR/registry.csv, no validators, in 20 pieces over S
                      seconds (default 2): a slow server
    /stall            headers and the first 4 KiB of DIR/registry.csv, then
                      nothing for 120 s: a server that stops sending
    /bigetag?n=N      DIR/registry.csv with an ETag N bytes long (default
                      200000)
    /p/NAME           DIR/NAME (the protocol numbers registry and its
                      variants) with an ETag of its bytes and Last-Modified,
                      304 only for that ETag, as /registry.csv

Log lines: STATUS PATH if-none-match=VALUE|- if-modified-since=VALUE|-
"""
import argparse
import hashlib
import http.server
import os
import sys
import threading
import time
import urllib.parse

LAST_MODIFIED = "Tue, 01 Apr 2025 12:00:00 GMT"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked, as real servers
    server_version = "nss-iana-fixture"

    def log_message(self, fmt, *args):  # quiet: the log file says enough
        pass

    def record(self, status):
        inm = self.headers.get("If-None-Match") or "-"
        ims = self.headers.get("If-Modified-Since") or "-"
        with open(self.server.log_path, "a", encoding="utf-8") as log:
            log.write(f"{status} {self.path} if-none-match={inm} if-modified-since={ims}\n")

    def file(self, name):
        with open(os.path.join(self.server.dir, name), "rb") as f:
            return f.read()

    def reply(self, status, body=b"", headers=()):
        self.record(status)
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def registry(self, name="registry.csv"):
        body = self.file(name)
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        validators = [("ETag", etag), ("Last-Modified", LAST_MODIFIED)]
        if self.headers.get("If-None-Match") == etag:
            self.reply(304, headers=validators)
        else:
            self.reply(200, body, validators + [("Content-Type", "text/csv")])

    def chunked(self):
        body = self.file("registry.csv")
        self.record(200)
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        step = 16384
        for i in range(0, len(body), step):
            part = body[i:i + step]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        self.wfile.write(b"0\r\n\r\n")

    def truncated(self):
        body = self.file("registry.csv")
        self.record(200)
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body) + 5000))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True  # and the rest never comes

    def drip(self, seconds):
        body = self.file("registry.csv")
        self.record(200)
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        pieces = 20
        step = -(-len(body) // pieces)
        for i in range(0, len(body), step):
            self.wfile.write(body[i:i + step])
            self.wfile.flush()
            time.sleep(seconds / pieces)

    def stall(self):
        body = self.file("registry.csv")
        self.record(200)
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:4096])
        self.wfile.flush()
        time.sleep(120)
        self.close_connection = True

    def cut(self, announce_length):
        body = self.file("registry.csv")
        cut = body.index(b"\nmatahari,490") + len(b"\nmatahari,490")
        self.record(200)
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        if announce_length:
            self.send_header("Content-Length", str(cut))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body if announce_length else body[:cut])
        self.wfile.flush()
        self.close_connection = True  # without a length, the close ends the body

    def redirect(self, location):
        self.reply(302, b"moved\n", [("Location", location)])

    def do_GET(self):
        path, _, query = self.path.partition("?")
        args = urllib.parse.parse_qs(query)
        port = self.server.server_address[1]
        if path == "/registry.csv":
            self.registry()
        elif path.startswith("/p/") and "/" not in path[3:] and path[3:]:
            self.registry(path[3:])
        elif path == "/noetag.csv":
            self.reply(200, self.file("registry.csv"), [("Content-Type", "text/csv")])
        elif path == "/chunked":
            self.chunked()
        elif path == "/small.csv":
            self.reply(200, self.file("small.csv"), [("Content-Type", "text/csv")])
        elif path == "/garbage":
            self.reply(200, b"<html><body>Service unavailable</body></html>\n",
                       [("Content-Type", "text/html")])
        elif path == "/truncated":
            self.truncated()
        elif path in ("/cut-close", "/cut-length"):
            self.cut(path == "/cut-length")
        elif path.startswith("/status/") and path[8:].isdigit():
            self.reply(int(path[8:]), b"fixture error page\n")
        elif path == "/drip":
            self.drip(float(args.get("s", ["2"])[0]))
        elif path == "/stall":
            self.stall()
        elif path == "/bigetag":
            n = int(args.get("n", ["200000"])[0])
            self.reply(200, self.file("registry.csv"),
                       [("ETag", '"' + "e" * (n - 2) + '"'), ("Content-Type", "text/csv")])
        elif path == "/redirect":
            self.redirect("/noetag.csv")
        elif path == "/redirect-ftp":
            self.redirect(f"ftp://127.0.0.1:{port}/registry.csv")
        elif path == "/redirect-loop":
            self.redirect("/redirect-loop")
        else:
            self.reply(404, b"not found\n")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # The updater hangs up on purpose (size cap, bad redirect): not news.
        if isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--lifetime", type=float, default=300)
    args = ap.parse_args()

    server = Server(("127.0.0.1", 0), Handler)
    server.dir = args.dir
    server.log_path = args.log
    # Never outlive the test, even if its trap does not run.
    timer = threading.Timer(args.lifetime, server.shutdown)
    timer.daemon = True
    timer.start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{server.server_address[1]}\n")
    os.rename(tmp, args.port_file)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

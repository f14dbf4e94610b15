#!/usr/bin/env python3
"""The HTTPS half of the end-to-end tests: a test CA, certificates good and bad, TLS fronts
before the tests' plain-HTTP loopback servers, and a CONNECT proxy. Everything listens on
127.0.0.1 only; nothing is fetched. Started once per test process by
Tests/EndToEndTests/HTTPSSupport.swift, which talks to it one line at a time on stdin/stdout:

  certs                              -> {"ca": PATH, "other_ca": PATH}
  front BACKEND_PORT CERT MODE       -> {"port": N}
      CERT: good | expired | wronghost | untrusted
      MODE: relay (TLS in front of the backend) | refuse (close during the handshake) |
            alert (complete the handshake, read the request, answer with a TLS alert)
  proxy                              -> {"port": N}   a CONNECT proxy; any host name goes to 127.0.0.1
  stats PORT                         -> {"connections": N, "handshakes": N, "heads": [...]}
  quit

Needs Python 3 and the `cryptography` package (`.ci/run` installs python3-cryptography).
"""
import datetime
import json
import os
import select
import socket
import ssl
import struct
import sys
import tempfile
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import ipaddress

DIRECTORY = tempfile.mkdtemp(prefix="octopods-tls-")
HOSTS = ["localhost", "octopods.test", "api.localhost"]


def write_key(key, name):
    path = os.path.join(DIRECTORY, name)
    with open(path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return path


def write_cert(cert, name):
    path = os.path.join(DIRECTORY, name)
    with open(path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    return path


def make_ca(common_name):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_leaf(ca_key, ca_cert, names, ips, expired=False):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    if expired:
        before, after = now - datetime.timedelta(days=30), now - datetime.timedelta(days=1)
    else:
        before, after = now - datetime.timedelta(days=1), now + datetime.timedelta(days=30)
    san = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(before).not_valid_after(after)
            .add_extension(x509.SubjectAlternativeName(san), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


ca_key, ca_cert = make_ca("octopods test CA")
other_key, other_cert = make_ca("an untrusted CA")
CA_PATH = write_cert(ca_cert, "ca.pem")
OTHER_CA_PATH = write_cert(other_cert, "other-ca.pem")
LEAVES = {}
for label, (issuer_key, issuer_cert, names, ips, expired) in {
    "good": (ca_key, ca_cert, HOSTS, ["127.0.0.1", "::1"], False),
    "expired": (ca_key, ca_cert, HOSTS, ["127.0.0.1", "::1"], True),
    "wronghost": (ca_key, ca_cert, ["somewhere-else.test"], [], False),
    "untrusted": (other_key, other_cert, HOSTS, ["127.0.0.1", "::1"], False),
}.items():
    key, cert = make_leaf(issuer_key, issuer_cert, names, ips, expired)
    LEAVES[label] = (write_cert(cert, label + ".pem"), write_key(key, label + ".key"))


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.connections = 0
        self.handshakes = 0
        self.heads = []

    def add(self, field, value=1):
        with self.lock:
            if field == "heads":
                self.heads.append(value)
            else:
                setattr(self, field, getattr(self, field) + value)

    def json(self):
        with self.lock:
            return {"connections": self.connections, "handshakes": self.handshakes, "heads": list(self.heads)}


STATS = {}


def listen():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    return server, server.getsockname()[1]


def reset(sock):
    """Close with RST (SO_LINGER 0), as a cut connection looks to the client."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def read_request(conn):
    """Reads one HTTP/1.1 request (head and Content-Length body); returns its head or None."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip() or b"0")
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head.decode("latin-1")


def serve_front(server, backend_port, cert, mode, stats):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*LEAVES[cert])
    while True:
        raw, _ = server.accept()
        stats.add("connections")
        threading.Thread(target=handle_front, args=(raw, context, backend_port, mode, stats), daemon=True).start()


def handle_front(raw, context, backend_port, mode, stats):
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if mode == "refuse":
        raw.recv(4096)  # the ClientHello
        reset(raw)
        return
    try:
        conn = context.wrap_socket(raw, server_side=True)
    except (ssl.SSLError, OSError):
        reset(raw)
        return
    stats.add("handshakes")
    if mode == "alert":
        head = read_request(conn)
        if head is not None:
            stats.add("heads", head)
        # A fatal alert (handshake_failure) written as a plaintext record after the handshake:
        # the client fails with a TLS error once its request went out.
        raw.sendall(b"\x15\x03\x03\x00\x02\x02\x28")
        reset(raw)
        return
    backend = socket.create_connection(("127.0.0.1", backend_port))
    backend.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    relay(conn, backend, raw)


def relay(conn, backend, raw):
    """Moves bytes both ways on one thread (an SSL object must not be read and written from two
    threads at once). A backend that resets resets the client; a backend that closes closes it."""
    while True:
        ready = [conn] if isinstance(conn, ssl.SSLSocket) and conn.pending() else \
            select.select([conn, backend], [], [], 120)[0]
        if not ready:
            break
        for source in ready:
            target = backend if source is conn else conn
            try:
                data = source.recv(65536)
            except ssl.SSLWantReadError:
                continue
            except ConnectionResetError:
                reset(raw)
                reset(backend)
                return
            except (OSError, ssl.SSLError):
                data = b""
            if not data:
                for sock in (conn, backend):
                    try:
                        sock.close()
                    except OSError:
                        pass
                return
            try:
                target.sendall(data)
            except (OSError, ssl.SSLError):
                reset(raw)
                reset(backend)
                return


def serve_proxy(server, stats):
    while True:
        client, _ = server.accept()
        stats.add("connections")
        threading.Thread(target=handle_proxy, args=(client, stats), daemon=True).start()


def handle_proxy(client, stats):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        if not chunk:
            client.close()
            return
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    stats.add("heads", head.decode("latin-1"))
    parts = head.split(b"\r\n")[0].split(b" ")
    if len(parts) < 2 or parts[0] != b"CONNECT":
        client.sendall(b"HTTP/1.1 405 Only CONNECT\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        client.close()
        return
    port = int(parts[1].rsplit(b":", 1)[1])
    upstream = socket.create_connection(("127.0.0.1", port))
    client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    if rest:
        upstream.sendall(rest)
    relay(client, upstream, client)


def main():
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            if words[0] == "certs":
                answer = {"ca": CA_PATH, "other_ca": OTHER_CA_PATH, "directory": DIRECTORY}
            elif words[0] == "front":
                server, port = listen()
                STATS[port] = Stats()
                threading.Thread(target=serve_front, args=(server, int(words[1]), words[2], words[3], STATS[port]),
                                 daemon=True).start()
                answer = {"port": port}
            elif words[0] == "proxy":
                server, port = listen()
                STATS[port] = Stats()
                threading.Thread(target=serve_proxy, args=(server, STATS[port]), daemon=True).start()
                answer = {"port": port}
            elif words[0] == "stats":
                answer = STATS[int(words[1])].json()
            elif words[0] == "quit":
                return
            else:
                answer = {"error": "unknown command " + words[0]}
        except Exception as error:  # the test reads the error and fails with it
            answer = {"error": repr(error)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

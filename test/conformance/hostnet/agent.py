#!/usr/bin/env python3
# A probe agent living in one network namespace of a node-policy conformance run (hostnet.ts starts it with
# `ip netns exec NS python3 agent.py`). It serves TCP and UDP on request, records every SCTP packet delivered to
# this namespace through a raw socket (the kernel has no SCTP sockets here), records every ICMP destination
# unreachable that arrives, and opens connections: TCP connect, a UDP datagram awaiting its echo, or a crafted
# SCTP INIT. Commands and answers are JSON lines on stdin / stdout, each with the id of its request. IPv4 only.

import json
import socket
import struct
import sys
import threading
import time

IPPROTO_SCTP = 132
out_lock = threading.Lock()
state_lock = threading.Lock()
sctp_seen = []  # (src, sport, dport, chunk type)
icmp_seen = []  # (type, code, inner proto, inner src, inner dst, sport, dport)
servers = set()
# What a send returns when netfilter drops the packet on its way out of this namespace (NF_DROP in LOCAL_OUT).
OUTPUT_DROP = "EPERM: dropped by netfilter on the way out"
listen_lock = threading.Lock()


def answer(req_id, **fields):
    with out_lock:
        sys.stdout.write(json.dumps(dict(id=req_id, **fields)) + "\n")
        sys.stdout.flush()


def daemon(fn, *args):
    t = threading.Thread(target=fn, args=args, daemon=True)
    t.start()


def sniff_sctp():
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_SCTP)
    while True:
        data, _ = s.recvfrom(65535)
        ihl = (data[0] & 0x0F) * 4
        src = socket.inet_ntoa(data[12:16])
        body = data[ihl:]
        if len(body) < 13:
            continue
        sport, dport = struct.unpack("!HH", body[:4])
        with state_lock:
            sctp_seen.append((src, sport, dport, body[12]))


def sniff_icmp():
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    while True:
        data, _ = s.recvfrom(65535)
        ihl = (data[0] & 0x0F) * 4
        icmp = data[ihl:]
        if len(icmp) < 8 + 20 + 4 or icmp[0] != 3:
            continue
        inner = icmp[8:]
        iihl = (inner[0] & 0x0F) * 4
        if len(inner) < iihl + 4:
            continue
        sport, dport = struct.unpack("!HH", inner[iihl:iihl + 4])
        with state_lock:
            icmp_seen.append((icmp[0], icmp[1], inner[9], socket.inet_ntoa(inner[12:16]),
                              socket.inet_ntoa(inner[16:20]), sport, dport))


def unreachable(proto, dst, sport, dport, wait):
    """The ICMP destination unreachable answering our packet, if one arrives within `wait` seconds."""
    end = time.time() + wait
    while True:
        with state_lock:
            for e in icmp_seen:
                if e[2] == proto and e[4] == dst and e[5] == sport and e[6] == dport:
                    return "icmp %d/%d" % (e[0], e[1])
        if time.time() >= end:
            return None
        time.sleep(0.02)


def bound(kind, port):
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    return s


def serve_tcp(s):
    while True:
        c, _ = s.accept()
        c.close()


def serve_udp(s):
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(data, peer)


def crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def sctp_init(sport, dport):
    # INIT chunk: type 1, flags 0, length 20; initiate tag, a_rwnd, outbound / inbound streams, initial TSN.
    chunk = struct.pack("!BBHIIHHI", 1, 0, 20, 0x1A2B3C4D, 65535, 1, 1, 1)
    header = struct.pack("!HHII", sport, dport, 0, 0)
    packet = header + chunk
    # SCTP's checksum is CRC32c, stored little-endian.
    return packet[:8] + struct.pack("<I", crc32c(packet)) + packet[12:]


def socket_probe(kind, sport, timeout, attempt, refused):
    """One TCP or UDP attempt; the verdicts every socket kind shares are decided here once."""
    s = bound(kind, sport)
    s.settimeout(timeout)
    try:
        return attempt(s)
    except ConnectionRefusedError:
        return refused()
    except socket.timeout:
        return "timeout", ""
    except PermissionError:
        return "blocked", OUTPUT_DROP
    except OSError as e:
        return "error", str(e)
    finally:
        s.close()


def probe(req):
    proto, dst, port, sport, timeout = req["proto"], req["dst"], req["port"], req["sport"], req["timeout"]
    if proto == "tcp":
        def refused_tcp():
            why = unreachable(6, dst, sport, port, 0.3)
            return ("unreachable", why) if why else ("reset", "connection refused by a TCP reset")

        def connect(s):
            s.connect((dst, port))
            return "connected", ""

        return socket_probe(socket.SOCK_STREAM, sport, timeout, connect, refused_tcp)
    if proto == "udp":
        def refused_udp():
            why = unreachable(17, dst, sport, port, 0.3)
            return "unreachable", why or "connection refused"

        def exchange(s):
            s.connect((dst, port))
            s.send(b"dpc-probe")
            s.recv(65535)
            return "reply", ""

        return socket_probe(socket.SOCK_DGRAM, sport, timeout, exchange, refused_udp)
    if proto == "sctp":
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_SCTP)
        try:
            s.sendto(sctp_init(sport, port), (dst, 0))
        except PermissionError:
            return "blocked", OUTPUT_DROP
        except OSError as e:
            return "error", str(e)
        finally:
            s.close()
        why = unreachable(IPPROTO_SCTP, dst, sport, port, timeout)
        return ("unreachable", why) if why else ("sent", "")
    return "error", "unknown protocol " + proto


def handle(req):
    op = req["op"]
    try:
        if op == "listen":
            # Bound and listening before the answer, so no probe can arrive ahead of its server.
            key = (req["proto"], req["port"])
            with listen_lock:
                if key not in servers:
                    tcp = req["proto"] == "tcp"
                    s = bound(socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM, req["port"])
                    if tcp:
                        s.listen(128)
                    servers.add(key)
                    daemon(serve_tcp if tcp else serve_udp, s)
            answer(req["id"], ok=True)
        elif op == "probe":
            result, detail = probe(req)
            answer(req["id"], ok=True, result=result, detail=detail)
        elif op == "sctp-seen":
            with state_lock:
                hit = [e for e in sctp_seen if req.get("src") in (None, e[0]) and e[1] == req["sport"] and e[2] == req["port"]]
            answer(req["id"], ok=True, seen=len(hit) > 0, chunk=hit[0][3] if hit else None)
        else:
            answer(req["id"], ok=False, error="unknown op " + op)
    except Exception as e:  # the agent must answer every request, whatever happens
        answer(req["id"], ok=False, error="%s: %s" % (type(e).__name__, e))


def main():
    daemon(sniff_sctp)
    daemon(sniff_icmp)
    time.sleep(0.05)
    answer(0, ok=True, ready=True)
    for line in sys.stdin:
        line = line.strip()
        if line:
            daemon(handle, json.loads(line))


if __name__ == "__main__":
    main()

"""A ping stream whose end is counted too: it sends an ICMP echo request every
INTERVAL seconds until SIGINT or SIGTERM, then stops sending and waits up to
GRACE seconds for the replies still on their way before it prints the
summary. (iputils ping exits at once on SIGINT, so a request in flight at
that moment could not be told from a lost one.)

    python3 pinger.py ADDRESS INTERVAL [GRACE]

Run on the host under test (standard library only; root, for the raw
socket). Its output is that of `ping -D -n`: one line per reply,
"[epoch] 64 bytes from ADDRESS: icmp_seq=N ttl=T time=R ms", then
"N packets transmitted, M received, ..., time Tms", where time runs from the
first request to the moment sending stopped. A request the kernel refuses to
send (no route, interface down) counts as transmitted and not answered."""

import os
import select
import signal
import socket
import struct
import sys
import time


def checksum(data):
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF


def main(address, interval, grace=2.0):
    v6 = ":" in address
    sock = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_RAW,
                         socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
    if v6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
    request, reply = (128, 129) if v6 else (8, 0)
    ident = os.getpid() & 0xFFFF
    stopped = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *dummy: stopped.append(time.time()) if not stopped else None)
    sent, answered = {}, set()
    print("PING %s: 56 data bytes" % address, flush=True)
    start = next_send = time.time()
    while True:
        now = time.time()
        if stopped:
            if len(answered) == len(sent) or now >= stopped[0] + grace:
                break
            timeout = stopped[0] + grace - now
        else:
            if now >= next_send:
                seq = len(sent) + 1
                # the kernel fills in the ICMPv6 checksum itself
                header = struct.pack("!BBHHH", request, 0, 0, ident, seq & 0xFFFF)
                payload = bytes(56)
                if not v6:
                    header = struct.pack("!BBHHH", request, 0, checksum(header + payload), ident, seq & 0xFFFF)
                sent[seq] = now
                try:
                    sock.sendto(header + payload, (address, 0))
                except OSError as error:
                    print("[%.6f] icmp_seq=%d send failed: %s" % (now, seq, error.strerror), flush=True)
                # keep the cadence, but after a stall do not send a burst to catch up
                next_send = max(next_send + interval, now)
            timeout = max(0.0, next_send - time.time())
        if not select.select([sock], [], [], timeout)[0]:
            continue
        data, ancillary, dummy, dummy = sock.recvmsg(2048, socket.CMSG_SPACE(4))
        arrived = time.time()
        if v6:
            ttl = next((struct.unpack("i", value[:4])[0] for level, kind, value in ancillary
                        if level == socket.IPPROTO_IPV6 and kind == socket.IPV6_HOPLIMIT), 0)
        else:
            ttl, data = data[8], data[(data[0] & 0x0F) * 4:]
        kind, dummy, dummy, their_ident, their_seq = struct.unpack("!BBHHH", data[:8])
        if kind != reply or their_ident != ident:
            continue
        # sequence numbers wrap at 65536: the newest request with these low bits
        seq = max((s for s in sent if s & 0xFFFF == their_seq), default=None)
        if seq is None:
            continue
        print("[%.6f] 64 bytes from %s: icmp_seq=%d ttl=%d time=%.3f ms%s" % (
            arrived, address, seq, ttl, (arrived - sent[seq]) * 1000, " (DUP!)" if seq in answered else ""), flush=True)
        answered.add(seq)
    end = stopped[0] if stopped else time.time()
    print("\n--- %s ping statistics ---" % address)
    print("%d packets transmitted, %d received, %d%% packet loss, time %dms" % (
        len(sent), len(answered), 100 * (len(sent) - len(answered)) // max(len(sent), 1), (end - start) * 1000), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), *[float(a) for a in sys.argv[3:4]])

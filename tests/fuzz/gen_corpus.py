#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_wire into tests/fuzz/corpus/.

Each seed is one selector byte, then a 32-byte header, then the payload,
laid out as docs/PROTOCOL.md says (big-endian). Run from anywhere; the
files are rewritten byte for byte identical each time."""

import os
import struct

MAGIC, VERSION = 0x7070, 3
TASK, RESULT, HELLO, ACK, COMPLETE, STATE, REQUEST, CREDIT, BYE = range(1, 10)
RUN_ID = 0x5EED0F0F12345678
WORKER = 0xC0FFEE01
UNLIMITED = 0x40          # selector bit: max_item = SIZE_MAX


def header(mtype, flags=0, run_id=RUN_ID, seq=0, worker=0, count=0):
    return struct.pack(">HBBHHQQII", MAGIC, VERSION, mtype, flags, 0,
                       run_id, seq, worker, count)


def record(seq, data, outcome=0, attempt=0, t_enq_us=1_700_000_000_000_000):
    # seq, t_enq_us, record, start_us, runtime_us, len, input_len, outcome,
    # attempt, status, flags, reserved
    return struct.pack(">QQQQQIIBBhB3x", seq, t_enq_us, seq + 1, 0, 0,
                       len(data), 0, outcome, attempt, 0, 0) + data


def batch(mtype, records, worker=0):
    seq = min(r[0] for r in records)
    payload = b"".join(record(*r) for r in records)
    return header(mtype, seq=seq, worker=worker, count=len(records)), payload


def state(sent, total, window, ok=0, failed=0, dropped=0, retries=0,
          expected=0, exact=0):
    return struct.pack(">QQIQQQIQB", sent, total, window, ok, failed, dropped,
                       retries, expected, exact)


def settings(max_item=1 << 20, heartbeat_ms=1000, flow=0):
    """The run settings after a STATE's counts."""
    return struct.pack(">QIB3x", max_item, heartbeat_ms, flow)


def hello(pid, threads, capacity, flow, host, max_item=1 << 20):
    return struct.pack(">IIIBI", pid, threads, capacity, flow,
                       max_item) + host


UNKNOWN = 2**64 - 1
SEEDS = {
    "task_1": (63, *batch(TASK, [(0, b"hello")])),
    "task_3": (63, *batch(TASK, [(7, b"1"), (8, b""), (9, b"22 33 44")])),
    "task_failed": (63, *batch(TASK, [(4, b"item over --max-item-size", 1)])),
    "task_at_limit": (16, *batch(TASK, [(0, b"x" * 16), (1, b"y" * 16)])),
    "task_big": (UNLIMITED, *batch(TASK, [(100, bytes(range(256)) * 2)])),
    "result_2": (63, *batch(RESULT, [(0, b"25", 0, 0), (1, b"", 2, 1)],
                            WORKER)),
    "result_retry": (63, *batch(RESULT, [(5, b"exit status 3", 1, 2)],
                                WORKER)),
    "hello_push": (0, header(HELLO, worker=WORKER),
                   hello(4242, 4, 64, 0, b"node-1.example")),
    "hello_credit": (0, header(HELLO, worker=WORKER),
                     hello(1, 1, 8, 1, b"h" * 63)),
    "hello_nohost": (0, header(HELLO, worker=WORKER), hello(7, 2, 16, 0, b"")),
    "ack_1": (0, header(ACK, count=1), struct.pack(">QQ", 0, 10)),
    "ack_3": (0, header(ACK, count=3),
              struct.pack(">QQQQQQ", 0, 1, 5, 3, 2**63, 2**32)),
    "complete": (0, header(COMPLETE, count=0), state(100, 100, 64, 97, 2, 1)),
    "state_running": (0, header(STATE, 2, seq=10),
                      state(10, UNKNOWN, 64, expected=1000, exact=1) +
                      settings()),
    "state_draining": (0, header(STATE, 3, seq=50),
                       state(50, 50, 8, 0, 0, 3) +
                       settings(4 << 20, 250, 1)),
    "state_done": (0, header(STATE, 4, seq=50),
                   state(50, 50, 8, 48, 1, 1) + settings(1 << 30, 10, 1)),
    "request_drain": (0, header(REQUEST, 1, run_id=0), b""),
    "request_abort": (0, header(REQUEST, 2), b""),
    "credit": (0, header(CREDIT, seq=16, worker=WORKER), b""),
    "bye": (0, header(BYE, worker=WORKER), b""),
}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(out, exist_ok=True)
    for name, (selector, head, payload) in SEEDS.items():
        blob = bytes([selector]) + head + payload
        assert len(head) == 32 and len(blob) < 1024, name
        with open(os.path.join(out, name), "wb") as f:
            f.write(blob)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Smoke test of the gate firmware running in simavr (firmware/sim/gate-sim).

Each case starts its own gate-sim, talks to the firmware over the pty the harness prints, drives
the loop and beam through the harness's stdin and watches the relay on its stdout. Standard
library only. Prints one line per case and a closing "sim-test: N passed, N failed".
"""
import argparse
import os
import select
import subprocess
import sys
import termios
import time
import tty

FW_VERSION = "clearpark-gate/1.0.0"
WAIT = 10.0  # seconds: generous, the simulation may run slower than real time on a busy machine


class Failure(Exception):
    pass


def framed(body):
    checksum = 0
    for byte in body.encode():
        checksum ^= byte
    return ("%s*%02X\n" % (body, checksum)).encode()


def unframe(line):
    """BODY of a line the firmware sent; raises Failure if the framing is wrong."""
    if len(line) < 3 or line[-3:-2] != b"*":
        raise Failure("unframed line from the firmware: %r" % line)
    body, digits = line[:-3], line[-2:]
    checksum = 0
    for byte in body:
        checksum ^= byte
    if digits != b"%02X" % checksum:
        raise Failure("bad checksum from the firmware: %r" % line)
    return body.decode()


class Sim:
    def __init__(self, harness, elf):
        self.proc = subprocess.Popen([harness, elf], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.out_buffer = b""
        self.pty_buffer = b""
        self.out_lines = []  # harness stdout lines not yet taken
        self.pty_lines = []  # firmware lines not yet taken
        self.speed = None
        self.pty = None
        first = self._next(lambda: self.out_lines, WAIT, "the PTY line")
        if not first.startswith("PTY /dev/"):
            raise Failure("first line of gate-sim is not PTY: %r" % first)
        path = first.split(" ", 1)[1]
        self.pty = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        # At once, not after a flush: the firmware may already be sending its boot READY, and
        # the default (TCSAFLUSH) throws away what is pending, which cut that line in two.
        tty.setraw(self.pty, termios.TCSANOW)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"quit\n")
                self.proc.stdin.flush()
                rest, _ = self.proc.communicate(timeout=WAIT)
                for line in rest.decode().splitlines():
                    if line.startswith("SPEED "):
                        self.speed = line.split()[1]
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        if self.pty is not None:
            os.close(self.pty)

    def send(self, body):
        os.write(self.pty, framed(body))

    def send_raw(self, data):
        os.write(self.pty, data)

    def control(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def _pump(self, timeout):
        fds = [self.proc.stdout] + ([self.pty] if self.pty is not None else [])
        ready, _, _ = select.select(fds, [], [], max(timeout, 0))
        if self.proc.stdout in ready:
            data = os.read(self.proc.stdout.fileno(), 4096)
            if not data:
                raise Failure("gate-sim exited (status %s)" % self.proc.wait())
            self.out_buffer += data
            while b"\n" in self.out_buffer:
                line, self.out_buffer = self.out_buffer.split(b"\n", 1)
                text = line.decode()
                if text.startswith("SPEED "):
                    self.speed = text.split()[1]
                else:
                    self.out_lines.append(text)
        if self.pty is not None and self.pty in ready:
            try:
                data = os.read(self.pty, 4096)
            except BlockingIOError:
                data = b""
            self.pty_buffer += data
            while b"\n" in self.pty_buffer:
                line, self.pty_buffer = self.pty_buffer.split(b"\n", 1)
                self.pty_lines.append(unframe(line))

    def _next(self, queue, timeout, what):
        deadline = time.monotonic() + timeout
        while not queue():
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("no %s within %.0f s" % (what, timeout))
            self._pump(left)
        return queue().pop(0)

    def expect(self, body, timeout=WAIT, skip=()):
        """Waits for the firmware line `body`; lines starting with one of `skip` may come first."""
        while True:
            line = self._next(lambda: self.pty_lines, timeout, "line %r from the firmware" % body)
            if line == body:
                return
            if not line.startswith(tuple(skip)) or not skip:
                raise Failure("firmware sent %r, expected %r" % (line, body))

    def expect_out(self, text, timeout=WAIT):
        line = self._next(lambda: self.out_lines, timeout, "%r from gate-sim" % text)
        if line != text:
            raise Failure("gate-sim printed %r, expected %r" % (line, text))

    def quiet(self, seconds):
        """Nothing from the firmware or the relay for `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._pump(deadline - time.monotonic())
            if self.pty_lines or self.out_lines:
                raise Failure("unexpected: firmware %r, gate-sim %r" % (self.pty_lines, self.out_lines))

    def start(self):
        """The boot READY, then the relay's initial state, then HELLO answered."""
        self.expect("READY " + FW_VERSION)
        self.expect_out("RELAY 0")
        self.send("HELLO")
        self.expect("READY " + FW_VERSION)


def vehicle_passes(sim):
    sim.control("presence 1")
    sim.expect("EVT PRESENCE 1")
    sim.control("beam 1")
    sim.quiet(0.2)
    sim.control("presence 0")
    sim.expect("EVT PRESENCE 0")
    sim.control("beam 0")
    sim.expect("EVT PASSED")


def case_open_pass_close(sim):
    sim.start()
    sim.send("OPEN 1")
    sim.expect("ACK 1")
    sim.expect_out("RELAY 1")
    sim.expect("EVT OPENED")
    vehicle_passes(sim)
    sim.expect_out("RELAY 0")
    sim.expect("EVT CLOSED")
    sim.send("STATUS 2")
    sim.expect("ACK 2")
    sim.expect("STATE gate=closed presence=0 beam=0")


def case_timeout(sim):
    sim.start()
    sim.send("OPEN 7")
    sim.expect("ACK 7")
    sim.expect_out("RELAY 1")
    sim.expect("EVT OPENED")
    sim.expect("EVT TIMEOUT")
    sim.expect_out("RELAY 0")
    sim.expect("EVT CLOSED")


def case_presence_holds_the_barrier(sim):
    sim.start()
    sim.send("OPEN 1")
    sim.expect("ACK 1")
    sim.expect_out("RELAY 1")
    sim.expect("EVT OPENED")
    sim.control("presence 1")
    sim.expect("EVT PRESENCE 1")
    sim.quiet(3.0)  # past the open timeout (2 s) and the close delay: the relay stays on
    sim.send("CLOSE 2")  # even when told to close
    sim.expect("ACK 2")
    sim.quiet(1.0)
    sim.send("STATUS 3")
    sim.expect("ACK 3")
    sim.expect("STATE gate=open presence=1 beam=0")
    sim.control("presence 0")
    sim.expect("EVT PRESENCE 0")
    sim.expect_out("RELAY 0")
    sim.expect("EVT CLOSED")


def case_bad_checksum_and_resend(sim):
    sim.start()
    sim.send_raw(b"OPEN 5*00\n")  # wrong checksum: no answer, no motion
    sim.send_raw(b"OPEN 5\n")  # no checksum at all
    sim.quiet(1.0)
    sim.send("STATUS 4")
    sim.expect("ACK 4")
    sim.expect("STATE gate=closed presence=0 beam=0")
    sim.send("OPEN 6")
    sim.expect("ACK 6")
    sim.send("OPEN 6")  # the console's resend: answered, not executed again
    sim.expect("ACK 6")
    sim.expect_out("RELAY 1")
    sim.expect("EVT OPENED")
    vehicle_passes(sim)
    # Had the resend been executed, a second vehicle would be expected: the barrier would stay
    # up until EVT TIMEOUT. One expected, one passed: it closes, and CLOSED is the next line.
    sim.expect_out("RELAY 0")
    sim.expect("EVT CLOSED")


def case_watchdog_restart(sim):
    sim.start()
    sim.send("HOLD 1")
    sim.expect("ACK 1")
    sim.expect_out("RELAY 1")
    sim.expect("EVT OPENED")
    sim.control("hang")
    sim.expect_out("RESET")
    sim.expect_out("RELAY 0")
    sim.expect("READY " + FW_VERSION)
    sim.expect("EVT FAULT WDT")
    sim.expect_out("RELAY 1")  # it was up: kept up until the lane is clear, then closed
    sim.expect_out("RELAY 0")
    sim.expect("EVT CLOSED")


CASES = [
    case_open_pass_close,
    case_timeout,
    case_presence_holds_the_barrier,
    case_bad_checksum_and_resend,
    case_watchdog_restart,
]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--harness", default="firmware/build/sim/gate-sim")
    parser.add_argument("--elf", default="firmware/build/gate-sim.elf")
    args = parser.parse_args()
    for path in (args.harness, args.elf):
        if not os.path.exists(path):
            print("sim-test: %s is missing (make -C firmware && make -C firmware/sim)" % path)
            return 2
    passed = failed = 0
    for case in CASES:
        name = case.__name__[len("case_"):]
        started = time.monotonic()
        sim = None
        try:
            sim = Sim(args.harness, args.elf)
            case(sim)
            passed += 1
            verdict = "ok  "
            detail = ""
        except Failure as failure:
            failed += 1
            verdict = "FAIL"
            detail = ": %s" % failure
        finally:
            if sim is not None:
                sim.close()
        speed = sim.speed if sim is not None and sim.speed else "?"
        print("sim-test: %s %s (%.1f s, SPEED %s)%s"
              % (verdict, name, time.monotonic() - started, speed, detail))
        sys.stdout.flush()
    print("sim-test: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

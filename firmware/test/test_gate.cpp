// Host unit tests of the gate controller's logic (firmware/gate/gate_logic.cpp, gate_frame.cpp):
// the exact code the Uno runs, driven here with bytes, sensor levels and a simulated clock.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "check.h"
#include "gate_logic.h"

using gate::GateState;

namespace {

// Documented defaults (docs/gate-protocol.md); the host build sets no -D flags.
const uint32_t TRAVEL = 1500;
const uint32_t CLOSE_DELAY = 2000;
const uint32_t OPEN_TIMEOUT = 30000;
const uint32_t DEBOUNCE = 50;
const uint32_t STUCK = 600000;

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;  // lower case is never sent
}

std::string with_checksum(const std::string& body) {
    unsigned sum = 0;
    for (char c : body) sum ^= static_cast<unsigned char>(c);
    char hex[4];
    std::snprintf(hex, sizeof hex, "%02X", sum);
    return body + "*" + hex;
}

// Records the controller's lines, checking each one's framing on the way.
class Recorder : public gate::Output {
public:
    std::vector<std::string> lines;

    void send_line(const char* line, uint8_t len) override {
        std::string text(line, len);
        bool framed = len >= 4 && text[len - 1] == '\n' && text[len - 4] == '*';
        if (framed) {
            std::string body = text.substr(0, len - 4);
            int high = hex_digit(text[len - 3]);
            int low = hex_digit(text[len - 2]);
            framed = high >= 0 && low >= 0 && body.size() <= gate::MAX_BODY &&
                     with_checksum(body) == text.substr(0, len - 1);
            if (framed) {
                lines.push_back(body);
                return;
            }
        }
        lines.push_back("MALFORMED " + text);
    }
};

// One lane: a controller, its sensors and a clock that advances a millisecond per tick.
struct Lane {
    Recorder out;
    gate::Controller controller;
    uint32_t now;
    bool presence = false;
    bool beam = false;

    explicit Lane(uint32_t start = 1000, gate::Boot boot = gate::Boot{false, false})
        : controller(out, gate::build_timings()), now(start) {
        controller.begin(now, boot);
        tick();
    }

    void tick() { controller.tick(now, presence, beam); }

    void advance(uint32_t ms) {
        for (uint32_t i = 0; i < ms; i++) {
            now++;
            tick();
        }
    }

    void bytes(const std::string& data) {
        for (char c : data) controller.receive(static_cast<uint8_t>(c), now);
    }

    // One command, read in the same pass of the firmware's loop as a tick (as gate.ino does).
    void send(const std::string& body) {
        bytes(with_checksum(body) + "\n");
        tick();
    }

    // A sensor changes now, and settles once the debounce time has passed.
    void set_presence(bool on) {
        presence = on;
        tick();
        advance(DEBOUNCE);
    }
    void set_beam(bool on) {
        beam = on;
        tick();
        advance(DEBOUNCE);
    }

    std::vector<std::string> take() {
        std::vector<std::string> taken;
        taken.swap(out.lines);
        return taken;
    }

    std::string state_line() {
        take();
        send("STATUS 999");
        std::vector<std::string> lines = take();
        return lines.size() == 2 ? lines[1] : std::string("no STATE");
    }

    // Opens for one vehicle and waits until the barrier is up.
    void open_and_wait(uint16_t seq) {
        send("OPEN " + std::to_string(seq));
        advance(TRAVEL);
    }

    // One vehicle drives through: onto the loop, into the beam, off the loop, out of the beam.
    void drive_through() {
        set_presence(true);
        set_beam(true);
        set_presence(false);
        set_beam(false);
    }
};

std::string join(const std::vector<std::string>& lines) {
    std::string all;
    for (const std::string& line : lines) all += line + "|";
    return all;
}

bool contains(const std::vector<std::string>& lines, const std::string& line) {
    for (const std::string& l : lines)
        if (l == line) return true;
    return false;
}

}  // namespace

// ---- framing ----

TEST(checksum_is_xor_of_body) {
    CHECK_EQ(int(gate::checksum("HELLO", 5)), 'H' ^ 'E' ^ 'L' ^ 'L' ^ 'O');
    CHECK_EQ(int(gate::checksum("", 0)), 0);
    CHECK_EQ(with_checksum("PING 1"), std::string("PING 1*01"));
}

TEST(start_up_sends_ready) {
    Lane lane;
    CHECK_EQ(join(lane.take()), std::string("READY clearpark-gate/1.0.0|"));
    CHECK(!lane.controller.relay());
    CHECK(lane.controller.gate() == GateState::CLOSED);
}

TEST(accepts_crlf_and_lower_case_hex) {
    Lane lane;
    lane.take();
    lane.bytes("PING 1*01\r\n");
    lane.bytes("STATUS 10*35\n");
    CHECK_EQ(join(lane.take()), std::string("PONG 1|ACK 10|STATE gate=closed presence=0 beam=0|"));
    CHECK_EQ(lane.controller.bad_lines(), 0u);
}

TEST(bad_lines_are_dropped_counted_and_never_answered) {
    Lane lane;
    lane.take();
    lane.bytes("OPEN 1*00\n");                 // wrong checksum
    lane.bytes("OPEN 2\n");                    // no *HH
    lane.bytes("OPEN 3*G1\n");                 // bad hex
    lane.bytes("OPEN 4*1\n");                  // one hex digit
    lane.bytes("\n");                          // empty line
    lane.bytes(with_checksum("OPEN\t5") + "\n");  // control byte in the body
    lane.bytes(with_checksum("OPEN \xC3\xA9") + "\n");  // non-ASCII in the body
    lane.bytes(with_checksum("HELLO") + "\r\r\n");       // only one \r is allowed
    CHECK_EQ(lane.take().size(), 0u);
    CHECK_EQ(lane.controller.bad_lines(), 8u);
    CHECK_EQ(int(lane.controller.expected()), 0);
    lane.advance(TRAVEL * 2);
    CHECK(!lane.controller.relay());
    CHECK_EQ(lane.take().size(), 0u);
}

TEST(body_limit_is_sixty_bytes) {
    Lane lane;
    lane.take();
    std::string sixty = "PING 1 " + std::string(53, 'x');  // 60 bytes: read, then refused as ARG
    lane.send(sixty);
    CHECK_EQ(join(lane.take()), std::string("NAK 1 ARG|"));
    lane.send(sixty + "x");  // 61 bytes: dropped
    CHECK_EQ(lane.take().size(), 0u);
    CHECK_EQ(lane.controller.bad_lines(), 1u);
}

TEST(overlong_line_is_discarded_up_to_its_newline) {
    Lane lane;
    lane.take();
    lane.bytes(std::string(300, 'A') + "OPEN 1*11\n");
    CHECK_EQ(lane.take().size(), 0u);
    CHECK_EQ(lane.controller.bad_lines(), 1u);
    lane.send("PING 2");  // the next line is read whole again
    CHECK_EQ(join(lane.take()), std::string("PONG 2|"));
}

TEST(line_split_across_reads_is_joined) {
    Lane lane;
    lane.take();
    std::string line = with_checksum("PING 77") + "\n";
    for (char c : line) {
        lane.bytes(std::string(1, c));
        lane.advance(1);
    }
    CHECK_EQ(join(lane.take()), std::string("PONG 77|"));
}

// ---- commands ----

TEST(hello_ping_status) {
    Lane lane;
    lane.take();
    lane.send("HELLO");
    lane.send("PING 7");
    lane.send("STATUS 9");
    CHECK_EQ(join(lane.take()),
             std::string("READY clearpark-gate/1.0.0|PONG 7|ACK 9|STATE gate=closed presence=0 beam=0|"));
}

TEST(open_acks_raises_relay_and_reports_opened) {
    Lane lane;
    lane.take();
    lane.send("OPEN 1");
    CHECK_EQ(join(lane.take()), std::string("ACK 1|"));
    lane.advance(1);
    CHECK(lane.controller.relay());
    CHECK(lane.controller.gate() == GateState::OPENING);
    CHECK_EQ(lane.state_line(), std::string("STATE gate=opening presence=0 beam=0"));
    lane.advance(TRAVEL - 2);
    CHECK_EQ(lane.take().size(), 0u);
    lane.advance(1);
    CHECK_EQ(join(lane.take()), std::string("EVT OPENED|"));
    CHECK_EQ(lane.state_line(), std::string("STATE gate=open presence=0 beam=0"));
    CHECK(lane.controller.relay());
}

TEST(naks_and_nothing_done) {
    Lane lane;
    lane.take();
    lane.send("FOO 3");
    lane.send("FOO");
    lane.send("FOO bar");
    lane.send("open 4");
    lane.send("OPEN");
    lane.send("OPEN ");
    lane.send("OPEN x");
    lane.send("OPEN -1");
    lane.send("OPEN 65536");
    lane.send("OPEN 123456");
    lane.send("OPEN 5 6");
    lane.send("OPEN  5");
    lane.send("HOLD 1.5");
    lane.send("HELLO 3");
    lane.send("");
    CHECK_EQ(join(lane.take()), std::string("NAK 3 UNKNOWN|NAK 0 UNKNOWN|NAK 0 UNKNOWN|NAK 4 UNKNOWN|"
                                            "NAK 0 ARG|NAK 0 ARG|NAK 0 ARG|NAK 0 ARG|NAK 0 ARG|NAK 0 ARG|"
                                            "NAK 5 ARG|NAK 0 ARG|NAK 0 ARG|NAK 3 ARG|NAK 0 UNKNOWN|"));
    lane.advance(TRAVEL * 2);
    CHECK(!lane.controller.relay());
    CHECK_EQ(int(lane.controller.expected()), 0);
    CHECK(!lane.controller.held());
    CHECK_EQ(lane.take().size(), 0u);
    CHECK_EQ(lane.controller.bad_lines(), 0u);
}

TEST(seq_limits) {
    Lane lane;
    lane.take();
    lane.send("PING 0");
    lane.send("PING 65535");
    lane.send("PING 00042");
    CHECK_EQ(join(lane.take()), std::string("PONG 0|PONG 65535|PONG 42|"));
}

TEST(resend_is_answered_but_not_executed) {
    Lane lane;
    lane.take();
    lane.send("OPEN 5");
    lane.send("OPEN 5");
    lane.send("OPEN 5");
    CHECK_EQ(join(lane.take()), std::string("ACK 5|ACK 5|ACK 5|"));
    CHECK_EQ(int(lane.controller.expected()), 1);
    lane.send("OPEN 6");
    CHECK_EQ(int(lane.controller.expected()), 2);
    lane.send("PING 7");
    lane.send("PING 7");
    lane.send("STATUS 8");
    lane.send("STATUS 8");
    CHECK_EQ(join(lane.take()),
             std::string("ACK 6|PONG 7|PONG 7|ACK 8|STATE gate=opening presence=0 beam=0|"
                         "ACK 8|STATE gate=opening presence=0 beam=0|"));
}

TEST(resend_of_hold_after_release_does_not_hold_again) {
    Lane lane;
    lane.send("HOLD 1");
    lane.send("RELEASE 2");
    lane.send("RELEASE 2");
    CHECK(!lane.controller.held());
    lane.send("CLOSE 3");
    lane.send("CLOSE 3");
    lane.send("OPEN 4");
    lane.send("OPEN 4");  // only the last command counts as a resend
    CHECK_EQ(int(lane.controller.expected()), 1);
}

TEST(same_seq_with_another_verb_is_a_new_command) {
    Lane lane;
    lane.send("OPEN 5");
    lane.send("HOLD 5");
    CHECK(lane.controller.held());
    CHECK_EQ(int(lane.controller.expected()), 1);
}

TEST(hello_starts_a_new_conversation) {
    Lane lane;
    lane.send("OPEN 1");
    lane.send("HELLO");
    lane.send("OPEN 1");  // a restarted console counting from 1 again
    CHECK_EQ(int(lane.controller.expected()), 2);
}

TEST(seq_wraps) {
    Lane lane;
    lane.send("OPEN 65535");
    lane.send("OPEN 0");
    CHECK_EQ(int(lane.controller.expected()), 2);
}

TEST(at_most_eight_expected) {
    Lane lane;
    for (int seq = 1; seq <= 10; seq++) lane.send("OPEN " + std::to_string(seq));
    CHECK_EQ(int(lane.controller.expected()), 8);
    CHECK_EQ(lane.take().size(), 11u);  // READY and ten ACKs
}

// ---- the safety latch ----

TEST(closes_close_delay_after_the_vehicle_passed) {
    Lane lane;
    lane.open_and_wait(1);
    lane.take();
    lane.set_presence(true);
    lane.set_beam(true);
    lane.set_presence(false);
    CHECK_EQ(join(lane.take()), std::string("EVT PRESENCE 1|EVT PRESENCE 0|"));
    lane.set_beam(false);
    CHECK_EQ(join(lane.take()), std::string("EVT PASSED|"));
    CHECK_EQ(int(lane.controller.expected()), 0);
    lane.advance(CLOSE_DELAY - 1);
    CHECK(lane.controller.relay());
    CHECK(lane.controller.gate() == GateState::OPEN);
    lane.advance(1);
    CHECK(!lane.controller.relay());
    CHECK(lane.controller.gate() == GateState::CLOSING);
    lane.advance(TRAVEL - 1);
    CHECK_EQ(lane.take().size(), 0u);
    lane.advance(1);
    CHECK_EQ(join(lane.take()), std::string("EVT CLOSED|"));
    CHECK(lane.controller.gate() == GateState::CLOSED);
}

TEST(never_closes_while_presence) {
    Lane lane;
    lane.open_and_wait(1);
    lane.set_presence(true);
    lane.send("CLOSE 2");  // even told to
    lane.take();
    lane.advance(OPEN_TIMEOUT + CLOSE_DELAY + TRAVEL);
    CHECK(lane.controller.relay());
    CHECK(lane.controller.gate() == GateState::OPEN);
    CHECK_EQ(lane.take().size(), 0u);
    lane.set_presence(false);  // backs off without going through
    CHECK_EQ(join(lane.take()), std::string("EVT PRESENCE 0|"));
    lane.advance(CLOSE_DELAY - 1);
    CHECK(lane.controller.relay());
    lane.advance(1);
    CHECK(!lane.controller.relay());
}

TEST(never_closes_while_beam) {
    Lane lane;
    lane.open_and_wait(1);
    lane.set_beam(true);  // something under the barrier the loop does not see
    lane.send("CLOSE 2");
    lane.advance(OPEN_TIMEOUT + CLOSE_DELAY + TRAVEL);
    CHECK(lane.controller.relay());
    lane.set_beam(false);
    lane.advance(CLOSE_DELAY - 1);
    CHECK(lane.controller.relay());
    lane.advance(1);
    CHECK(!lane.controller.relay());
}

TEST(reopens_when_a_vehicle_appears_while_closing) {
    Lane lane;
    lane.open_and_wait(1);
    lane.drive_through();
    lane.advance(CLOSE_DELAY);
    CHECK(lane.controller.gate() == GateState::CLOSING);
    lane.advance(400);  // 400 ms down
    lane.take();
    lane.presence = true;
    lane.tick();
    lane.advance(DEBOUNCE - 1);
    CHECK(!lane.controller.relay());
    lane.advance(1);
    CHECK(lane.controller.relay());
    CHECK(lane.controller.gate() == GateState::OPENING);
    lane.advance(400 + DEBOUNCE - 1);  // back up as far as it came down
    CHECK(lane.controller.gate() == GateState::OPENING);
    lane.advance(1);
    CHECK_EQ(join(lane.take()), std::string("EVT PRESENCE 1|EVT OPENED|"));
    lane.advance(10 * CLOSE_DELAY);
    CHECK(lane.controller.relay());  // stays up while the vehicle is on the loop
    lane.set_beam(true);
    lane.set_presence(false);
    lane.set_beam(false);
    CHECK_EQ(join(lane.take()), std::string("EVT PRESENCE 0|EVT PASSED|"));
    lane.advance(CLOSE_DELAY);
    CHECK(!lane.controller.relay());
    lane.advance(TRAVEL);
    CHECK(lane.controller.gate() == GateState::CLOSED);
}

TEST(reopens_on_beam_while_closing) {
    Lane lane;
    lane.advance(CLOSE_DELAY);  // clear for long enough to close at once
    lane.send("HOLD 1");
    lane.advance(TRAVEL);
    lane.send("RELEASE 2");
    lane.advance(1);
    CHECK(lane.controller.gate() == GateState::CLOSING);
    lane.set_beam(true);
    CHECK(lane.controller.relay());
}

TEST(reopens_on_open_while_closing) {
    Lane lane;
    lane.advance(CLOSE_DELAY);  // clear for long enough to close at once
    lane.send("HOLD 1");
    lane.advance(TRAVEL);
    lane.send("RELEASE 2");
    lane.advance(100);
    CHECK(lane.controller.gate() == GateState::CLOSING);
    lane.send("OPEN 3");
    lane.advance(1);
    CHECK(lane.controller.relay());
    lane.advance(100);
    CHECK(lane.controller.gate() == GateState::OPEN);
}

TEST(waiting_vehicle_does_not_open_a_closed_barrier) {
    Lane lane;
    lane.take();
    lane.set_presence(true);
    lane.set_beam(true);
    lane.advance(OPEN_TIMEOUT);
    CHECK(!lane.controller.relay());
    CHECK(lane.controller.gate() == GateState::CLOSED);
    CHECK_EQ(join(lane.take()), std::string("EVT PRESENCE 1|"));
}

TEST(timeout_when_nobody_comes) {
    Lane lane;
    lane.send("OPEN 1");
    lane.take();
    lane.advance(OPEN_TIMEOUT - 1);
    CHECK_EQ(join(lane.take()), std::string("EVT OPENED|"));
    CHECK_EQ(int(lane.controller.expected()), 1);
    lane.advance(1);
    CHECK_EQ(join(lane.take()), std::string("EVT TIMEOUT|"));
    CHECK_EQ(int(lane.controller.expected()), 0);
    lane.advance(1);
    CHECK(!lane.controller.relay());  // clear for long already: goes down at once
    lane.advance(TRAVEL);
    CHECK_EQ(join(lane.take()), std::string("EVT CLOSED|"));
}

TEST(timeout_counts_from_the_last_open) {
    Lane lane;
    lane.send("OPEN 1");
    lane.advance(10000);
    lane.send("OPEN 2");
    lane.advance(OPEN_TIMEOUT - 1);
    CHECK_EQ(int(lane.controller.expected()), 2);
    lane.advance(1);
    CHECK_EQ(int(lane.controller.expected()), 0);
}

TEST(timeout_counts_from_the_last_passage) {
    Lane lane;
    lane.send("OPEN 1");
    lane.send("OPEN 2");
    lane.advance(20000);
    lane.drive_through();
    lane.take();
    CHECK_EQ(int(lane.controller.expected()), 1);
    lane.advance(OPEN_TIMEOUT - 1);
    CHECK_EQ(lane.take().size(), 0u);
    CHECK(lane.controller.relay());
    lane.advance(1);
    CHECK_EQ(join(lane.take()), std::string("EVT TIMEOUT|"));
}

TEST(no_timeout_while_a_vehicle_is_on_the_loop) {
    Lane lane;
    lane.send("OPEN 1");
    lane.set_presence(true);
    lane.advance(TRAVEL);
    CHECK_EQ(join(lane.take()), std::string("READY clearpark-gate/1.0.0|ACK 1|EVT PRESENCE 1|EVT OPENED|"));
    lane.advance(2 * OPEN_TIMEOUT);
    CHECK_EQ(lane.take().size(), 0u);
    lane.set_presence(false);  // drove off without going through
    CHECK_EQ(join(lane.take()), std::string("EVT PRESENCE 0|EVT TIMEOUT|"));
    lane.advance(CLOSE_DELAY - 1);
    CHECK(lane.controller.relay());
    lane.advance(1);
    CHECK(!lane.controller.relay());
}

TEST(two_expected_stay_open_between_them) {
    Lane lane;
    lane.send("OPEN 1");
    lane.send("OPEN 2");
    lane.advance(TRAVEL);
    lane.drive_through();
    lane.advance(3 * CLOSE_DELAY);
    CHECK(lane.controller.relay());
    CHECK_EQ(int(lane.controller.expected()), 1);
    lane.drive_through();
    CHECK_EQ(int(lane.controller.expected()), 0);
    lane.advance(CLOSE_DELAY);
    CHECK(!lane.controller.relay());
}

TEST(hold_and_release) {
    Lane lane;
    lane.take();
    lane.send("HOLD 1");
    lane.advance(TRAVEL);
    CHECK_EQ(join(lane.take()), std::string("ACK 1|EVT OPENED|"));
    lane.advance(3 * OPEN_TIMEOUT);
    CHECK(lane.controller.relay());
    lane.drive_through();  // a vehicle through while nothing was expected
    CHECK(contains(lane.take(), "EVT PASSED"));
    lane.advance(3 * CLOSE_DELAY);
    CHECK(lane.controller.relay());
    CHECK(lane.controller.held());
    lane.send("RELEASE 2");
    lane.advance(1);
    CHECK(!lane.controller.relay());
    CHECK(!lane.controller.held());
}

TEST(release_waits_for_the_close_delay_after_a_vehicle) {
    Lane lane;
    lane.send("HOLD 1");
    lane.advance(TRAVEL);
    lane.drive_through();
    lane.send("RELEASE 2");
    lane.advance(CLOSE_DELAY - 1);
    CHECK(lane.controller.relay());
    lane.advance(1);
    CHECK(!lane.controller.relay());
}

TEST(release_keeps_expected_vehicles) {
    Lane lane;
    lane.send("HOLD 1");
    lane.send("OPEN 2");
    lane.advance(TRAVEL);
    lane.send("RELEASE 3");
    lane.advance(3 * CLOSE_DELAY);
    CHECK(lane.controller.relay());
    lane.drive_through();
    lane.advance(CLOSE_DELAY);
    CHECK(!lane.controller.relay());
}

TEST(close_forgets_expected_and_ends_hold) {
    Lane lane;
    lane.advance(CLOSE_DELAY);  // clear for long enough to close at once
    lane.send("HOLD 1");
    lane.send("OPEN 2");
    lane.send("OPEN 3");
    lane.advance(TRAVEL);
    lane.send("CLOSE 4");
    CHECK_EQ(int(lane.controller.expected()), 0);
    CHECK(!lane.controller.held());
    lane.advance(1);
    CHECK(!lane.controller.relay());
    lane.advance(TRAVEL);
    CHECK(lane.controller.gate() == GateState::CLOSED);
}

TEST(relay_follows_the_barrier) {
    Lane lane;
    lane.advance(CLOSE_DELAY);  // clear for long enough to close at once
    CHECK(!lane.controller.relay());  // closed
    lane.send("OPEN 1");
    lane.advance(1);
    CHECK(lane.controller.gate() == GateState::OPENING);
    CHECK(lane.controller.relay());
    lane.advance(TRAVEL);
    CHECK(lane.controller.gate() == GateState::OPEN);
    CHECK(lane.controller.relay());
    lane.send("CLOSE 2");
    lane.advance(1);
    CHECK(lane.controller.gate() == GateState::CLOSING);
    CHECK(!lane.controller.relay());
}

TEST(passage_needs_loop_then_beam_then_clear) {
    Lane lane;
    lane.send("HOLD 1");
    lane.advance(TRAVEL);
    lane.take();
    lane.set_presence(true);  // onto the loop and off again: no passage
    lane.set_presence(false);
    lane.set_beam(true);  // beam alone (a pedestrian): no passage
    lane.set_beam(false);
    CHECK_EQ(join(lane.take()), std::string("EVT PRESENCE 1|EVT PRESENCE 0|"));
    lane.set_presence(true);  // loop and beam at once, then clear: a passage
    lane.set_beam(true);
    lane.beam = false;
    lane.presence = false;
    lane.tick();
    lane.advance(DEBOUNCE);
    CHECK_EQ(join(lane.take()), std::string("EVT PRESENCE 1|EVT PRESENCE 0|EVT PASSED|"));
}

TEST(passed_counted_only_once_both_are_clear) {
    Lane lane;
    lane.open_and_wait(1);
    lane.set_presence(true);
    lane.set_beam(true);
    lane.set_beam(false);  // out of the beam but still on the loop
    CHECK_EQ(int(lane.controller.expected()), 1);
    lane.set_presence(false);
    CHECK_EQ(int(lane.controller.expected()), 0);
}

TEST(debounce_ignores_short_glitches) {
    Lane lane;
    lane.take();
    for (int i = 0; i < 20; i++) {
        lane.presence = true;
        lane.tick();
        lane.advance(DEBOUNCE - 1);
        lane.presence = false;
        lane.tick();
        lane.advance(3);
    }
    CHECK_EQ(lane.take().size(), 0u);
    CHECK(!lane.controller.presence());
    lane.presence = true;
    lane.tick();
    lane.advance(DEBOUNCE - 1);
    CHECK(!lane.controller.presence());
    lane.advance(1);
    CHECK(lane.controller.presence());
    CHECK_EQ(join(lane.take()), std::string("EVT PRESENCE 1|"));
    CHECK_EQ(lane.state_line(), std::string("STATE gate=closed presence=1 beam=0"));
    lane.set_beam(true);
    CHECK_EQ(lane.state_line(), std::string("STATE gate=closed presence=1 beam=1"));
}

TEST(stuck_loop_and_beam_are_reported_once_per_episode) {
    Lane lane;
    lane.take();
    lane.set_presence(true);
    lane.advance(STUCK - 1);
    CHECK_EQ(join(lane.take()), std::string("EVT PRESENCE 1|"));
    lane.advance(1);
    CHECK_EQ(join(lane.take()), std::string("EVT FAULT LOOP|"));
    lane.advance(STUCK);
    CHECK_EQ(lane.take().size(), 0u);
    // The fault is reported, not a lock: the barrier still opens, and stays up.
    lane.send("OPEN 1");
    lane.advance(TRAVEL);
    CHECK_EQ(join(lane.take()), std::string("ACK 1|EVT OPENED|"));
    lane.set_presence(false);
    lane.set_presence(true);
    lane.advance(STUCK);
    CHECK_EQ(join(lane.take()), std::string("EVT PRESENCE 0|EVT PRESENCE 1|EVT FAULT LOOP|"));
    lane.set_presence(false);
    lane.take();
    lane.set_beam(true);
    lane.advance(STUCK);
    CHECK_EQ(join(lane.take()), std::string("EVT FAULT BEAM|"));
    CHECK(lane.controller.relay());
}

TEST(watchdog_restart_with_barrier_up_closes_once_clear) {
    Lane lane(1000, gate::Boot{true, true});
    CHECK_EQ(join(lane.take()), std::string("READY clearpark-gate/1.0.0|EVT FAULT WDT|"));
    CHECK(lane.controller.relay());
    CHECK(lane.controller.gate() == GateState::OPEN);
    lane.presence = true;  // the vehicle that was under the barrier
    lane.advance(5 * CLOSE_DELAY);
    CHECK(lane.controller.relay());
    lane.set_beam(true);
    lane.set_presence(false);
    lane.set_beam(false);
    lane.advance(CLOSE_DELAY - 1);
    CHECK(lane.controller.relay());
    lane.advance(1);
    CHECK(!lane.controller.relay());
}

TEST(watchdog_restart_with_barrier_down_stays_down) {
    Lane lane(1000, gate::Boot{true, false});
    CHECK_EQ(join(lane.take()), std::string("READY clearpark-gate/1.0.0|EVT FAULT WDT|"));
    lane.set_presence(true);  // a vehicle waiting at the barrier is not let in
    lane.advance(5 * CLOSE_DELAY);
    CHECK(!lane.controller.relay());
}

TEST(power_on_ignores_barrier_record) {
    Lane lane(1000, gate::Boot{false, true});
    CHECK_EQ(join(lane.take()), std::string("READY clearpark-gate/1.0.0|"));
    CHECK(!lane.controller.relay());
}

TEST(clock_wrap_is_harmless) {
    Lane lane(0xFFFFFFFFu - 1000);
    lane.send("OPEN 1");
    lane.advance(TRAVEL);
    lane.take();
    lane.advance(OPEN_TIMEOUT - TRAVEL - 1);
    CHECK_EQ(lane.take().size(), 0u);
    lane.advance(1);
    CHECK_EQ(join(lane.take()), std::string("EVT TIMEOUT|"));
}

TEST(every_line_sent_is_well_framed) {
    Lane lane;
    lane.send("HELLO");
    lane.send("STATUS 65535");
    lane.send("NOPE 1");
    lane.open_and_wait(2);
    lane.drive_through();
    lane.advance(CLOSE_DELAY + TRAVEL);
    std::vector<std::string> lines = lane.take();
    CHECK(lines.size() >= 10);
    for (const std::string& line : lines) CHECK(line.find("MALFORMED") != 0);
}

TEST(build_timings_are_the_documented_defaults) {
    gate::Timings t = gate::build_timings();
    CHECK_EQ(t.motor_travel_ms, TRAVEL);
    CHECK_EQ(t.close_delay_ms, CLOSE_DELAY);
    CHECK_EQ(t.open_timeout_ms, OPEN_TIMEOUT);
    CHECK_EQ(t.debounce_ms, DEBOUNCE);
    CHECK_EQ(t.stuck_ms, STUCK);
}

int main() { return check::run_all(); }

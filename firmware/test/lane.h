// Test fixture shared by the host unit tests: a controller with its sensors, a clock that
// advances a millisecond per tick, and a recorder that checks the framing of every line sent.
#ifndef LANE_H
#define LANE_H

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "check.h"
#include "gate_logic.h"

using gate::GateState;

namespace test {

// Documented defaults (docs/gate-protocol.md); the host build sets no -D flags.
const uint32_t TRAVEL = 1500;
const uint32_t CLOSE_DELAY = 2000;
const uint32_t OPEN_TIMEOUT = 30000;
const uint32_t DEBOUNCE = 50;
const uint32_t STUCK = 600000;

inline int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;  // lower case is never sent
}

inline std::string with_checksum(const std::string& body) {
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

inline std::string join(const std::vector<std::string>& lines) {
    std::string all;
    for (const std::string& line : lines) all += line + "|";
    return all;
}

inline bool contains(const std::vector<std::string>& lines, const std::string& line) {
    for (const std::string& l : lines)
        if (l == line) return true;
    return false;
}

}  // namespace test

#endif

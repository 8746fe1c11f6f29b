// The gate controller's behaviour (docs/gate-protocol.md): commands and answers, expected
// vehicles, hold, the safety latch, passage detection, debouncing and stuck sensors. Plain C++
// with no Arduino headers, no heap and no exceptions: gate.ino feeds it bytes, sensor levels and
// the time, and the host unit tests (firmware/test/) drive the very same code.
#ifndef GATE_LOGIC_H
#define GATE_LOGIC_H

#include <stdint.h>

#include "gate_config.h"
#include "gate_frame.h"

namespace gate {

// Where the controller's lines go (the serial port on the board, a recorder in the tests).
class Output {
public:
    // One whole line, `BODY*HH\n`.
    virtual void send_line(const char* line, uint8_t len) = 0;

protected:
    ~Output() {}
};

struct Timings {
    uint32_t motor_travel_ms;
    uint32_t close_delay_ms;
    uint32_t open_timeout_ms;
    uint32_t debounce_ms;
    uint32_t stuck_ms;
};

// The timings this build was compiled with (gate_config.h and -D flags).
Timings build_timings();

enum class GateState : uint8_t { CLOSED, OPENING, OPEN, CLOSING };

const char* gate_state_name(GateState state);

// How the controller came up.
struct Boot {
    // The watchdog restarted a hung controller: READY is followed by EVT FAULT WDT.
    bool after_watchdog;
    // The barrier was up (relay on) when the watchdog struck: it is kept up and closes only
    // once the loop and beam are clear. Ignored when after_watchdog is false.
    bool barrier_was_up;
};

// A sensor input with debouncing and a stuck-on watch.
class DebouncedInput {
public:
    void reset(uint32_t now);
    // Samples the raw level; true when the debounced level changed.
    bool sample(bool raw, uint32_t now, uint32_t debounce_ms);
    bool active() const { return stable_; }
    // True once per episode: the debounced level has been active for stuck_ms without a break.
    bool newly_stuck(uint32_t now, uint32_t stuck_ms);

private:
    bool stable_;
    bool stuck_reported_;
    bool last_raw_;
    uint32_t raw_since_;
    uint32_t stable_since_;
};

class Controller {
public:
    static const uint8_t MAX_EXPECTED = 8;

    Controller(Output& out, const Timings& timings);

    // Start-up: sends READY (and EVT FAULT WDT after a watchdog restart).
    void begin(uint32_t now, Boot boot);

    // One byte received from the console.
    void receive(uint8_t byte, uint32_t now);

    // Called as often as possible with the raw sensor levels (true: the loop sees a vehicle /
    // the beam is broken) and the time in milliseconds (wrapping is fine).
    void tick(uint32_t now, bool presence_raw, bool beam_raw);

    // The relay output: on while the barrier is opening or open (held included).
    bool relay() const { return gate_ == GateState::OPENING || gate_ == GateState::OPEN; }

    GateState gate() const { return gate_; }
    bool presence() const { return presence_.active(); }
    bool beam() const { return beam_.active(); }
    uint8_t expected() const { return expected_; }
    bool held() const { return held_; }
    uint32_t bad_lines() const { return reader_.bad_lines(); }

private:
    enum class Verb : uint8_t { NONE, PING, OPEN, HOLD, RELEASE, CLOSE, STATUS };
    enum class Passage : uint8_t { IDLE, ON_LOOP, IN_BEAM };

    void handle_line(const char* body, uint8_t len, uint32_t now);
    void execute(Verb verb, uint32_t now);
    void answer(Verb verb, uint16_t seq);
    void send_ready();
    void send_event(const char* what);
    void send_nak(uint16_t seq, const char* reason);
    void send_state();
    void send(LineWriter& line);

    void watch_sensors(uint32_t now, bool presence_raw, bool beam_raw);
    void track_passage(uint32_t now);
    void watch_timeout(uint32_t now);
    void drive_barrier(uint32_t now);
    void start_motion(GateState state, uint32_t travel_ms, uint32_t now);
    bool occupied() const { return presence_.active() || beam_.active(); }
    bool wanted_up() const { return expected_ > 0 || held_; }

    Output& out_;
    Timings timings_;
    LineReader reader_;

    GateState gate_;
    uint32_t motion_started_;
    uint32_t motion_travel_;

    DebouncedInput presence_;
    DebouncedInput beam_;
    uint32_t clear_since_;  // when the loop and beam last became both clear

    uint8_t expected_;
    bool held_;
    uint32_t timeout_from_;  // last OPEN or last passage
    Passage passage_;

    bool has_last_;  // a command has been executed since start or the last HELLO
    Verb last_verb_;
    uint16_t last_seq_;
};

}  // namespace gate

#endif

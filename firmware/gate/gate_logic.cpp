#include "gate_logic.h"

#include <string.h>

namespace gate {

Timings build_timings() {
    Timings t;
    t.motor_travel_ms = MOTOR_TRAVEL_MS;
    t.close_delay_ms = CLOSE_DELAY_MS;
    t.open_timeout_ms = OPEN_TIMEOUT_MS;
    t.debounce_ms = DEBOUNCE_MS;
    t.stuck_ms = STUCK_MS;
    return t;
}

const char* gate_state_name(GateState state) {
    switch (state) {
        case GateState::OPENING: return "opening";
        case GateState::OPEN: return "open";
        case GateState::CLOSING: return "closing";
        case GateState::CLOSED: break;
    }
    return "closed";
}

// ---- sensor inputs ----

void DebouncedInput::reset(uint32_t now) {
    stable_ = false;
    stuck_reported_ = false;
    last_raw_ = false;
    raw_since_ = now;
    stable_since_ = now;
}

bool DebouncedInput::sample(bool raw, uint32_t now, uint32_t debounce_ms) {
    if (raw != last_raw_) {
        last_raw_ = raw;
        raw_since_ = now;
    }
    if (raw == stable_ || now - raw_since_ < debounce_ms) return false;
    stable_ = raw;
    stable_since_ = now;
    return true;
}

bool DebouncedInput::newly_stuck(uint32_t now, uint32_t stuck_ms) {
    if (!stable_) {
        stuck_reported_ = false;
        return false;
    }
    if (stuck_reported_ || now - stable_since_ < stuck_ms) return false;
    stuck_reported_ = true;
    return true;
}

// ---- controller ----

Controller::Controller(Output& out, const Timings& timings)
    : out_(out),
      timings_(timings),
      gate_(GateState::CLOSED),
      motion_started_(0),
      motion_travel_(0),
      clear_since_(0),
      expected_(0),
      held_(false),
      timeout_from_(0),
      passage_(Passage::IDLE),
      has_last_(false),
      last_verb_(Verb::NONE),
      last_seq_(0) {
    presence_.reset(0);
    beam_.reset(0);
}

void Controller::begin(uint32_t now, Boot boot) {
    presence_.reset(now);
    beam_.reset(now);
    clear_since_ = now;
    timeout_from_ = now;
    motion_started_ = now;
    // After a watchdog restart the barrier may be over a vehicle: if it was up, keep it up and let
    // the usual rule close it once the loop and beam are clear. A closed barrier stays closed, so
    // a restart never lets a waiting vehicle in.
    gate_ = boot.after_watchdog && boot.barrier_was_up ? GateState::OPEN : GateState::CLOSED;
    send_ready();
    if (boot.after_watchdog) send_event("FAULT WDT");
}

void Controller::receive(uint8_t byte, uint32_t now) {
    if (reader_.push(byte) == LineReader::LINE) handle_line(reader_.body(), reader_.body_len(), now);
}

void Controller::tick(uint32_t now, bool presence_raw, bool beam_raw) {
    watch_sensors(now, presence_raw, beam_raw);
    track_passage(now);
    watch_timeout(now);
    drive_barrier(now);
}

// ---- commands ----

void Controller::handle_line(const char* body, uint8_t len, uint32_t now) {
    uint8_t verb_len = 0;
    while (verb_len < len && body[verb_len] != ' ') verb_len++;
    bool has_arg = verb_len < len;
    const char* arg = body + verb_len + (has_arg ? 1 : 0);
    uint8_t arg_len = has_arg ? static_cast<uint8_t>(len - verb_len - 1) : 0;
    uint8_t seq_len = 0;
    while (seq_len < arg_len && arg[seq_len] != ' ') seq_len++;
    uint16_t seq = 0;
    bool seq_read = has_arg && parse_seq(arg, seq_len, &seq);
    bool only_seq = seq_read && seq_len == arg_len;

    struct Named {
        const char* name;
        Verb verb;
    };
    static const Named VERBS[] = {
        {"PING", Verb::PING},   {"OPEN", Verb::OPEN},       {"HOLD", Verb::HOLD},
        {"RELEASE", Verb::RELEASE}, {"CLOSE", Verb::CLOSE}, {"STATUS", Verb::STATUS},
    };

    if (verb_len == 5 && memcmp(body, "HELLO", 5) == 0) {
        if (has_arg) {
            send_nak(seq_read ? seq : 0, "ARG");
            return;
        }
        // A new conversation: the console may start its sequence numbers over, so nothing it
        // sends from now on is taken for a resend of what came before.
        has_last_ = false;
        send_ready();
        return;
    }
    Verb verb = Verb::NONE;
    for (uint8_t i = 0; i < sizeof(VERBS) / sizeof(VERBS[0]); i++) {
        if (strlen(VERBS[i].name) == verb_len && memcmp(body, VERBS[i].name, verb_len) == 0) {
            verb = VERBS[i].verb;
            break;
        }
    }
    if (verb == Verb::NONE) {
        send_nak(seq_read ? seq : 0, "UNKNOWN");
        return;
    }
    if (!only_seq) {
        send_nak(seq_read ? seq : 0, "ARG");
        return;
    }
    // A resend (its answer got lost): answer again, but do not act twice.
    if (has_last_ && last_verb_ == verb && last_seq_ == seq) {
        answer(verb, seq);
        return;
    }
    execute(verb, now);
    has_last_ = true;
    last_verb_ = verb;
    last_seq_ = seq;
    answer(verb, seq);
}

void Controller::execute(Verb verb, uint32_t now) {
    switch (verb) {
        case Verb::OPEN:
            if (expected_ < MAX_EXPECTED) expected_++;
            timeout_from_ = now;
            break;
        case Verb::HOLD:
            held_ = true;
            break;
        case Verb::RELEASE:
            held_ = false;
            break;
        case Verb::CLOSE:
            expected_ = 0;
            held_ = false;
            break;
        case Verb::PING:
        case Verb::STATUS:
        case Verb::NONE:
            break;
    }
}

void Controller::answer(Verb verb, uint16_t seq) {
    LineWriter line;
    line.text(verb == Verb::PING ? "PONG " : "ACK ").number(seq);
    send(line);
    if (verb == Verb::STATUS) send_state();
}

// ---- lines out ----

void Controller::send_ready() {
    LineWriter line;
    line.text("READY ").text(GATE_FW_VERSION);
    send(line);
}

void Controller::send_event(const char* what) {
    LineWriter line;
    line.text("EVT ").text(what);
    send(line);
}

void Controller::send_nak(uint16_t seq, const char* reason) {
    LineWriter line;
    line.text("NAK ").number(seq).text(" ").text(reason);
    send(line);
}

void Controller::send_state() {
    LineWriter line;
    line.text("STATE gate=")
        .text(gate_state_name(gate_))
        .text(" presence=")
        .number(presence_.active() ? 1 : 0)
        .text(" beam=")
        .number(beam_.active() ? 1 : 0);
    send(line);
}

void Controller::send(LineWriter& line) {
    const char* text = line.finish();
    out_.send_line(text, line.len());
}

// ---- the lane ----

void Controller::watch_sensors(uint32_t now, bool presence_raw, bool beam_raw) {
    bool was_occupied = occupied();
    if (presence_.sample(presence_raw, now, timings_.debounce_ms)) {
        send_event(presence_.active() ? "PRESENCE 1" : "PRESENCE 0");
    }
    beam_.sample(beam_raw, now, timings_.debounce_ms);
    if (was_occupied && !occupied()) clear_since_ = now;
    if (presence_.newly_stuck(now, timings_.stuck_ms)) send_event("FAULT LOOP");
    if (beam_.newly_stuck(now, timings_.stuck_ms)) send_event("FAULT BEAM");
}

// One vehicle through: the loop sees it, it breaks the beam, then loop and beam are clear again.
void Controller::track_passage(uint32_t now) {
    bool on_loop = presence_.active();
    bool in_beam = beam_.active();
    switch (passage_) {
        case Passage::IDLE:
            if (on_loop) passage_ = in_beam ? Passage::IN_BEAM : Passage::ON_LOOP;
            break;
        case Passage::ON_LOOP:
            if (in_beam) {
                passage_ = Passage::IN_BEAM;
            } else if (!on_loop) {
                passage_ = Passage::IDLE;  // drove off the loop without going through
            }
            break;
        case Passage::IN_BEAM:
            if (!on_loop && !in_beam) {
                passage_ = Passage::IDLE;
                if (expected_ > 0) expected_--;
                timeout_from_ = now;
                send_event("PASSED");
            }
            break;
    }
}

void Controller::watch_timeout(uint32_t now) {
    if (expected_ == 0 || occupied()) return;
    if (now - timeout_from_ < timings_.open_timeout_ms) return;
    expected_ = 0;
    send_event("TIMEOUT");
}

// The safety latch: the barrier never goes down while the loop or the beam sees a vehicle, and
// goes back up if one appears while it is going down.
void Controller::drive_barrier(uint32_t now) {
    uint32_t moving_for = now - motion_started_;
    switch (gate_) {
        case GateState::CLOSED:
            if (wanted_up()) start_motion(GateState::OPENING, timings_.motor_travel_ms, now);
            break;
        case GateState::OPENING:
            if (moving_for >= motion_travel_) {
                gate_ = GateState::OPEN;
                send_event("OPENED");
            }
            break;
        case GateState::OPEN:
            if (!wanted_up() && !occupied() && now - clear_since_ >= timings_.close_delay_ms) {
                start_motion(GateState::CLOSING, timings_.motor_travel_ms, now);
            }
            break;
        case GateState::CLOSING:
            if (wanted_up() || occupied()) {
                // Back up from where it is: as far as it has come down.
                uint32_t back = moving_for < motion_travel_ ? moving_for : motion_travel_;
                start_motion(GateState::OPENING, back, now);
            } else if (moving_for >= motion_travel_) {
                gate_ = GateState::CLOSED;
                send_event("CLOSED");
            }
            break;
    }
}

void Controller::start_motion(GateState state, uint32_t travel_ms, uint32_t now) {
    gate_ = state;
    motion_started_ = now;
    motion_travel_ = travel_ms;
}

}  // namespace gate

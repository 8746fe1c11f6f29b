// Host unit tests: the safety latch, passages, timeouts, hold, sensors and start-up.
#include "lane.h"

using namespace test;

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

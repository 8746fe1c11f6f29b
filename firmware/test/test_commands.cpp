// Host unit tests: commands, answers, NAKs and resends.
#include "lane.h"

using namespace test;

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

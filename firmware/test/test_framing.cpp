// Host unit tests: line framing (gate_frame.cpp) as the controller applies it.
#include "lane.h"

using namespace test;

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

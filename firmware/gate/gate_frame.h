// Line framing of the gate protocol (docs/gate-protocol.md, "Framing"): `BODY*HH\n`, where HH is
// the XOR of the bytes of BODY in hex. Plain C++: no Arduino headers, no heap, so the same code
// runs in the controller and in the host unit tests.
#ifndef GATE_FRAME_H
#define GATE_FRAME_H

#include <stddef.h>
#include <stdint.h>

namespace gate {

// Longest BODY a line may carry, in bytes.
const uint8_t MAX_BODY = 60;

// XOR of `len` bytes: the checksum of a body.
uint8_t checksum(const char* data, uint8_t len);

// Collects received bytes into lines and checks them. A line is handed out only when it is
// whole and valid; anything else is dropped and counted, never answered.
class LineReader {
public:
    enum Result : uint8_t {
        PENDING,   // no complete line yet
        LINE,      // a valid line: body() and body_len() hold its BODY
        BAD_LINE,  // a line was dropped: too long, not printable, no `*HH`, bad hex or bad checksum
    };

    LineReader();

    // Feeds one received byte.
    Result push(uint8_t byte);

    // The BODY of the last LINE, NUL-terminated; valid until the next push().
    const char* body() const { return buffer_; }
    uint8_t body_len() const { return body_len_; }

    // Lines dropped since start (saturates).
    uint32_t bad_lines() const { return bad_lines_; }

private:
    Result finish_line();
    Result drop();

    // BODY, `*HH` and an optional `\r`, plus room for the terminating NUL.
    char buffer_[MAX_BODY + 3 + 1 + 1];
    uint8_t len_;
    uint8_t body_len_;
    bool overflow_;
    uint32_t bad_lines_;
};

// Builds one outgoing line, `BODY*HH\n`, in a fixed buffer. Appends past MAX_BODY are cut off.
class LineWriter {
public:
    LineWriter();
    LineWriter& text(const char* s);
    LineWriter& number(uint32_t value);
    // Appends `*HH\n` and returns the whole line (NUL-terminated); len() gives its length.
    const char* finish();
    uint8_t len() const { return len_; }

private:
    void put(char c);

    char buffer_[MAX_BODY + 4 + 1];
    uint8_t len_;
};

// Parses a decimal sequence number (0..65535) that is exactly the `len` bytes at `s`.
bool parse_seq(const char* s, uint8_t len, uint16_t* seq);

}  // namespace gate

#endif

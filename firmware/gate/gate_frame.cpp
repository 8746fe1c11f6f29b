#include "gate_frame.h"

namespace gate {

namespace {

const char HEX_DIGITS[] = "0123456789ABCDEF";

// Value of one hex digit, either case; -1 when the byte is not one.
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

bool printable(char c) { return c >= 0x20 && c <= 0x7E; }

}  // namespace

uint8_t checksum(const char* data, uint8_t len) {
    uint8_t sum = 0;
    for (uint8_t i = 0; i < len; i++) sum ^= static_cast<uint8_t>(data[i]);
    return sum;
}

LineReader::LineReader() : len_(0), body_len_(0), overflow_(false), bad_lines_(0) { buffer_[0] = '\0'; }

LineReader::Result LineReader::push(uint8_t byte) {
    if (byte == '\n') return finish_line();
    if (overflow_) return PENDING;  // discarding a too long line up to its `\n`
    if (len_ >= sizeof(buffer_) - 1) {
        overflow_ = true;
        return PENDING;
    }
    buffer_[len_++] = static_cast<char>(byte);
    return PENDING;
}

LineReader::Result LineReader::finish_line() {
    uint8_t len = len_;
    len_ = 0;
    if (overflow_) {
        overflow_ = false;
        return drop();
    }
    if (len > 0 && buffer_[len - 1] == '\r') len--;
    if (len < 3 || buffer_[len - 3] != '*') return drop();
    int high = hex_value(buffer_[len - 2]);
    int low = hex_value(buffer_[len - 1]);
    if (high < 0 || low < 0) return drop();
    uint8_t body_len = static_cast<uint8_t>(len - 3);
    if (body_len > MAX_BODY) return drop();
    for (uint8_t i = 0; i < body_len; i++) {
        if (!printable(buffer_[i])) return drop();
    }
    if (checksum(buffer_, body_len) != static_cast<uint8_t>(high * 16 + low)) return drop();
    buffer_[body_len] = '\0';
    body_len_ = body_len;
    return LINE;
}

LineReader::Result LineReader::drop() {
    if (bad_lines_ != UINT32_MAX) bad_lines_++;
    body_len_ = 0;
    buffer_[0] = '\0';
    return BAD_LINE;
}

LineWriter::LineWriter() : len_(0) { buffer_[0] = '\0'; }

void LineWriter::put(char c) {
    if (len_ < MAX_BODY) buffer_[len_++] = c;
}

LineWriter& LineWriter::text(const char* s) {
    while (*s) put(*s++);
    return *this;
}

LineWriter& LineWriter::number(uint32_t value) {
    char digits[10];
    uint8_t n = 0;
    do {
        digits[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (n > 0) put(digits[--n]);
    return *this;
}

const char* LineWriter::finish() {
    uint8_t sum = checksum(buffer_, len_);
    buffer_[len_++] = '*';
    buffer_[len_++] = HEX_DIGITS[sum >> 4];
    buffer_[len_++] = HEX_DIGITS[sum & 0x0F];
    buffer_[len_++] = '\n';
    buffer_[len_] = '\0';
    return buffer_;
}

bool parse_seq(const char* s, uint8_t len, uint16_t* seq) {
    if (len == 0 || len > 5) return false;
    uint32_t value = 0;
    for (uint8_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        value = value * 10 + static_cast<uint32_t>(s[i] - '0');
    }
    if (value > 65535) return false;
    *seq = static_cast<uint16_t>(value);
    return true;
}

}  // namespace gate

// clearpark gate controller: Arduino Uno (ATmega328P) glue around gate_logic.
// Pins, the serial port, the clock and the watchdog live here; every decision is made in
// gate_logic.cpp, which the host unit tests run too. Wiring: firmware/README.md.
#include <Arduino.h>
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/wdt.h>

#include "gate_logic.h"

namespace {

const uint8_t PIN_PRESENCE = 2;  // loop detector output, active low (INPUT_PULLUP)
const uint8_t PIN_BEAM = 3;      // IR beam receiver output, low while the beam is broken
const uint8_t PIN_RELAY = 7;     // relay driver to the barrier controller's "open" input
const uint8_t PIN_LED = 13;      // on while the barrier is up or moving

const uint32_t WDT_MAGIC = 0x57445421UL;  // "WDT!"
const uint8_t BARRIER_UP = 0xA5;
const uint8_t BARRIER_DOWN = 0x5A;

class SerialOutput : public gate::Output {
public:
    void send_line(const char* line, uint8_t len) override {
        Serial.write(reinterpret_cast<const uint8_t*>(line), len);
    }
};

SerialOutput serial_output;
gate::Timings timings = gate::build_timings();
gate::Controller controller(serial_output, timings);

}  // namespace

// Kept through a watchdog reset (.noinit is not cleared at start-up).
// The Uno's stock bootloader clears MCUSR before the sketch starts, so the watchdog's
// interrupt leaves this mark just before the reset it announces.
uint32_t wdt_mark __attribute__((section(".noinit")));
// Whether the relay was on, for a restart over a vehicle; checked only after a watchdog reset.
uint8_t barrier_record __attribute__((section(".noinit")));
// MCUSR as found at reset (reset cause when no bootloader cleared it).
uint8_t reset_flags __attribute__((section(".noinit")));

// Runs before the C runtime starts: reads the reset cause and stops the watchdog, which stays
// on (at 16 ms) after a watchdog reset and would otherwise fire again during start-up.
extern "C" void save_reset_flags(void) __attribute__((naked, used, section(".init3")));
extern "C" void save_reset_flags(void) {
    reset_flags = MCUSR;
    MCUSR = 0;
    wdt_disable();
}

// First watchdog time-out (1 s without a kick): mark it; the second one (1 s later) resets.
ISR(WDT_vect) { wdt_mark = WDT_MAGIC; }

// Watchdog in "interrupt and system reset" mode, 1 s per stage: a controller that stops
// kicking it is reset 2 s after its last kick.
static void arm_watchdog() {
    cli();
    wdt_reset();
    WDTCSR = _BV(WDCE) | _BV(WDE);
    WDTCSR = _BV(WDIE) | _BV(WDE) | _BV(WDP2) | _BV(WDP1);
    sei();
}

static void kick_watchdog() {
    wdt_reset();
    // The interrupt ran but we are alive after all: clear the mark and get the interrupt back,
    // which the hardware turned off when it ran (the datasheet says not to do this in the ISR).
    if (!(WDTCSR & _BV(WDIE))) {
        wdt_mark = 0;
        WDTCSR |= _BV(WDIE);
    }
}

void setup() {
    bool power_on = reset_flags & (_BV(PORF) | _BV(BORF));
    bool after_watchdog = (reset_flags & _BV(WDRF)) || (!power_on && wdt_mark == WDT_MAGIC);
    gate::Boot boot;
    boot.after_watchdog = after_watchdog;
    boot.barrier_was_up = barrier_record == BARRIER_UP;
    wdt_mark = 0;

    pinMode(PIN_PRESENCE, INPUT_PULLUP);
    pinMode(PIN_BEAM, INPUT_PULLUP);
    digitalWrite(PIN_RELAY, LOW);
    pinMode(PIN_RELAY, OUTPUT);
    pinMode(PIN_LED, OUTPUT);

    Serial.begin(115200);
    arm_watchdog();
    controller.begin(millis(), boot);
}

void loop() {
    kick_watchdog();
    uint32_t now = millis();
    int available = Serial.available();
    while (available-- > 0) {
        controller.receive(static_cast<uint8_t>(Serial.read()), now);
    }
    controller.tick(now, digitalRead(PIN_PRESENCE) == LOW, digitalRead(PIN_BEAM) == LOW);
    bool up = controller.relay();
    digitalWrite(PIN_RELAY, up ? HIGH : LOW);
    digitalWrite(PIN_LED, controller.gate() == gate::GateState::CLOSED ? LOW : HIGH);
    barrier_record = up ? BARRIER_UP : BARRIER_DOWN;
}

// Build-time settings of the gate controller. Override any of them with a -D flag
// (see firmware/Makefile and firmware/README.md); these are the documented defaults.
#ifndef GATE_CONFIG_H
#define GATE_CONFIG_H

// Time the barrier takes to go fully up or fully down.
#ifndef MOTOR_TRAVEL_MS
#define MOTOR_TRAVEL_MS 1500
#endif

// After the last vehicle, the loop and the beam must stay clear this long before the barrier closes.
#ifndef CLOSE_DELAY_MS
#define CLOSE_DELAY_MS 2000
#endif

// Vehicles expected but none passing within this long: EVT TIMEOUT, and the barrier closes.
#ifndef OPEN_TIMEOUT_MS
#define OPEN_TIMEOUT_MS 30000
#endif

// A sensor input must hold a new level this long before it counts.
#ifndef DEBOUNCE_MS
#define DEBOUNCE_MS 50
#endif

// A loop or beam that sees a vehicle without a break for this long is reported stuck.
#ifndef STUCK_MS
#define STUCK_MS 600000
#endif

#define GATE_FW_VERSION "clearpark-gate/1.0.0"

#endif

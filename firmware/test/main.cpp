// Host unit tests of the gate controller's logic (firmware/gate/gate_logic.cpp, gate_frame.cpp):
// the exact code the Uno runs, driven with bytes, sensor levels and a simulated clock.
#include "check.h"

int main() { return check::run_all(); }

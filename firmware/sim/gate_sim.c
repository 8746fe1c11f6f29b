/*
 * gate-sim: runs the gate controller firmware (an ATmega328P .elf) in simavr, with its serial
 * port on a pseudo-terminal, so that the console (or a test) talks to the real firmware image.
 *
 * stdout, one line each, flushed at once:
 *   PTY <path>        first line: the pty the firmware's UART0 is bridged to
 *   RELAY <0|1>       the relay output (pin D7): once at start, then on every change
 *   RESET             the simulated MCU was reset (its watchdog fired)
 *   SPEED <ratio>     simulated seconds per wall-clock second since start: every 5 s and at exit
 *   CRASHED           the simulated firmware crashed; gate-sim exits with status 2
 * stdin, one command a line:
 *   presence 0|1      1: a vehicle on the loop (drives D2 low: the detector's output is active low)
 *   beam 0|1          1: the IR beam is broken (drives D3 low)
 *   hang              make the firmware hang (a test aid): its watchdog must reset it
 *   quit              print SPEED and exit (end of input does the same)
 *
 * See README.md beside this file for the details and simavr's quirks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "avr_ioport.h"
#include "sim_avr.h"
#include "sim_elf.h"
#include "uart_pty.h"

/* Pins of firmware/gate/gate.ino, all on port D. */
#define PORT_NAME 'D'
#define PIN_PRESENCE 2
#define PIN_BEAM 3
#define PIN_RELAY 7
/* PIND in the ATmega328P's data space (I/O address 0x09 + 0x20). */
#define PIND_ADDR 0x29

#define DEFAULT_ELF "firmware/build/gate-sim.elf"
#define SPEED_EVERY_S 5.0

static avr_t* avr;
static uart_pty_t uart_pty;
static avr_irq_t* relay_irq;
static int relay_reported = -1;
/* Levels the loop detector and the beam receiver put on port D (1: idle, pulled up). */
static uint8_t input_levels = (1 << PIN_PRESENCE) | (1 << PIN_BEAM);
static void (*core_reset)(avr_t*);
/* `hang`: asked for, done (the patched flash address), and the instruction word it replaced. */
static int hang_requested;
static long hang_address = -1;
static uint8_t hang_saved[2];
static double wall_start;
static int verbose;

static void emit(const char* format, ...) {
    va_list args;
    va_start(args, format);
    vprintf(format, args);
    va_end(args);
    putchar('\n');
    fflush(stdout);
}

static double wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double sim_seconds(void) { return (double)avr->cycle / avr->frequency; }

static void emit_speed(void) {
    double wall = wall_now() - wall_start;
    emit("SPEED %.2f", wall > 0 ? sim_seconds() / wall : 0.0);
}

/* simavr's own log lines go to stderr, so that stdout carries only the lines above; its
 * chatter (what it loaded, traces) only with --verbose. */
static void log_to_stderr(avr_t* a, const int level, const char* format, va_list ap) {
    (void)a;
    if (verbose || level <= LOG_WARNING) vfprintf(stderr, format, ap);
}

static void report_relay(int on) {
    if (on == relay_reported) return;
    relay_reported = on;
    emit("RELAY %d", on);
}

static void relay_changed(struct avr_irq_t* irq, uint32_t value, void* param) {
    (void)irq;
    (void)param;
    report_relay(value ? 1 : 0);
}

/* Puts the external levels on the input pins. simavr 1.6 would otherwise take the internal
 * pull-ups for the pins' levels whenever the firmware writes PORTD. */
static void apply_inputs(void) {
    avr_ioport_external_t external = {
        .name = PORT_NAME,
        .mask = (1 << PIN_PRESENCE) | (1 << PIN_BEAM),
        .value = input_levels,
    };
    avr_ioctl(avr, AVR_IOCTL_IOPORT_SET_EXTERNAL(PORT_NAME), &external);
    avr_raise_irq(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(PORT_NAME), PIN_PRESENCE),
                  (input_levels >> PIN_PRESENCE) & 1);
    avr_raise_irq(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(PORT_NAME), PIN_BEAM),
                  (input_levels >> PIN_BEAM) & 1);
}

static void set_input(int pin, int vehicle) {
    if (vehicle)
        input_levels &= (uint8_t)~(1 << pin); /* active low */
    else
        input_levels |= (uint8_t)(1 << pin);
    apply_inputs();
}

/* A reset (the watchdog's) clears every I/O register, PIND included, while the pins' IRQs keep
 * their last levels and, being filtered, would not raise them again: put the input levels
 * back. The relay output floats during reset, and its driver's pull-down turns it off. */
static void on_reset(avr_t* a) {
    if (core_reset) core_reset(a);
    a->data[PIND_ADDR] = (a->data[PIND_ADDR] & (uint8_t)~((1 << PIN_PRESENCE) | (1 << PIN_BEAM))) |
                         input_levels;
    if (hang_address >= 0) {
        a->flash[hang_address] = hang_saved[0];
        a->flash[hang_address + 1] = hang_saved[1];
        hang_address = -1;
    }
    emit("RESET");
    avr_raise_irq(relay_irq, 0);
    report_relay(0);
}

/* Makes the firmware hang as a bug would: the instruction at the program counter becomes a jump
 * to itself (rjmp .-2), placed where interrupts are enabled so that the firmware's watchdog
 * interrupt still runs, as it would in a real endless loop. on_reset() puts the word back. */
static void hang_here_if_possible(void) {
    if (!hang_requested || !avr->sreg[S_I] || avr->state != cpu_Running) return;
    hang_requested = 0;
    hang_address = (long)avr->pc;
    hang_saved[0] = avr->flash[hang_address];
    hang_saved[1] = avr->flash[hang_address + 1];
    avr->flash[hang_address] = 0xFF;
    avr->flash[hang_address + 1] = 0xCF;
}

static void quit(int status) {
    emit_speed();
    /* uart_pty_stop() can hang in simavr 1.6 (it joins a thread it only signalled): just exit. */
    _exit(status);
}

/* One control line from stdin. */
static void control(char* line) {
    char* end = line + strlen(line);
    while (end > line && (end[-1] == '\r' || end[-1] == ' ')) *--end = '\0';
    if (*line == '\0') return;
    char name[16];
    int value;
    char extra;
    if (strcmp(line, "quit") == 0) quit(0);
    if (strcmp(line, "hang") == 0) {
        if (hang_address < 0) hang_requested = 1;
        return;
    }
    if (sscanf(line, "%15s %d %c", name, &value, &extra) == 2 && (value == 0 || value == 1)) {
        if (strcmp(name, "presence") == 0) {
            set_input(PIN_PRESENCE, value);
            return;
        }
        if (strcmp(name, "beam") == 0) {
            set_input(PIN_BEAM, value);
            return;
        }
    }
    fprintf(stderr, "gate-sim: unknown control line '%s' (presence 0|1, beam 0|1, hang, quit)\n", line);
}

/* Waits up to timeout_s for stdin and handles the complete lines there. */
static void read_controls(double timeout_s) {
    static char buffer[256];
    static size_t used;
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(STDIN_FILENO, &fds);
    struct timeval tv = {.tv_sec = (time_t)timeout_s,
                         .tv_usec = (suseconds_t)((timeout_s - (time_t)timeout_s) * 1e6)};
    int ready = select(STDIN_FILENO + 1, &fds, NULL, NULL, &tv);
    if (ready <= 0) return;
    ssize_t n = read(STDIN_FILENO, buffer + used, sizeof(buffer) - 1 - used);
    if (n == 0) quit(0); /* the test or console that drove us is gone */
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) return;
        quit(0);
    }
    used += (size_t)n;
    buffer[used] = '\0';
    char* start = buffer;
    char* newline;
    while ((newline = strchr(start, '\n')) != NULL) {
        *newline = '\0';
        control(start);
        start = newline + 1;
    }
    used -= (size_t)(start - buffer);
    memmove(buffer, start, used);
    if (used == sizeof(buffer) - 1) {
        fprintf(stderr, "gate-sim: control line too long, dropped\n");
        used = 0;
    }
}

static void usage(FILE* to) {
    fprintf(to,
            "usage: gate-sim [--free-run] [--verbose] [--mcu NAME] [--freq HZ] [FIRMWARE.elf]\n"
            "Runs the gate firmware (default %s) in simavr with UART0 on a pty.\n"
            "  --free-run   run as fast as the host can instead of at most in real time\n"
            "  --verbose    simavr's own messages on stderr\n"
            "  --mcu NAME   MCU when the .elf names none (default atmega328p)\n"
            "  --freq HZ    clock when the .elf names none (default 16000000)\n"
            "Lines out: PTY <path>, RELAY <0|1>, RESET, SPEED <ratio>, CRASHED.\n"
            "Lines in: presence 0|1, beam 0|1, hang, quit.\n",
            DEFAULT_ELF);
}

int main(int argc, char** argv) {
    const char* mcu = "atmega328p";
    unsigned long freq = 16000000UL;
    int free_run = 0;
    static const struct option options[] = {
        {"free-run", no_argument, NULL, 'r'},
        {"verbose", no_argument, NULL, 'v'},
        {"mcu", required_argument, NULL, 'm'},
        {"freq", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "rvm:f:h", options, NULL)) != -1) {
        switch (opt) {
            case 'r': free_run = 1; break;
            case 'v': verbose = 1; break;
            case 'm': mcu = optarg; break;
            case 'f': freq = strtoul(optarg, NULL, 10); break;
            case 'h': usage(stdout); return 0;
            default: usage(stderr); return 64;
        }
    }
    if (argc - optind > 1) {
        usage(stderr);
        return 64;
    }
    const char* elf = optind < argc ? argv[optind] : DEFAULT_ELF;

    setvbuf(stdout, NULL, _IOLBF, 0);
    avr_global_logger_set(log_to_stderr);

    elf_firmware_t firmware;
    memset(&firmware, 0, sizeof firmware);
    if (access(elf, R_OK) != 0 || elf_read_firmware(elf, &firmware) != 0) {
        fprintf(stderr, "gate-sim: cannot load firmware '%s': %s\n", elf,
                errno ? strerror(errno) : "not an AVR ELF");
        return 66;
    }
    if (firmware.flashsize == 0) {
        fprintf(stderr, "gate-sim: '%s' holds no AVR program\n", elf);
        return 66;
    }
    if (!firmware.mmcu[0]) snprintf(firmware.mmcu, sizeof firmware.mmcu, "%s", mcu);
    if (!firmware.frequency) firmware.frequency = (uint32_t)freq;
    avr = avr_make_mcu_by_name(firmware.mmcu);
    if (!avr) {
        fprintf(stderr, "gate-sim: simavr knows no MCU '%s'\n", firmware.mmcu);
        return 69;
    }
    avr_init(avr);
    avr_load_firmware(avr, &firmware);

    /* uart_pty prints its own chatter on stdout: send it to stderr (--verbose) or nowhere. */
    fflush(stdout);
    int saved_stdout = dup(STDOUT_FILENO);
    int chatter = verbose ? dup(STDERR_FILENO) : open("/dev/null", O_WRONLY);
    dup2(chatter, STDOUT_FILENO);
    close(chatter);
    uart_pty_init(avr, &uart_pty);
    uart_pty_connect(&uart_pty, '0');
    fflush(stdout);
    dup2(saved_stdout, STDOUT_FILENO);
    close(saved_stdout);
    if (!uart_pty.pty.s) {
        fprintf(stderr, "gate-sim: no pseudo-terminal could be opened\n");
        return 71;
    }
    /* uart_pty_connect points the shared /tmp/simavr-uart0 at our pty; another simulator may
     * take it any time, so we report the pty's own path and leave no link behind. */
    char link[sizeof uart_pty.pty.slavename];
    ssize_t link_len = readlink("/tmp/simavr-uart0", link, sizeof link - 1);
    if (link_len > 0) {
        link[link_len] = '\0';
        if (strcmp(link, uart_pty.pty.slavename) == 0) unlink("/tmp/simavr-uart0");
    }

    relay_irq = avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(PORT_NAME), PIN_RELAY);
    avr_irq_register_notify(relay_irq, relay_changed, NULL);
    core_reset = avr->reset;
    avr->reset = on_reset;
    apply_inputs();

    emit("PTY %s", uart_pty.pty.slavename);
    report_relay(0);

    wall_start = wall_now();
    double next_speed = SPEED_EVERY_S;
    const avr_cycle_count_t slice = avr->frequency / 1000; /* look at stdin every simulated ms */
    avr_cycle_count_t slice_end = avr->cycle + slice;
    for (;;) {
        while (avr->cycle < slice_end) {
            hang_here_if_possible();
            int state = avr_run(avr);
            if (state == cpu_Done || state == cpu_Crashed) {
                emit("CRASHED");
                quit(2);
            }
        }
        slice_end += slice;
        double wall = wall_now() - wall_start;
        double ahead = free_run ? 0.0 : sim_seconds() - wall;
        read_controls(ahead > 0 ? ahead : 0.0);
        if (wall >= next_speed) {
            emit_speed();
            next_speed += SPEED_EVERY_S;
        }
    }
}

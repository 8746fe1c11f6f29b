// A tiny test runner for the host unit tests: TEST(name) { ... } registers a test, CHECK and
// CHECK_EQ record failures and carry on, main() runs every test and prints a summary line.
#ifndef CHECK_H
#define CHECK_H

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace check {

struct Test {
    const char* name;
    void (*run)();
};

inline std::vector<Test>& registry() {
    static std::vector<Test> tests;
    return tests;
}

inline int& failures_in_current() {
    static int failures = 0;
    return failures;
}

struct Registrar {
    Registrar(const char* name, void (*run)()) { registry().push_back(Test{name, run}); }
};

inline void fail(const char* file, int line, const std::string& what) {
    std::printf("    %s:%d: %s\n", file, line, what.c_str());
    failures_in_current()++;
}

template <typename A, typename B>
void check_eq(const A& actual, const B& expected, const char* a_text, const char* b_text, const char* file,
              int line) {
    if (actual == expected) return;
    std::ostringstream what;
    what << a_text << " == " << b_text << ": got [" << actual << "], want [" << expected << "]";
    fail(file, line, what.str());
}

inline int run_all() {
    int passed = 0;
    int failed = 0;
    for (const Test& test : registry()) {
        failures_in_current() = 0;
        test.run();
        if (failures_in_current() == 0) {
            passed++;
            std::printf("ok   %s\n", test.name);
        } else {
            failed++;
            std::printf("FAIL %s\n", test.name);
        }
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

}  // namespace check

#define TEST(name)                                               \
    static void name();                                          \
    static check::Registrar registrar_##name(#name, name);       \
    static void name()

#define CHECK(cond) \
    ((cond) ? (void)0 : check::fail(__FILE__, __LINE__, "CHECK(" #cond ")"))

#define CHECK_EQ(actual, expected) \
    check::check_eq((actual), (expected), #actual, #expected, __FILE__, __LINE__)

#endif

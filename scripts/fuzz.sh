#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 60 s each; FUZZ_SECONDS=n to change).
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). The targets are
# safe Rust, so they look for panics and broken invariants; the address sanitizer is off by
# default for speed (FUZZ_SANITIZER=address to turn it on).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"
sanitizer="${FUZZ_SANITIZER:-none}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
for target in "${targets[@]}"; do
    echo "== fuzz $target for ${seconds}s (sanitizer: $sanitizer)"
    mkdir -p "fuzz/corpus/$target"
    cargo +nightly fuzz run --sanitizer "$sanitizer" "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -max_len=4096 -print_final_stats=1
done

#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for a bounded time (default 60 s each; FUZZ_SECONDS=n to
# change; names as arguments to run only those). Needs the nightly toolchain (rustup) and
# cargo-fuzz, which it installs when missing (`cargo install cargo-fuzz --locked`). The
# targets are safe Rust, so they look for panics and broken invariants; the address sanitizer
# is off by default for speed (FUZZ_SANITIZER=address to turn it on).
#
# Corpora grow in fuzz/corpus/<target>/ (seeded from the repository's own examples when
# empty) and crashes land in fuzz/artifacts/<target>/; neither is committed. A summary of the
# runs (executions per target) is printed at the end and kept in fuzz/last-run.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"
sanitizer="${FUZZ_SANITIZER:-none}"

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "fuzz.sh: the nightly toolchain is missing: rustup toolchain install nightly" >&2
    exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== cargo-fuzz is not installed: installing it (cargo install cargo-fuzz --locked)"
    cargo install cargo-fuzz --locked
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

# Seeds from the repository: the example config (as shipped and with its optional sections
# uncommented) and the reference's Nwave messages. Written only into an empty corpus.
seed() {
    local target=$1 dir="fuzz/corpus/$1"
    mkdir -p "$dir"
    [ -z "$(ls -A "$dir")" ] || return 0
    case "$target" in
        config_toml)
            cp config.toml.example "$dir/example"
            sed -E 's/^#([^ #])/\1/' config.toml.example > "$dir/example-all"
            ;;
        nwave_json)
            python3 - "$dir" src/domain/nwave/examples.rs <<'PY'
import re, sys
out, src = sys.argv[1:3]
for i, m in enumerate(re.findall(r'r#"(.*?)"#', open(src, encoding="utf-8").read(), re.S)):
    open(f"{out}/example-{i}", "w", encoding="utf-8").write(m)
PY
            ;;
        http_bodies)
            # selector byte, query, 0xFF, body (see the target's header).
            printf '\x00type=entrance\xff{"data":"788879fbe6635"}' > "$dir/find-device"
            printf '\x11type=exit\xff{"data":"x"}' > "$dir/find-device-exit"
            printf '\x12after_id=0&limit=10' > "$dir/list"
            printf '\x17state=open&after_id=0' > "$dir/nwave-sessions"
            printf '\x18' > "$dir/set-ip"
            printf '\x2a' > "$dir/driver"
            printf '\x4f' > "$dir/path"
            ;;
        tariff_board)
            # 18 bytes of stay (see the target's header), then the posted board.
            { printf '\x00\x00\x00\x00\x10\x00\x00\x00\x00\x01\x00\x00\x00\x04\x00\x00\x01\x01'; cat docs/board.toml; } > "$dir/board"
            ;;
        qr_codes)
            printf '788879fbe6635' > "$dir/reference"
            printf 'd1bddb81-2c27-4b93-b79f-5d1e5576eb78' > "$dir/guid"
            printf '  CPT-000042  ' > "$dir/ticket"
            ;;
    esac
}

summary=fuzz/last-run.txt
: > "$summary"
for target in "${targets[@]}"; do
    echo "== fuzz $target for ${seconds}s (sanitizer: $sanitizer)"
    seed "$target"
    log=$(mktemp)
    status=0
    cargo +nightly fuzz run --sanitizer "$sanitizer" "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 2>&1 | tee "$log" \
        || status=$?
    # The HTTP target's database (see fuzz/fuzz_targets/http_bodies.rs).
    rm -rf /dev/shm/clearpark-fuzz-http-* 2>/dev/null || true
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    rm -f "$log"
    if [ "$status" -ne 0 ]; then
        echo "$target: FAILED (exit $status; see fuzz/artifacts/$target/)" | tee -a "$summary"
        cat "$summary"
        exit "$status"
    fi
    echo "$target: ${runs:-?} runs in ${seconds}s (${rate:-?}/s), no crash" >> "$summary"
done
echo "== summary"
cat "$summary"

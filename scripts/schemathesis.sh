#!/usr/bin/env bash
# The HTTP API against its own OpenAPI document, by schemathesis (PyPI, the version pinned in
# scripts/schemathesis-requirements.txt, installed into a virtualenv under target/).
#
# Builds clearpark, makes a fresh database in a temporary folder with the CLI (`init`,
# `accounts add`, `devices add`, `accounts token`), starts the real server
# (`clearpark run --headless`, an entrance and an exit lane without barriers, the API on a free
# loopback port, [nwave] pointed at a closed port so that the bay routes answer without a
# broker), and runs schemathesis on http://127.0.0.1:<port>/openapi.json with every check
# (no 5xx, status codes, content types, headers and bodies as the document says, invalid input
# refused, valid input accepted ...), the operators' token and a driver's token given to the
# document's two bearer schemes. Bounded: SCHEMATHESIS_MAX_EXAMPLES test cases per operation
# and phase (default 100), SCHEMATHESIS_MAX_TIME seconds at most (default 600). The server is
# stopped on exit; SCHEMATHESIS_KEEP=1 keeps the folder (its log is server.log).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
max_examples="${SCHEMATHESIS_MAX_EXAMPLES:-100}"
max_time="${SCHEMATHESIS_MAX_TIME:-600}"

venv=target/schemathesis-venv
[ -x "$venv/bin/python" ] || python3.11 -m venv "$venv" 2>/dev/null || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/schemathesis-requirements.txt

cargo build --locked --bin clearpark
bin="${CARGO_TARGET_DIR:-$repo/target}/debug/clearpark"

dir=$(mktemp -d)
server=""
cleanup() {
    if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
        kill -INT "$server" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server" 2>/dev/null || true
    fi
    if [ "${SCHEMATHESIS_KEEP:-0}" = 1 ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT

port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
token="schemathesis-$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(16))')"
device_key="device-$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(16))')"
cat > "$dir/config.toml" <<EOF
[booth]
name = "Schemathesis Park"
timezone = "Asia/Ashgabat"
database = "booth.db"
res_guid = "00000000-0000-4000-8000-00000000c0de"
capacity = 50

[resource]
name = "Parking"
price_per_minute = "0.05"
currency = "TMT"

[[lanes]]
id = "in-1"
name = "Entrance"
direction = "entrance"

[[lanes]]
id = "out-1"
name = "Exit"
direction = "exit"

[api]
listen = "127.0.0.1:$port"
tokens = ["$token"]

[api.device_keys]
gate-io = "$device_key"

[nwave]
url = "amqp://clearpark:closed-port@127.0.0.1:9/%2f"
queue = "clearpark.schemathesis"
max_stay_minutes = 120
EOF
cp="$bin --config $dir/config.toml"
$cp init >/dev/null
for i in 1 2 3 4 5; do
    $cp accounts add --name "Driver $i" --reg-no "AG 10${i}0 AG" --phone "+9936100000$i" >/dev/null
    $cp devices add --account "AG 10${i}0 AG" --code "SCHEMA-CODE-$i" >/dev/null
done
$cp accounts add --name "Blocked" --reg-no "AG 9999 AG" --blocked >/dev/null
$cp devices add --account "AG 9999 AG" --code "SCHEMA-BLOCKED" >/dev/null
driver=$($cp accounts token "AG 1010 AG" | tail -1)

RUST_LOG=warn $cp run --headless > "$dir/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { cat "$dir/server.log"; exit 1; }
    sleep 0.1
done
# One car inside, so that the driver's session and an exit have something to show.
curl -fsS -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"data":"SCHEMA-CODE-1"}' "http://127.0.0.1:$port/find-device/?type=entrance" >/dev/null

cat > "$dir/schemathesis.toml" <<EOF
[auth.openapi.bearer]
bearer = "$token"

[auth.openapi.driver]
bearer = "$driver"
EOF
echo "== schemathesis on http://127.0.0.1:$port/openapi.json (max ${max_examples} examples per operation)"
status=0
# The document as the server serves it (the route wants the operators' token).
curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/openapi.json" > "$dir/openapi.json"
(cd "$dir" && "$repo/$venv/bin/schemathesis" --config-file "$dir/schemathesis.toml" run \
    "$dir/openapi.json" --url "http://127.0.0.1:$port" \
    --checks all \
    --max-examples "$max_examples" \
    --max-time "$max_time" \
    --seed "${SCHEMATHESIS_SEED:-1}" \
    --workers 2 \
    --request-timeout 15 \
    --warnings off \
    --no-color) || status=$?
if grep -E ' (ERROR|panicked)' "$dir/server.log" >/dev/null; then
    echo "== the server logged errors:"
    grep -E ' (ERROR|panicked)' "$dir/server.log" | head -20
    status=1
fi
exit "$status"

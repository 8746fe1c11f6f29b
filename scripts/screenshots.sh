#!/usr/bin/env bash
# Screenshots of the console for the README, from a real run: `clearpark demo` in a tmux
# terminal of 120×36, the dashboard and the bays view captured with their colours and turned
# into SVG by `rich` (PyPI, installed into a virtualenv under target/). Writes
# docs/screenshots/{dashboard,bays}.svg.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked
venv=target/screenshots-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet "rich==13.9.4"
socket="clearpark-shots-$$"
dir=$(mktemp -d)
trap 'tmux -L "$socket" kill-server 2>/dev/null || true; rm -rf "$dir"' EXIT
tmux -L "$socket" new-session -d -s shot -x 120 -y 36 \
    "target/release/clearpark demo --dir $dir/demo --pace 0.6 --attendant anna --api 127.0.0.1:0"
# Long enough for traffic, payments, a few refusals and the bay sensors to fill in.
sleep "${SHOT_AFTER:-40}"
capture() {
    tmux -L "$socket" capture-pane -p -e -t shot > "$dir/$1.ansi"
    "$venv/bin/python" - "$dir/$1.ansi" "docs/screenshots/$1.svg" "$2" <<'PY'
import io
import sys
from rich.console import Console
from rich.text import Text
src, dst, title = sys.argv[1:4]
console = Console(record=True, width=120, force_terminal=True, color_system="truecolor",
                  file=io.StringIO())
with open(src, encoding="utf-8") as f:
    console.print(Text.from_ansi(f.read()), end="")
console.save_svg(dst, title=title)
PY
}
capture dashboard "clearpark — dashboard"
tmux -L "$socket" send-keys -t shot 3
sleep 2
capture bays "clearpark — bays"
tmux -L "$socket" send-keys -t shot q
sleep 0.5
tmux -L "$socket" send-keys -t shot y
echo "wrote docs/screenshots/dashboard.svg and docs/screenshots/bays.svg"

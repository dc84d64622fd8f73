#!/usr/bin/env bash
# Re-takes docs/serve-phone.png and docs/serve-desktop.png: `care serve` on a copy of
# examples/trattoria with two arrivals, in headless Chromium at a phone and a desktop width.
# Run by hand after changing the page (CI does not run it): needs a built care (cargo build)
# and Debian's chromium (apt-get install chromium). The clock is fixed, so the pictures
# change only when the page or the example book does.
set -euo pipefail
cd "$(dirname "$0")/.."
care="$PWD/target/debug/care"
[ -x "$care" ] || cargo build
work="$(mktemp -d)"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cp -r examples/trattoria "$work/book"
printf 'ada-lovelace\nalan-turing\n' >"$work/book/tonight.txt"
(cd "$work/book" && CARE_NOW=2026-11-22T21:00:00-05:00 CARE_STAFF=joan \
  exec "$care" serve --port 0 --arrivals tonight.txt 2>"$work/serve.log") &
server=$!
for _ in $(seq 50); do grep -q http:// "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
url="$(grep -o 'http://[^ ]*' "$work/serve.log")"
# As root Chromium needs --no-sandbox; the other flags keep it off a closed network.
shot() {
  timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
    --user-data-dir="$work/profile-$1" --window-size="$2" --screenshot="$3" "$url" >/dev/null 2>&1
  echo "$3: $(wc -c <"$3") bytes"
}
shot phone 390,844 "${PHONE:-docs/serve-phone.png}"
shot desktop 1280,800 "${DESKTOP:-docs/serve-desktop.png}"

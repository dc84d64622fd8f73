#!/usr/bin/env bash
# Re-takes the pictures of the page that writes (docs/serve.md): docs/serve-write-customer-
# {phone,desktop}.png (Ada's page after a critical preference was saved through its form)
# and docs/serve-write-incident-{phone,desktop}.png (her incident after its last step).
# They are the screenshots the browser test tests/it/browser_forms.rs takes as it fills in
# the forms at 390×844 and 1280×800; CARE_SCREENSHOTS asks it for a copy here. Run by hand
# after changing the page (CI does not run it): needs Debian's chromium and chromium-driver
# (apt-get install chromium chromium-driver). The clock is fixed, so the pictures change
# only when the page does (and where it shows the incident's id, which is random).
set -euo pipefail
cd "$(dirname "$0")/.."
CARE_SCREENSHOTS="$PWD/docs" CARE_REQUIRE_BROWSER=1 \
  cargo test --test it browser_forms:: -- --include-ignored
for f in docs/serve-write-*.png; do echo "$f: $(wc -c <"$f") bytes"; done

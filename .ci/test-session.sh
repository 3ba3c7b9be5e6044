#!/usr/bin/env bash
# Runs the test command with the services the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
npm test

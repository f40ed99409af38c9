#!/usr/bin/env bash
# Installs what the lab needs (Debian packages) when it can: as root on a Debian-like machine.
# Anywhere else it says so and succeeds, and the lab suites skip visibly. Idempotent and quick
# when everything is already installed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
lab="$here/tests/lab/lab.sh"

if [[ $(uname -s) != Linux ]]; then
  echo "prerequisites: not Linux; lab tests will be skipped."
  exit 0
fi
if bash "$lab" check-deps >/dev/null 2>&1; then
  echo "prerequisites: lab dependencies present."
  exit 0
fi
if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "prerequisites: $(bash "$lab" check-deps 2>&1 | tail -n1); run as root on Debian to install them. Lab tests will be skipped."
  exit 0
fi
echo "prerequisites: installing the lab's Debian packages..."
bash "$lab" install-deps

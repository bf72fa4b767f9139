#!/usr/bin/env bash
# Installs the Debian packages pushpull needs, only those missing. Safe to
# run twice. Needs root (or sudo) only when something is missing.
#
#   install-deps.sh           build and run (make, make demo)
#   install-deps.sh --test    + what make test needs (cmocka, python3 for
#                             free ports and JSON, man-db, procps, iproute2,
#                             gnuplot-nox for pp-plot's pictures, tmux for
#                             the progress line seen in a terminal)
#   install-deps.sh --ci      + clang-format and clang's fuzzer runtime
#   install-deps.sh --bench   + what make bench uses (gnuplot-nox for the
#                             plots, jq, GNU parallel for a baseline)
set -euo pipefail

packages=(build-essential pkg-config libzmq3-dev libczmq-dev)
case ${1:-} in
    --test) packages+=(libcmocka-dev python3 man-db procps iproute2
                       gnuplot-nox tmux) ;;
    --ci) packages+=(libcmocka-dev python3 man-db procps iproute2 gnuplot-nox
                     tmux clang-format clang libclang-rt-14-dev nftables) ;;
    --bench) packages+=(gnuplot-nox jq parallel) ;;
    "") ;;
    *) echo "usage: $0 [--test|--ci|--bench]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null \
        | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all dependencies present"
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "install-deps: need root to install: ${missing[*]}" >&2
    echo "install-deps: run as root, or: apt-get install ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq "${missing[@]}"

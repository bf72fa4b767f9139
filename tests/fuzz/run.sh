#!/usr/bin/env bash
# Runs a libFuzzer binary over a working copy of the seed corpus.
#   tests/fuzz/run.sh FUZZER CORPUS_DIR [libFuzzer flags...]
# Seeds from tests/fuzz/corpus are copied into CORPUS_DIR (existing files are
# kept, so the corpus grows from run to run); crash, leak and timeout inputs
# land next to it in artifacts/. Exits with the fuzzer's status: non-zero on
# any crash, leak, timeout or broken invariant.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 FUZZER CORPUS_DIR [libFuzzer flags...]" >&2
    exit 2
fi
fuzzer=$1
corpus=$2
shift 2
seeds=$(dirname "$0")/corpus
artifacts=$(dirname "$corpus")/artifacts

mkdir -p "$corpus" "$artifacts"
cp -n "$seeds"/* "$corpus"/
echo "fuzz: $fuzzer over $corpus ($(ls "$corpus" | wc -l) inputs) $*"
exec "$fuzzer" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$@" "$corpus"

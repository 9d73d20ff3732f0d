#!/usr/bin/env bash
# tests/format/check.sh [--fix]: every C file git tracks (outside
# node_modules) is as .clang-format formats it. Run by scripts/test before
# it builds; --fix formats the files in place instead.
# The layout depends on clang-format's major version: the check runs only
# with the one .clang-format was written for (Debian bookworm's), and says
# so and passes with another, rather than fail on a different formatter.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
want=14
if ! command -v clang-format >/dev/null; then
	echo "format: clang-format is not installed (apt-get install clang-format)" >&2
	exit 1
fi
have="$(clang-format --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')"
if [ "$have" != "$want" ]; then
	echo "format: skipped: clang-format $have, the layout is clang-format $want's" >&2
	exit 0
fi
mapfile -t files < <(git ls-files '*.c' '*.h' | grep -v '/node_modules/')
if [ "${1:-}" = --fix ]; then
	# A second pass settles the few places where one pass is not stable.
	clang-format -i "${files[@]}"
	clang-format -i "${files[@]}"
	exit 0
fi
if ! clang-format --dry-run --Werror "${files[@]}" 2>"${TMPDIR:-/tmp}/kolo-format.$$"; then
	grep -- '-Wclang-format-violations' "${TMPDIR:-/tmp}/kolo-format.$$" | sed 's/: error:.*//' |
		sort -u | head -n 40 >&2
	rm -f "${TMPDIR:-/tmp}/kolo-format.$$"
	echo "format: the files above are not as .clang-format lays them out; run tests/format/check.sh --fix" >&2
	exit 1
fi
rm -f "${TMPDIR:-/tmp}/kolo-format.$$"
echo "format: ${#files[@]} files as .clang-format lays them out" >&2

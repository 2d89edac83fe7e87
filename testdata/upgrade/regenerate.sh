#!/bin/sh
# Regenerates testdata/upgrade/city, edge and expect.json with the code of
# a git revision (default HEAD): the release whose on-disk formats the
# folders freeze. See README.md in this folder.
#
#   testdata/upgrade/regenerate.sh [REV]
#
# The revision is exported with `git archive` into a temporary folder (the
# working tree is not touched), and generate.go runs there: the revision's
# own generate.go if it has one, else this tree's.
set -eu
rev=${1:-HEAD}
root=$(git rev-parse --show-toplevel)
commit=$(git -C "$root" rev-parse --verify "$rev^{commit}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
git -C "$root" archive "$commit" | tar -x -C "$work"
if [ ! -f "$work/testdata/upgrade/generate.go" ]; then
	echo "regenerate: $rev has no testdata/upgrade/generate.go; using this tree's" >&2
	mkdir -p "$work/testdata/upgrade"
	cp "$root/testdata/upgrade/generate.go" "$work/testdata/upgrade/generate.go"
fi
mkdir "$work/out"
(cd "$work" && go run ./testdata/upgrade/generate.go -out "$work/out" -rev "$commit")
rm -rf "$root/testdata/upgrade/city" "$root/testdata/upgrade/edge"
cp -R "$work/out/city" "$work/out/edge" "$work/out/expect.json" "$root/testdata/upgrade/"
echo "regenerate: wrote testdata/upgrade/city, edge and expect.json from $commit"
du -sh "$root/testdata/upgrade/city" "$root/testdata/upgrade/edge"

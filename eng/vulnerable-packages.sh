#!/usr/bin/env bash
# Fails when a NuGet package the build uses, directly or transitively, has a known vulnerability (NuGet's vulnerability
# data, from the package sources). Without network the check cannot run: it says so and passes, so CI does not fail for
# lack of network; it fails only when a vulnerable package is reported.
#   bash eng/vulnerable-packages.sh [SOLUTION-OR-PROJECT] [extra `dotnet list package` options, e.g. --source URL]
# Exit codes: 0 none reported (or not checked: offline), 1 vulnerable packages reported.
set -uo pipefail
cd "$(dirname "$0")/.."
target="${1:-Attune.slnx}"
shift || true
out=$(mktemp); err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
if [ -n "${ATTUNE_VULNERABLE_JSON:-}" ]; then
  # For testing this script: a saved `--format json` answer instead of asking the sources.
  cp "$ATTUNE_VULNERABLE_JSON" "$out"; rc=0
else
  timeout 300 dotnet list "$target" package --vulnerable --include-transitive --format json "$@" >"$out" 2>"$err"
  rc=$?
fi
if grep -q '"vulnerabilities"' "$out"; then
  echo "vulnerable packages: found (dotnet list package --vulnerable --include-transitive); the packages, versions and advisories:"
  grep -E '"(path|id|resolvedVersion|severity|advisoryurl)"' "$out" | tr -s ' ' | sed 's/^/ /'
  exit 1
fi
if [ "$rc" -ne 0 ] || grep -qiE 'unable to load|NU1301|"problems"' "$out" || [ -s "$err" ]; then
  reason=$( (grep '"text"' "$out"; grep -iE 'unable|NU1301|error' "$err") | head -n 1 | tr -s ' ')
  echo "vulnerable packages: not checked, the package sources could not be read (${reason:-exit code $rc}); not a failure"
  exit 0
fi
# "none" is only true when a source actually serves vulnerability data (its service index names a VulnerabilityInfo
# resource): a mirror or proxy without it makes dotnet report no vulnerable package without having looked.
with_data=0
for source in $(tr -d '\n' <"$out" | grep -o '"sources": *\[[^]]*\]' | grep -o 'https\?://[^"]*'); do
  if command -v curl >/dev/null && curl -fsS -m 30 "$source" 2>/dev/null | grep -q 'VulnerabilityInfo'; then with_data=1; fi
done
if [ "$with_data" -eq 0 ]; then
  echo "vulnerable packages: not checked, no package source serves vulnerability data here (offline, or a mirror without it); not a failure"
  exit 0
fi
projects=$(grep -c '"path"' "$out")
echo "vulnerable packages: none ($projects projects checked, transitive packages included)"
exit 0

#!/usr/bin/env bash
# Mutation testing of the EM maths (issue 12): sklearn_gum/_mixture.py and
# sklearn_gum/_em.py against tests/test_mixture.py and tests/test_em.py.
#
# The configuration is [tool.mutmut] in pyproject.toml; the last run is
# reported in benchmarks/results/mutation.md. Needs mutmut 3 (a dev tool,
# not a dependency of the package): pip install "mutmut==3.8.1".
# mutmut copies the package and the tests into ./mutants (git-ignored) and
# runs pytest there; `python -m pytest` never runs this.
#
# Usage: benchmarks/run_mutation.sh [max_children]   (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."

# Start clean: mutmut caches results in ./mutants between runs.
rm -rf mutants
start=$(date +%s)
nice -n 10 mutmut run --max-children "${1:-2}"
echo
echo "mutmut run took $(( $(date +%s) - start )) s"

# Mutants per file and status, then every survivor with its diff.
mutmut results --all true | awk '
    {
        split($1, name, ".")
        file = name[2]
        status = $0
        sub(/^[^:]*: /, "", status)
        count[file, status]++
        total[file]++
        statuses[status] = 1
    }
    END {
        for (file in total) {
            line = sprintf("%-10s total %4d", file, total[file])
            for (status in statuses)
                line = line sprintf("  %s %d", status, count[file, status])
            killed = count[file, "killed"] + count[file, "timeout"]
            print line sprintf("  kill rate %.1f%%", 100 * killed / total[file])
        }
    }'
for mutant in $(mutmut results | awk -F: '/survived/ {print $1}'); do
    mutmut show "$mutant" | grep -E '^(#|[-+][^-+])'
done

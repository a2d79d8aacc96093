#!/usr/bin/env bash
# bench.sh runs groupsync's benchmarks and writes their results as tables to
# docs/benchmarks.md (or $BENCH_OUT). `make bench` runs it after installing
# the scimmy peer; without it the scimmy rows are skipped.
#
# Each end-to-end sync is run once (-benchtime=1x): one sync of the large
# org takes tens of seconds, and the counts (API calls, writes) are exact
# whatever the number of runs. Wall times vary with the machine's load;
# rerun with GOFLAGS=-p=1 on a busy machine.
#
# Environment:
#   BENCH_OUT     where to write the report (default docs/benchmarks.md)
#   BENCH_FILTER  -bench regexp for the end-to-end benchmarks (default .)
#   BENCH_RAW     a saved log of an earlier run (its go test output): write
#                 the page from it instead of running the benchmarks again
set -euo pipefail

cd "$(dirname "$0")/.."
out=${BENCH_OUT:-docs/benchmarks.md}
filter=${BENCH_FILTER:-.}
go=${GO:-go}

load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
raw=$(mktemp -d)
trap 'rm -rf "$raw"' EXIT

e2e_cmd="$go test -run '^\$' -bench '$filter' -benchtime=1x -count=1 -timeout 120m ./internal/benchmarks/"
if [ -z "${BENCH_RAW:-}" ]; then
	echo "+ $e2e_cmd" >&2
	eval "$e2e_cmd" | tee "$raw/e2e.txt" >&2
else
	# The end-to-end package's lines, then every other package's.
	awk -v e2e="$raw/e2e.txt" -v pkg="$raw/pkg.txt" '
		/^pkg: / { out = ($2 ~ /internal\/benchmarks$/) ? e2e : pkg }
		/^(pkg|cpu): |^Benchmark/ && out != "" { print > out }' "$BENCH_RAW"
fi

# Package benchmarks: a full Directory read, one PATCH of a 1% change, and
# bbolt snapshot writes and reads. They are short, so they run many times,
# except the full read (one 10,000-user org read per run).
pkg_cmds=(
	"$go test -run '^\$' -bench '^BenchmarkFullRead\$' -benchtime=3x -count=1 ./internal/source/workspace/"
	"$go test -run '^\$' -bench '^BenchmarkModifyMembers1Percent\$' -benchtime=200x -count=1 ./internal/target/scim/"
	"$go test -run '^\$' -bench '^BenchmarkSnapshot\$' -benchtime=50x -count=1 ./internal/store/bolt/"
	"$go test -run '^\$' -bench '^BenchmarkCompute\$' -benchtime=3x -count=1 ./internal/plan/"
)
if [ -z "${BENCH_RAW:-}" ]; then
	: >"$raw/pkg.txt"
	for c in "${pkg_cmds[@]}"; do
		echo "+ $c" >&2
		eval "$c" | tee -a "$raw/pkg.txt" >&2
	done
fi

if ! grep -q '^BenchmarkSync\|^BenchmarkHinted\|^BenchmarkProcess' "$raw/e2e.txt"; then
	echo "bench.sh: no end-to-end benchmark results; see the output above" >&2
	exit 1
fi

cpu=$(sed -n 's/^cpu: //p' "$raw/e2e.txt" | head -1)
rawnote=""
if [ -n "${BENCH_RAW:-}" ]; then
	rawnote=" (this page was written later from the saved log of that run)"
fi
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain -- internal cmd 2>/dev/null)" ]; then
	commit="$commit (with uncommitted changes)"
fi

# e2e_table turns `go test -bench` lines of BenchmarkSync* into the
# markdown rows, and the prose that reads them.
e2e_table() {
	awk '
	function fmt_time(ns) {
		if (ns >= 1e9) return sprintf("%.2f s", ns / 1e9)
		return sprintf("%.0f ms", ns / 1e6)
	}
	function n(v) { return sprintf("%.0f", v) }
	/^BenchmarkSync/ {
		name = $1; sub(/-[0-9]+$/, "", name)
		split(name, part, "/")
		target = part[1] == "BenchmarkSyncScimmy" ? "scimmy" : "scimtest"
		delete m
		m["ns/op"] = $3
		for (i = 5; i < NF; i += 2) m[$(i + 1)] = $i
		size = sprintf("%s (%s users, %s groups)", part[2], n(m["users"]), n(m["groups"]))
		printf "| %s | %s | %s | %s | %s (%s) | %s | %s | %s (%s) | %s | %s (%s) | %.1f (%.1f) |\n",
			part[3], size, target, fmt_time(m["ns/op"]),
			n(m["source-calls/op"]), n(m["source-budget/op"]),
			n(m["target-requests/op"]), n(m["target-writes/op"]),
			n(m["patch/op"]), n(m["group-patch/op"]), n(m["changed-groups/op"]),
			n(m["store-writes/op"]), n(m["store-data-writes/op"]),
			m["peak-heap-MB"], m["base-heap-MB"]
	}' "$raw/e2e.txt"
}

e2e_findings() {
	awk '
	function n(v) { return sprintf("%.0f", v) }
	/^BenchmarkSync/ {
		name = $1; sub(/-[0-9]+$/, "", name)
		split(name, part, "/")
		target = part[1] == "BenchmarkSyncScimmy" ? "scimmy" : "scimtest"
		delete m
		for (i = 5; i < NF; i += 2) m[$(i + 1)] = $i
		row = part[3] " " part[2] " (" target ")"
		read = m["source-calls/op"] - m["audit-calls/op"]
		if (read > m["source-budget/op"]) over = over ", " row
		audit = m["audit-calls/op"] > 0 ? sprintf(" (+%s audit log pages)", n(m["audit-calls/op"])) : ""
		calls = calls sprintf("%s%s: %s of %s%s", sep, row, n(read), n(m["source-budget/op"]), audit)
		sep = "; "
		if (part[3] == "UnchangedResync") {
			if (m["target-writes/op"] > 0 || m["store-data-writes/op"] > 1) wrote = 1
			unchanged = unchanged sprintf("- %s: %s SCIM requests, %s SCIM writes, %s store data writes (%s store commits, job log included).\n",
				row, n(m["target-requests/op"]), n(m["target-writes/op"]), n(m["store-data-writes/op"]), n(m["store-writes/op"]))
		}
		if (part[3] == "OnePercentChange") {
			ratio = m["changed-groups/op"] > 0 ? m["group-patch/op"] / m["changed-groups/op"] : 0
			maxratio = ratio > maxratio ? ratio : maxratio
			change = change sprintf("- %s: %s membership changes and one rename changed %s groups, sent in %s group PATCHes (%.2f per changed group); %s PATCHes in all, the others update users (the rename; disabling users who left every group).\n",
				row, n(m["member-changes/op"]), n(m["changed-groups/op"]), n(m["group-patch/op"]), ratio, n(m["patch/op"]))
		}
		if (part[3] == "InitialSync")
			initial = initial sprintf("- %s: %s SCIM requests for %s writes (%.1f requests a write); %s group PATCHes for %s groups.\n",
				row, n(m["target-requests/op"]), n(m["target-writes/op"]),
				m["target-writes/op"] > 0 ? m["target-requests/op"] / m["target-writes/op"] : 0,
				n(m["group-patch/op"]), n(m["changed-groups/op"]))
	}
	END {
		if (unchanged != "") {
			print wrote ? "**An unchanged resync wrote something (a regression: it must write nothing but the hint watermark).**" : "**An unchanged resync writes nothing** to the target, and to the sync data in the store only the hint watermark of the rule (one write). The Directory fake serves the Reports API, so a resync is a hinted run: the groups listing and the audit log, not the whole directory."
			print ""
			printf "%s", unchanged
			print ""
		}
		print "**Directory API calls against the paging budget** ceil(G/200) groups.list pages + one members.list page per 200 members of each group read + ceil(U/500) users.list pages (calls of budget; a hinted run reads the audit log besides):"
		print calls "."
		if (over != "") print "Over budget: " substr(over, 3) "."
		else print "No sync spent more than the budget: each group listing is read once per run, even when nested in several parents, and users are swept once."
		print ""
		if (change != "") {
			if (maxratio <= 1) print "**A 1% change costs one PATCH per changed group** (a PATCH carries up to 100 member changes):"
			else print "**PATCHes per changed group after a 1% change** (a PATCH carries up to 100 member changes, so a group with more changes needs more):"
			print ""
			printf "%s", change
			print ""
		}
		if (initial != "") {
			print "**Initial sync** creates every user and group. The engine tells the SCIM target how many creates are coming, and the target reads its existing users and groups once, in pages (`attributes=id,userName,externalId`), instead of looking each create up by userName and then by externalId; a 409 is still resolved by lookup. So a create is one POST, plus the list pages; groups of more than 100 members need more than one PATCH:"
			print ""
			printf "%s", initial
		}
	}' "$raw/e2e.txt"
}

# hinted_table turns the BenchmarkHinted lines (issue 13: runs on change
# hints at sizes M and L) into markdown rows.
hinted_table() {
	awk '
	function n(v) { return v == "" ? "–" : sprintf("%.0f", v) }
	function s(v) { return v == "" ? "–" : sprintf("%.1f s", v) }
	/^BenchmarkHinted/ {
		name = $1; sub(/-[0-9]+$/, "", name)
		split(name, part, "/")
		delete m
		for (i = 5; i < NF; i += 2) m[$(i + 1)] = $i
		if (part[3] == "Latency") {
			printf "| %s | %s | p50 %s, max %s | – | – | – | – | – | %s |\n", part[3], part[2], s(m["p50-s"]), s(m["max-s"]), n(m["peak-rss-MB"])
			next
		}
		printf "| %s | %s | %s | %s (%s) | %s | %s | %s | %s (%s) | %s |\n", part[3], part[2], s(m["wall-s/op"]),
			n(m["source-calls/op"]), n(m["source-budget/op"]), n(m["target-requests/op"]), n(m["target-writes/op"]),
			n(m["store-data-writes/op"]), n(m["peak-heap-MB"]), n(m["base-heap-MB"]), n(m["peak-rss-MB"])
	}' "$raw/e2e.txt"
}

# process_table turns the BenchmarkProcess lines (the groupsync binary in
# its own process, sizes M and L) into markdown rows.
process_table() {
	awk '
	function n(v) { return v == "" ? "–" : sprintf("%.0f", v) }
	/^BenchmarkProcess/ {
		name = $1; sub(/-[0-9]+$/, "", name)
		split(name, part, "/")
		delete m
		for (i = 5; i < NF; i += 2) m[$(i + 1)] = $i
		ratio = part[3] == "FullPaced" ? sprintf("%.2f×", m["x-quota-min"]) : "–"
		printf "| %s | %s | %.1f s | %s | %s | %s | %s | %s | %s | %s (%s + %s) | %s |\n", part[3], part[2],
			m["wall-s/op"], ratio, n(m["source-calls/op"]), n(m["target-requests/op"]), n(m["bulk-requests/op"]),
			n(m["changes/op"]), sprintf("%.1f", m["cpu-s/op"]), n(m["peak-rss-MB"]), n(m["peak-anon-MB"]), n(m["peak-file-MB"]), n(m["store-MB"])
	}' "$raw/e2e.txt"
}

# process_findings reads the BenchmarkProcess rows against issue 13's
# targets.
process_findings() {
	awk '
	/^BenchmarkProcess/ {
		name = $1; sub(/-[0-9]+$/, "", name)
		split(name, part, "/")
		delete m
		for (i = 5; i < NF; i += 2) m[$(i + 1)] = $i
		key = part[2] "/" part[3]
		rss[key] = m["peak-rss-MB"]; x[key] = m["x-quota-min"]
	}
	function verdict(ok) { return ok ? "met" : "**not met**" }
	END {
		if ("L/Full" in rss)
			printf "- Full sync at L: peak RSS %.0f MiB, target under 1,024 MiB: %s.\n", rss["L/Full"], verdict(rss["L/Full"] < 1024)
		if ("L/OneLargeGroup" in rss)
			printf "- One 50,000-member group at L: peak RSS %.0f MiB, target under 256 MiB: %s.\n", rss["L/OneLargeGroup"], verdict(rss["L/OneLargeGroup"] < 256)
		if ("M/FullPaced" in x)
			printf "- Full sync at M, paced: %.2f× the quota-bound minimum, target at most 1.15×: %s.\n", x["M/FullPaced"], verdict(x["M/FullPaced"] <= 1.15)
		if ("L/FullPaced" in x)
			printf "- Full sync at L, paced: %.2f× the quota-bound minimum.\n", x["L/FullPaced"]
	}' "$raw/e2e.txt"
}

pkg_table() {
	awk '
	/^pkg: / { pkg = $2; sub(/^github.com\/groupsync\/groupsync\//, "", pkg) }
	/^Benchmark/ {
		name = $1; sub(/-[0-9]+$/, "", name)
		extra = ""
		for (i = 5; i < NF; i += 2) extra = extra sprintf("%s%s %s", extra == "" ? "" : ", ", $i, $(i + 1))
		ns = $3
		t = ns >= 1e9 ? sprintf("%.2f s", ns / 1e9) : ns >= 1e6 ? sprintf("%.2f ms", ns / 1e6) : sprintf("%.1f µs", ns / 1e3)
		printf "| `%s` | %s | %s | %s | %s |\n", pkg, name, $2, t, extra == "" ? "–" : extra
	}' "$raw/pkg.txt"
}

mkdir -p "$(dirname "$out")"
{
	cat <<EOF
# Benchmarks

Performance is measured by benchmarks, never by timed tests. Reproduce this
page with:

\`\`\`sh
make bench            # = bash scripts/bench.sh (GOFLAGS=-p=1 on a busy machine)
\`\`\`

Machine: $(nproc) CPUs ($cpu), $($go version | sed 's/^go version //'), $(uname -sr).
Run on $(date -u '+%Y-%m-%d %H:%M UTC') at commit $commit$rawnote; load average
before the run: $load. The org is generated from a fixed seed, so the counts
are the same on every run; wall times move with the machine's load.

## End-to-end syncs

\`internal/benchmarks\` runs the real pipeline in one process:
\`engine.New(…).Run\` with the Google Directory client
(\`internal/source/workspace\`) against the Directory API fake
(\`workspacetest\`, a generated org with nested groups, outside members and
3% suspended users), the SCIM client (\`internal/target/scim\`) against the
strict in-process SCIM fake (\`scimtest\`) or the third-party scimmy server
(Node, behind a counting proxy), and a bbolt store on disk. The rule takes
every group but \`all-staff\` (whose member is the whole customer). Each row
is one sync (\`$e2e_cmd\`):

- **InitialSync**: empty target and store.
- **UnchangedResync**: a sync right after a complete one.
- **OnePercentChange**: 1% of the direct memberships changed (half removed,
  half added, in groups of 10 or more members) and one member renamed.

Wall time is \`engine.Run\` alone: building the org, starting servers and the
sync that prepares the last two scenarios are not timed. Pacing is off
(QPM 1,000,000), so wall time is the client, engine and store, not Google's
quota: at the default 2,400 queries a minute the Directory calls alone take
calls ÷ 40 seconds.

| scenario | size | SCIM server | wall time | Directory calls (budget) | SCIM requests | SCIM writes | PATCHes (to groups) | changed groups | store commits (sync data) | peak heap MB (live before) |
| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
EOF
	e2e_table
	cat <<'EOF'

Columns:

- **Directory calls**: Directory API requests the fake served (groups, members, users; not
  OAuth token requests). The budget is the fewest calls a full read can take with the API's
  page caps (see below); the benchmark fails if a sync spends more.
- **SCIM requests / writes / PATCHes**: requests the SCIM client sent, from its own counters
  (writes are POST, PUT, PATCH and DELETE); PATCHes to groups are counted on the wire.
- **changed groups**: groups whose result was not `unchanged` in the job.
- **store commits**: committed bbolt write transactions, the job log included (the job, one
  result per group). **sync data** counts the store calls that write snapshots, ownership
  records, rule state or held plans; the benchmark fails if an unchanged resync makes any but
  the one that moves the rule's hint watermark.
- **peak heap**: the largest heap (`/memory/classes/heap/objects:bytes` from runtime/metrics,
  the same figure as `MemStats.HeapAlloc`, sampled every 2 ms) during the sync, in the whole
  process: it includes both fakes and garbage not yet collected. **live before** is the heap
  after a forced GC just before the sync, mostly the fakes' state; peak minus live before
  approximates what the sync itself needed.

## What this shows

EOF
	e2e_findings
	cat <<'EOF'

## Hinted runs (change hints, sizes M and L)

`BenchmarkHinted` runs one rig per size with the Reports API fake at a
simulated 90 s audit lag, the engine and the fake on one simulated clock
(a poll's minute passes without waiting): the initial full sync, `sync
--full` unchanged, a hint poll with nothing changed, 1% of the memberships
changed, 1% of the users renamed, then `sync --full` again, which must
write nothing (the hinted runs missed nothing), and the change-to-target
latency of six changes spread over a poll's minute. L runs with
`GROUPSYNC_BENCH_L=1`.

| scenario | size | wall | Directory calls (full-read budget) | SCIM requests | SCIM writes | store data writes | peak heap MB (live before) | peak RSS MB |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
EOF
	hinted_table
	cat <<'EOF'

Lower bounds: a full read is the budget column (calls ÷ 40 s at the default
2,400 queries a minute); a hinted poll with no change is `ceil(G/200) + 2`
calls (the groups listing and one activities.list per audit application)
and no write; a hinted change adds each named group's member pages and one
users.list sweep (`ceil(U/500)`); the latency's floor is the audit lag, and
its p50 over changes spread evenly in a minute is the lag plus half a poll
(120 s), plus the poll's own run. Peak RSS is the whole process (both fakes
included) since it started, so an upper bound on a sync's own.
EOF
	cat <<'EOF'

## The binary at sizes M and L (peak memory, quota-bound wall time)

`BenchmarkProcess` builds the `groupsync` binary and runs `groupsync sync`
as a child process against the Directory API fake and the SCIM fake (with
Bulk, 1,000 operations a request) in the benchmark's process, so the
memory figures are the sync's alone: peak RSS is the child's resident
high-water mark (`VmHWM`), with the largest anonymous (Go heap, stacks)
and file-backed (the bbolt store's memory map) parts seen, all sampled
from `/proc/PID/status` every 20 ms.
Sizes: M is 20,000 users, 2,000 groups and three groups of 10,000; L is
100,000 users, 10,000 groups and three groups of 50,000 (1.37 million
flattened memberships). L runs with `GROUPSYNC_BENCH_L=1`.

- **Full**: the initial sync, pacing off.
- **FullNoChange**: `sync --full` right after it.
- **OneLargeGroup**: `sync --group large-1@example.com` into an empty
  target and store: one group of 10,000 (M) or 50,000 (L) members, and
  its users.
- **FullPaced**: the initial sync into an empty target and store at the
  default 2,400 queries a minute; **× quota min** is its wall time over
  the Directory calls ÷ 40 a second, the least those calls can take.

| scenario | size | wall | × quota min | Directory calls | SCIM requests | of them Bulk | changes | CPU s | peak RSS MiB (anon + file) | store MiB |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
EOF
	process_table
	echo
	process_findings
	cat <<'EOF'

The run's peak is the gate, which holds every staged read and the whole
rule's plan, and the users step, which decodes the plan again: memory grows
with the rule's memberships (see docs/architecture.md, "What a run holds").
Each run differs by a few MiB with the garbage collector's timing.
EOF
	cat <<EOF

## Package benchmarks

| package | benchmark | runs | time/op | reported |
| --- | --- | ---: | ---: | --- |
EOF
	pkg_table
	cat <<'EOF'

- `BenchmarkFullRead`: a fresh Source reads a 10,000-user, 500-group org (list groups, every
  group's members with 8 workers, list users), pacing off.
- `BenchmarkModifyMembers1Percent`: 10 members in and 10 out of a 1,000-member group on the
  SCIM fake: one PATCH.
- `BenchmarkSnapshot`: bbolt writes and reads of one group's snapshot of 100, 5,000 and 50,000
  members (each Put is a committed, fsynced transaction).
- `BenchmarkCompute`: `plan.Compute` over 1,000,000 memberships (100,000 users in 10,000 groups
  of 100): Initial (nothing owned, everything created) and Steady (everything owned, 1% of the
  groups changed). `cpu-s/op` is the process's CPU time per plan (both cores, GC included): on
  a shared machine wall time measures the neighbours.

Commands:

```sh
EOF
	for c in "${pkg_cmds[@]}"; do echo "$c"; done
	cat <<'EOF'
```

<details><summary>Raw <code>go test</code> output</summary>

```
EOF
	grep -h '^Benchmark\|^cpu:\|^pkg:' "$raw/e2e.txt" "$raw/pkg.txt"
	cat <<'EOF'
```

</details>
EOF
} >"$out"
echo "wrote $out" >&2

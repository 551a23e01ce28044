# hack/bench-caches.sh — goal 8 of hack/bench: cache mounts that travel. examples/go is
# built as a CI runner lives it: every build starts from an empty builder cache (what a
# fresh runner has), once with the cache folder the previous run exported
# (`--target runtime.caches --output type=local`) given as `--build-context gocache=DIR`,
# and once without it, after a one-line edit of main.go. Sourced by hack/bench: it uses
# its helpers and variables (W, TAG, IMAGE, TOOL, QUICK) and reports through row,
# details and why. Not a script of its own. It empties the engine's build cache
# (`docker buildx prune -af`), so hack/bench runs it last.
# shellcheck shell=bash
# shellcheck disable=SC2154 # the variables are set by hack/bench

# fresh_builder — the builder as a new CI runner has it: no build cache, no cache mounts
# (the base images stay in the image store, as a runner's pull would bring them).
fresh_builder() {
  docker buildx prune -af >/dev/null 2>&1 || fail "docker buildx prune -af failed"
}

# step_seconds LOG PATTERN — seconds the one step whose name matches PATTERN ran.
step_seconds() {
  local found
  found=$("$TOOL" durations "$1" | awk -F'\t' -v p="$2" '$2 ~ /^\[/ && $2 ~ p { print $1 }')
  [[ $(printf '%s\n' "$found" | grep -c .) == 1 ]] || fail "expected one step matching /$2/ in $1, found: ${found:-none}"
  printf '%s' "$found"
}

# mean VALUES… — their mean, three decimals.
mean() { printf '%s\n' "$@" | awk '{ s += $1 } END { printf "%.3f", s / NR }'; }

goal_8() {
  local dir=$W/travel cache=$W/travel-cache runs=2 r mode log start
  local -a cold_build=() seeded_build=() cold_deps=() seeded_deps=() cold_total=() seeded_total=() seed=()
  [[ -z $QUICK ]] || runs=1
  rm -rf "$dir" "$cache" && cp -r "$ROOT/examples/go" "$dir"
  sed -i "1s|^# syntax=.*|# syntax=$IMAGE|" "$dir/Stagefile"
  grep -q 'seed: gocache' "$dir/Stagefile" || fail "examples/go seeds no cache from gocache"

  # One build does both: the .caches target builds its stage first, then copies the caches.
  log "cache travel: the previous CI run (fresh builder, build and export of the caches)"
  fresh_builder
  build "$W/travel-previous.log" --target runtime.caches --output "type=local,dest=$cache" -f "$dir/Stagefile" "$dir"
  local export_s folder
  export_s=$("$TOOL" durations "$W/travel-previous.log" | awk -F'\t' '$2 ~ /^\[runtime\.caches\] export cache/ { s += $1 } END { printf "%.1f", s }')
  folder=$(du -sb "$cache" | cut -f1)
  [[ -d $cache/root-.cache-go-build && -d $cache/go-pkg-mod ]] ||
    fail "the exported folder lacks root-.cache-go-build/ or go-pkg-mod/: $(find "$cache" -mindepth 1 -maxdepth 1 -printf "%f " )"

  edit_source "$dir" go "edited by hack/bench $(date +%s)-$$"
  for ((r = 1; r <= runs; r++)); do
    for mode in cold seeded; do
      seed=()
      [[ $mode == cold ]] || seed=(--build-context "gocache=$cache")
      log "cache travel: run $r/$runs, fresh builder, $mode"
      fresh_builder
      log=$W/travel-$mode-$r.log
      start=$EPOCHREALTIME
      build "$log" "${seed[@]}" -t "$TAG-travel" -f "$dir/Stagefile" "$dir"
      if [[ $mode == cold ]]; then
        cold_total+=("$(calc "$EPOCHREALTIME - $start" 3)")
        cold_build+=("$(step_seconds "$log" 'go build')")
        cold_deps+=("$(step_seconds "$log" 'go mod download')")
      else
        seeded_total+=("$(calc "$EPOCHREALTIME - $start" 3)")
        seeded_build+=("$(step_seconds "$log" 'go build')")
        seeded_deps+=("$(step_seconds "$log" 'go mod download')")
      fi
    done
  done
  fresh_builder

  local cb sb cd sd ct st
  cb=$(mean "${cold_build[@]}") sb=$(mean "${seeded_build[@]}")
  cd=$(mean "${cold_deps[@]}") sd=$(mean "${seeded_deps[@]}")
  ct=$(mean "${cold_total[@]}") st=$(mean "${seeded_total[@]}")
  row "examples/go on a fresh builder after a one-line edit: \`go build\` step, seeded from the exported folder" \
    "$(calc "$sb" 2) s" "not seeded: $(calc "$cb" 2) s" "$(ratio "$(calc "$sb / $cb" 4)")×" "< 1× (faster than unseeded)" \
    "$(holds "$sb < $cb" && echo met || echo missed)"
  row "the same build: \`go mod download\` step, seeded" "$(calc "$sd" 2) s" "not seeded: $(calc "$cd" 2) s" \
    "$(ratio "$(calc "$sd / $cd" 4)")×" "reported" "-"
  row "the same build: whole build, seeded" "$(calc "$st" 1) s" "not seeded: $(calc "$ct" 1) s" \
    "$(ratio "$(calc "$st / $ct" 4)")×" "reported" "-"
  holds "$sb < $cb" || why "**Cache travel.** The seeded \`go build\` took $(calc "$sb" 2) s against $(calc "$cb" 2) s unseeded."
  details "### 8. Cache mounts that travel (examples/go on a fresh builder)" "" \
    "The way CI lives it: every build below starts from an empty builder (\`docker buildx prune -af\` first: no layers, no cache mounts; the base images stay in the image store). The previous run builds examples/go and exports its cache mounts in one build, \`--target runtime.caches --output type=local,dest=DIR\` (the copies of the caches took $export_s s in all; a folder of $(size "$folder"): the Go module and build caches, and the apt caches the first step mounts). Then one line of \`main.go\` changes, and each run builds it twice on a fresh builder: without the folder, and with \`--build-context gocache=DIR\`, which seeds the two Go caches (\`seed: gocache\`). Step times are the \`DONE\` times of BuildKit's plain progress; $runs run(s) each, means shown. The dependency step has little to do here: the example uses the standard library only, so \`go mod download\` finds nothing to fetch either way; the compile step is where the seed counts, because \`-trimpath\` and \`CGO_ENABLED=0\` make Go compile its standard library into the build cache." "" \
    "| run | \`go build\` unseeded | seeded | \`go mod download\` unseeded | seeded | whole build unseeded | seeded |" \
    "|---|---:|---:|---:|---:|---:|---:|"
  for ((r = 0; r < runs; r++)); do
    details "| $((r + 1)) | ${cold_build[$r]} s | ${seeded_build[$r]} s | ${cold_deps[$r]} s | ${seeded_deps[$r]} s | ${cold_total[$r]} s | ${seeded_total[$r]} s |"
  done
}

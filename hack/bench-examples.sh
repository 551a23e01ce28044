# hack/bench-examples.sh — goal 7 of hack/bench: each example (examples/*/Stagefile), and
# the same app built by a one-stage preset Stagefile, against the example's Dockerfile twin
# (examples/*/Dockerfile) built in the same run: the runtime image's size, and the steps a
# one-line edit of the app's source re-runs. Sourced by
# hack/bench: it uses its helpers and variables (W, TAG, IMAGE, TOOL) and reports through
# row, details and why. Not a script of its own.
# shellcheck shell=bash
# shellcheck disable=SC2154 # the variables are set by hack/bench

# The file of each example that holds its greeting: the line the edit changes.
declare -A EXAMPLE_SOURCE=(
  [go]=main.go
  [node]=server.js
  [python]=app.py
  [rust]=src/main.rs
  [java]=src/example/Server.java
)

# The preset that builds each example's app (the bodies tests/e2e_presets.rs builds).
declare -A EXAMPLE_PRESET=(
  [go]="{name: go, port: 8080}"
  [node]="{name: node, port: 8080}"
  [python]="{name: python, port: 8080}"
  [rust]="{name: rust, port: 8080, entry: server}"
  [java]="{name: java, manager: javac, entry: example.Server, port: 8080}"
)

# example_build LOG FILE DIR TAG — build DIR with -f DIR/FILE, the host's CA bundle given as
# the optional `ca` secret when there is one (as a user behind a TLS proxy would).
example_build() {
  local -a secret=()
  [[ ! -f /etc/ssl/certs/ca-certificates.crt ]] || secret=(--secret id=ca,src=/etc/ssl/certs/ca-certificates.crt)
  build "$1" "${secret[@]}" -t "$4" -f "$3/$2" "$3"
}

# edit_source DIR NAME TOKEN — change the one line holding the greeting; fail unless
# exactly one line changed.
edit_source() {
  local dir=$1 name=$2 token=$3 file changed
  file=$dir/${EXAMPLE_SOURCE[$name]}
  cp "$ROOT/examples/$name/${EXAMPLE_SOURCE[$name]}" "$file"
  sed -i "0,/hello from stagefile/s|hello from stagefile|hello from stagefile ($token)|" "$file"
  changed=$({ diff "$ROOT/examples/$name/${EXAMPLE_SOURCE[$name]}" "$file" || true; } | grep -c '^[<>]' || true)
  ((changed == 2)) || fail "examples/$name: the edit of ${EXAMPLE_SOURCE[$name]} changed $changed lines, not one"
}

# rerun_counts LOG — "RAN TOTAL DEPS" of a build log: steps that ran, all steps (the
# export included), and how many of the ran steps install dependencies.
rerun_counts() {
  local steps=$1.steps
  "$TOOL" steps "$1" >"$steps"
  printf '%s %s %s\n' "$(grep -c '^ran' "$steps" || true)" "$(wc -l <"$steps")" \
    "$(grep -E '^ran' "$steps" | grep -cE 'apt-get|go mod download|npm ci|pip --python|fn main\(\) \{\}|cargo fetch|jlink' || true)"
}

goal_7() {
  local ex name dir sf df sf_i sf_r df_i df_r token s_ran s_total s_deps d_ran d_total d_deps
  local pdir p_i p_r p_ran p_total p_deps
  local -a presets=()
  local size_ok=met edit_ok=met
  details "### 7. The examples against their Dockerfile twins" "" \
    "Each example is copied to a temporary directory and built twice, as its Stagefile and as its Dockerfile twin (the builtin frontend), each into its own tag: the warm builds. The sizes are \`docker image inspect\` Size (compressed on the containerd store) and the uncompressed layers from \`docker save\`. Then one line of the app's source (the greeting) is edited and each is rebuilt; the Stagefile and the twin get different edits, so neither finds the other's result in the cache. A step re-ran when its vertex reports DONE without CACHED; the counts include the export. The bases are the stand-ins of \`hack/base-images --examples\` (Debian trixie's packages under the official images' names), so the node, python and java sizes are those of Debian's packages, not of the official images; the ratios compare two builds on the same bases." "" \
    "| example | runtime image (Size) | twin | ratio | uncompressed | twin | ratio | re-ran after the edit | twin | ratio |" \
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for ex in "$ROOT"/examples/*/Stagefile; do
    name=$(basename "$(dirname "$ex")")
    # An example of a feature (examples/tested, examples/include) has no Dockerfile twin to compare with.
    [[ -f $ROOT/examples/$name/Dockerfile ]] || continue
    [[ -n ${EXAMPLE_SOURCE[$name]:-} ]] ||
      fail "examples/$name has no source to edit named in hack/bench-examples.sh"
    dir=$W/example-$name
    rm -rf "$dir" && cp -r "$ROOT/examples/$name" "$dir"
    sed -i "1s|^# syntax=.*|# syntax=$IMAGE|" "$dir/Stagefile"
    sf=$TAG-example-$name-sf df=$TAG-example-$name-df
    log "examples/$name: warm builds (Stagefile, then the Dockerfile twin)"
    example_build "$W/example-$name-sf.log" Stagefile "$dir" "$sf"
    example_build "$W/example-$name-df.log" Dockerfile "$dir" "$df"
    read -r sf_i sf_r <<<"$(image_bytes "$sf")"
    read -r df_i df_r <<<"$(image_bytes "$df")"

    token="edited by hack/bench $(date +%s)-$$"
    log "examples/$name: one-line edit of ${EXAMPLE_SOURCE[$name]}, rebuilt both ways"
    edit_source "$dir" "$name" "$token, Stagefile"
    example_build "$W/example-$name-sf-edit.log" Stagefile "$dir" "$sf"
    edit_source "$dir" "$name" "$token, Dockerfile"
    example_build "$W/example-$name-df-edit.log" Dockerfile "$dir" "$df"
    log "examples/$name: the app from a preset stage (${EXAMPLE_PRESET[$name]}), warm and after the edit"
    pdir=$W/preset-$name
    rm -rf "$pdir" && cp -r "$ROOT/examples/$name" "$pdir"
    printf '# syntax=%s\nstages:\n  app:\n    preset: %s\n' "$IMAGE" "${EXAMPLE_PRESET[$name]}" >"$pdir/Stagefile"
    example_build "$W/preset-$name.log" Stagefile "$pdir" "$TAG-preset-$name"
    read -r p_i p_r <<<"$(image_bytes "$TAG-preset-$name")"
    edit_source "$pdir" "$name" "$token, preset"
    example_build "$W/preset-$name-edit.log" Stagefile "$pdir" "$TAG-preset-$name"
    read -r p_ran p_total p_deps <<<"$(rerun_counts "$W/preset-$name-edit.log")"
    read -r s_ran s_total s_deps <<<"$(rerun_counts "$W/example-$name-sf-edit.log")"
    read -r d_ran d_total d_deps <<<"$(rerun_counts "$W/example-$name-df-edit.log")"
    ((s_total > 0 && d_total > 0)) || fail "examples/$name: no build steps found in the progress output"

    row "examples/$name: runtime image Size" "$(mb "$sf_i") MB" "Dockerfile twin: $(mb "$df_i") MB" \
      "$(calc "$sf_i / $df_i" 3)×" "≤ 1.01× the twin" "$(holds "$sf_i <= 1.01 * $df_i" && echo met || echo missed)"
    row "examples/$name: steps re-run after a one-line edit" "$s_ran of $s_total" "Dockerfile twin: $d_ran of $d_total" \
      "$(calc "$s_ran / $d_ran")×" "≤ the twin's, no dependency step" "$( ((s_ran <= d_ran && s_deps == 0)) && echo met || echo missed)"
    row "examples/$name from its preset: runtime image Size" "$(mb "$p_i") MB" "Dockerfile twin: $(mb "$df_i") MB" \
      "$(calc "$p_i / $df_i" 3)×" "reported" "-"
    row "examples/$name from its preset: steps re-run after a one-line edit" "$p_ran of $p_total" "Dockerfile twin: $d_ran of $d_total" \
      "$(calc "$p_ran / $d_ran")×" "no dependency step" "$( ((p_deps == 0)) && echo met || echo missed)"
    ((p_deps == 0)) || why "**examples/$name from its preset, one-line edit.** A dependency step re-ran: $(grep '^ran' "$W/preset-$name-edit.log.steps" | cut -f2 | sed 's/^/`/; s/$/`/' | paste -sd, - | sed 's/,/, /g')."
    presets+=("| $name | \`${EXAMPLE_PRESET[$name]}\` | $(mb "$p_i") MB | $(mb "$df_i") MB | $(calc "$p_i / $df_i" 3)× | $(mb "$p_r") MB | $(mb "$df_r") MB | $(calc "$p_r / $df_r" 3)× | $p_ran of $p_total | $d_ran of $d_total | $(calc "$p_ran / $d_ran")× |")
    details "| $name | $(mb "$sf_i") MB | $(mb "$df_i") MB | $(calc "$sf_i / $df_i" 3)× | $(mb "$sf_r") MB | $(mb "$df_r") MB | $(calc "$sf_r / $df_r" 3)× | $s_ran of $s_total | $d_ran of $d_total | $(calc "$s_ran / $d_ran")× |"
    if ! holds "$sf_i <= 1.01 * $df_i"; then
      size_ok=missed
      why "**examples/$name, size.** The Stagefile's runtime image is $(mb "$sf_i") MB against $(mb "$df_i") MB for the twin ($(calc "$sf_i / $df_i" 3)×)."
    fi
    if ((s_ran > d_ran || s_deps > 0)); then
      edit_ok=missed
      why "**examples/$name, one-line edit.** The Stagefile build re-ran $s_ran steps ($s_deps installing dependencies) against $d_ran for the twin: $(grep '^ran' "$W/example-$name-sf-edit.log.steps" | cut -f2 | sed 's/^/`/; s/$/`/' | paste -sd, - | sed 's/,/, /g')."
    fi
  done
  details "" "The same apps from a Stagefile of one preset stage (\`stages: {app: {preset: …}}\`, see docs/reference.md), against the same twins. Where the preset and the example differ by design, the sizes say so: the go example compiles with Debian bookworm's Go (golang-go on debian:bookworm) and the go preset with golang:1.24-trixie, so the binaries differ by toolchain; the node preset runs the package's build script in a stage of its own (\`npm run build --if-present\`) and copies the app from it, so an edit re-runs that stage, where the example, which has no build script, copies the source alone." "" \
    "| example | preset | runtime image (Size) | twin | ratio | uncompressed | twin | ratio | re-ran after the edit | twin | ratio |" \
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|" "${presets[@]}"
  details "" "Steps the Stagefile builds re-ran after the edit:" ""
  for ex in "$ROOT"/examples/*/Stagefile; do
    name=$(basename "$(dirname "$ex")")
    [[ -f $ROOT/examples/$name/Dockerfile ]] || continue
    details "- $name: $(grep '^ran' "$W/example-$name-sf-edit.log.steps" | cut -f2 | sed 's/|/\\|/g; s/^/`/; s/$/`/' | paste -sd';' - | sed 's/;/; /g')"
  done
  [[ $size_ok == met && $edit_ok == met ]] || log "goal 7: some example missed its twin's figures"
}

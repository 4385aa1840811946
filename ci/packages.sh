# Sourced by ci/test and ci/quickstart: installs the Debian packages examq needs, when missing.
# Idempotent and quick when everything is there (one dpkg-query, no apt-get update).

EXAMQ_PACKAGES=(
  build-essential cmake ninja-build pkg-config python3
  postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
  postgresql-contrib
  libpq-dev tao-json-dev libpodofo-dev libpoppler-cpp-dev libturbojpeg0-dev
  libcurl4-openssl-dev libspdlog-dev libboost-test-dev libcli11-dev
  libpoppler-private-dev libtesseract-dev libleptonica-dev tesseract-ocr-eng tesseract-ocr-osd
  poppler-utils libjwt-dev libssl-dev
)

# Only ci/test needs these. The fixture papers embed fonts from their files
# (tests/fixtures/fixture_fonts.cc): Liberation Sans and Serif (Arial and Times metrics) and DejaVu
# Sans. fonts-urw-base35 (what ghostscript brings) makes fontconfig resolve Helvetica to Nimbus
# Sans, so that ci/test's two font configurations differ (docs/testing.md).
# The web page is tested in a real browser (tests/web): chromium, its driver and selenium.
# The --json outputs are checked against docs/schemas (tests/cli/validate_json.py): jsonschema.
# The documented examples (tests/docs) use jq and curl, as the docs' readers do.
# Notification emails go to a real SMTP server (tests/notify): aiosmtpd.
# Workers through a transaction-mode pooler (tests/cluster/pgbouncer.sh): pgbouncer.
EXAMQ_TEST_PACKAGES=(fonts-liberation2 fonts-dejavu-core fonts-urw-base35 chromium chromium-driver python3-selenium
  python3-jsonschema jq curl python3-aiosmtpd pgbouncer)
# The multi-host test (tests/cluster, root only) makes network namespaces with ip (iproute2).
EXAMQ_TEST_PACKAGES+=(iproute2)

# examq_install_packages [EXTRA...]: EXAMQ_PACKAGES and the extra packages named.
examq_install_packages() {
  local missing=() p status
  for p in "${EXAMQ_PACKAGES[@]}" "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "need root or sudo to install: ${missing[*]}" >&2; return 1; }
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq || return 1
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || return 1
}

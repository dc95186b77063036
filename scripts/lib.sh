# Shared by the scripts in this folder: `source "$(dirname "$0")/lib.sh"`.

# npm_deps DIR: installs DIR's npm dependencies from its lock file (`npm ci`), falling back
# to `npm install` when there is no lock or `npm ci` fails (this machine's registry mirror
# lacks some other platforms' optional packages; `npm install` leaves the lock unchanged).
npm_deps() {
  (
    cd "$1" || exit 1
    if [ -f package-lock.json ] && npm ci --no-audit --no-fund --loglevel=error; then
      exit 0
    fi
    npm install --no-audit --no-fund --loglevel=error
  )
}

# Sourced by build.sh and test.sh: how the trees are compiled.
#  * -O2 with line tables only (-g1): backtraces, perf and the sanitizers'
#    reports keep file:line; the full debug info of -g made every compile
#    about 20 % slower (CI builds two trees on two cores).
#  * ccache when it is installed (scripts/install-deps.sh installs it), keyed
#    by paths relative to the checkout, so that a fresh clone anywhere reuses
#    what an earlier build compiled. CMAKE_CXX_COMPILER_LAUNCHER set by the
#    caller wins; SKYWIRE_CCACHE=0 turns it off.
SKYWIRE_OPT_FLAGS="-O2 -g1 -DNDEBUG"
if [ "${SKYWIRE_CCACHE:-1}" != 0 ] && [ -z "${CMAKE_CXX_COMPILER_LAUNCHER:-}" ] \
   && command -v ccache >/dev/null 2>&1; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache CMAKE_C_COMPILER_LAUNCHER=ccache
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
fi

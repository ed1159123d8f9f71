//! The sandbox tier lives in `tests/`, compiled only with `--features sandbox`
//! and run only where a `neard` sandbox binary is available
//! (`NEAR_SANDBOX_BIN_PATH`); `scripts/test.sh` says `NOT RUN` otherwise.

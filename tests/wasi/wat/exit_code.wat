;; proc_exit with the code given to --invoke, from an export other than _start.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "quit") (param i32) (call $exit (local.get 0))))

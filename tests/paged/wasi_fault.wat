;; wasi_fault.wat - asks WASI to write into memory the host made read-only.
(module
  (import "wasi_snapshot_preview1" "random_get" (func $rg (param i32 i32) (result i32)))
  (memory (export "mem") 2)
  (func (export "fill_random") (param i32 i32) (result i32)
    local.get 0 local.get 1 call $rg)
)

;; tests/native/guard_api.wat - the module of tests/native/guard.c: guard-page
;; traps seen through the C API (memory and globals after a trap, nesting
;; through a host function, threads).
(module
  (import "host" "reenter" (func $reenter (param i32) (result i32)))
  (memory (export "mem") 1 1)
  (global $g (mut i32) (i32.const 0))
  ;; Stores 4 bytes at a time from addr, counting in $g, until one faults.
  (func (export "fill") (param i32)
    (loop $l
      (i32.store (local.get 0) (local.get 0))
      (global.set $g (i32.add (global.get $g) (i32.const 1)))
      (local.set 0 (i32.add (local.get 0) (i32.const 4)))
      (br $l)))
  (func (export "count") (result i32) (global.get $g))
  (func (export "peek") (param i32) (result i32) (i32.load (local.get 0)))
  ;; A store straddling the end writes nothing.
  (func (export "straddle") (i64.store (i32.const 65532) (i64.const -1)))
  (func (export "vstraddle") (v128.store (i32.const 65528) (v128.const i64x2 -1 -1)))
  (func $deep (param i32) (result i32) (i32.load offset=8 (local.get 0)))
  (func (export "load") (param i32) (result i32) (call $deep (local.get 0)))
  ;; Calls the host, which calls "load" (a nested entry into native code),
  ;; then faults itself if the host returned 1.
  (func (export "outer") (param i32) (result i32)
    (if (i32.eq (call $reenter (local.get 0)) (i32.const 1))
      (then (drop (i32.load (i32.const 70000)))))
    (i32.const 5))
)

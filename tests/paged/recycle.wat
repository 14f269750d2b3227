;; recycle.wat - the guest of recycle_test.c: stores, loads, grows and a
;; scan for any non-zero byte, plus one host import (so that a clone in
;; another store has a host function to share).
(module
  (import "host" "note" (func $note (param i32) (result i32)))
  (memory (export "memory") 1 64)
  (global $g (mut i32) (i32.const 0))
  (func (export "init")
    (i32.store (i32.const 100) (i32.const 0x7e57))
    (global.set $g (i32.const 41)))
  (func (export "store") (param $a i32) (param $v i32)
    (i32.store (local.get $a) (local.get $v)))
  (func (export "load") (param $a i32) (result i32)
    (i32.load (local.get $a)))
  (func (export "grow") (param $n i32) (result i32)
    (memory.grow (local.get $n)))
  (func (export "pages") (result i32) (memory.size))
  (func (export "fill") (param $a i32) (param $n i32) (param $v i32)
    (memory.fill (local.get $a) (local.get $v) (local.get $n)))
  (func (export "global") (result i32) (global.get $g))
  (func (export "bump") (result i32)
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (global.get $g))
  (func (export "note") (param $v i32) (result i32) (call $note (local.get $v)))
  ;; 1 + the address of the first non-zero byte of [a, a+n), or 0 if none.
  (func (export "scan") (param $a i32) (param $n i32) (result i32)
    (local $e i32)
    (local.set $e (i32.add (local.get $a) (local.get $n)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $a) (local.get $e)))
        (if (i32.load8_u (local.get $a))
          (then (return (i32.add (local.get $a) (i32.const 1)))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br $l)))
    (i32.const 0))
  ;; Spins until the deadline stops it.
  (func (export "spin") (loop $l (br $l))))

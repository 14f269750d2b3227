;; tests/native/pguard.wat - a paged 32-bit memory that native code accesses
;; through guard pages while its span is all of it (docs/native.md, "Guard
;; pages"), and the changes that turn that off and on again: a clone's
;; pages shared with its template, a page protected or unmapped by the
;; host, memory.grow, a kept arena reused by a smaller memory.
;; tests/native/pguard_test.c drives it through the C API in both tiers.
(module
  (memory (export "mem") 1 8)
  ;; memory 1: the layout-M path (PAGED), guarded the same way
  (memory $m1 2 4)
  (func (export "ld") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "ld8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "ld64") (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "ldf64") (param i32) (result f64) (f64.load offset=8 (local.get 0)))
  (func (export "st") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "st64") (param i32) (i64.store (local.get 0) (i64.const -1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "ld1") (param i32) (result i32) (i32.load $m1 offset=4 (local.get 0)))
  (func (export "st1") (param i32 i32) (i64.store $m1 (local.get 0) (i64.extend_i32_u (local.get 1))))
  (func (export "grow1") (param i32) (result i32) (memory.grow $m1 (local.get 0)))
  ;; stores a to the word at a, for a = 0, 4096, ... below the memory's
  ;; size: every page gets written (a clone's become its own), then loads
  ;; the word at `at` (past the size: the trap)
  (func (export "touch") (param $at i32) (result i32) (local $a i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $a)
                          (i32.shl (memory.size) (i32.const 16))))
      (i32.store (local.get $a) (local.get $a))
      (local.set $a (i32.add (local.get $a) (i32.const 4096)))
      (br $l)))
    (i32.load (local.get $at)))
  ;; sums the words at 0, 4096, ... up to `to` (exclusive): a loop of loads
  ;; that runs off the end when `to` is past the size
  (func (export "sum") (param $to i32) (result i32) (local $a i32) (local $s i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $a) (local.get $to)))
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $a))))
      (local.set $a (i32.add (local.get $a) (i32.const 4096)))
      (br $l)))
    (local.get $s))
)

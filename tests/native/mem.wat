;; The paged memory paths of the native tier against the interpreter's
;; (tests/native/run.sh runs each case both ways, in -X memory=paged and
;; paged-tables): accesses that straddle pages, loops across page edges,
;; memory.grow then access, and pages the guest protects, maps and unmaps
;; through ward:mem between accesses.
(module
  (import "ward:mem" "protect" (func $protect (param i32 i32 i32) (result i32)))
  (import "ward:mem" "publish" (func $publish (param i32 i32) (result i32)))
  (import "ward:mem" "map" (func $map (param i32 i32 i32) (result i32)))
  (import "ward:mem" "unmap" (func $unmap (param i32) (result i32)))
  (memory 4 8)
  ;; an i64 stored at a, read back whole and in parts that straddle
  (func (export "straddle") (param $a i32) (result i64)
    (i64.store (local.get $a) (i64.const 0x1122334455667788))
    (i32.store16 offset=5 (local.get $a) (i32.const 0xabcd))
    (i64.xor (i64.load (local.get $a))
      (i64.add (i64.load32_u offset=1 (local.get $a)) (i64.load16_s offset=3 (local.get $a)))))
  ;; a[i] = i * 3 for i < n, then the sum of a[0..n) (i32 elements)
  (func (export "sum") (param $a i32) (param $n i32) (result i32) (local $i i32) (local $s i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2)))
                 (i32.mul (local.get $i) (i32.const 3)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.set $i (i32.const 0))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $s (i32.add (local.get $s)
        (i32.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $s))
  ;; grows by one page and uses its last bytes; then reads at addr a
  (func (export "grow") (param $a i32) (result i64) (local $top i32)
    (local.set $top (i32.shl (i32.add (memory.grow (i32.const 1)) (i32.const 1)) (i32.const 16)))
    (i64.store offset=0 (i32.sub (local.get $top) (i32.const 8)) (i64.const 42))
    (i64.add (i64.load (i32.sub (local.get $top) (i32.const 8))) (i64.load (local.get $a))))
  ;; stores to page p in a loop; at iteration 2 the guest makes p read-only
  ;; (perm 1) or inaccessible (0): the next store traps
  (func (export "protect") (param $p i32) (param $perm i32) (result i32) (local $i i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (i32.const 4)))
      (i32.store offset=12 (i32.shl (local.get $p) (i32.const 16)) (local.get $i))
      (if (i32.eq (local.get $i) (i32.const 2))
        (then (drop (call $protect (local.get $p) (i32.const 1) (local.get $perm)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $i))
  ;; read-only, then read-write again: the store after it succeeds
  (func (export "reprotect") (param $p i32) (result i32)
    (i32.store (i32.shl (local.get $p) (i32.const 16)) (i32.const 5))
    (drop (call $protect (local.get $p) (i32.const 1) (i32.const 1)))
    (drop (i32.load (i32.shl (local.get $p) (i32.const 16))))
    (drop (call $protect (local.get $p) (i32.const 1) (i32.const 3)))
    (i32.store (i32.shl (local.get $p) (i32.const 16)) (i32.const 7))
    (i32.load (i32.shl (local.get $p) (i32.const 16))))
  ;; page 0 published and mapped read-only at page 3: read there, then store
  ;; there (w=1: a permission trap) or unmap it and read again (w=0: out of
  ;; bounds)
  (func (export "mapped") (param $w i32) (result i32) (local $h i32) (local $v i32)
    (i32.store offset=100 (i32.const 0) (i32.const 99))
    (local.set $h (call $publish (i32.const 0) (i32.const 1)))
    (drop (call $map (local.get $h) (i32.const 3) (i32.const 1)))
    (local.set $v (i32.load offset=100 (i32.const 0x30000)))
    (if (local.get $w) (then (i32.store offset=100 (i32.const 0x30000) (i32.const 1))))
    (drop (call $unmap (local.get $h)))
    (i32.add (local.get $v) (i32.load offset=100 (i32.const 0x30000)))))

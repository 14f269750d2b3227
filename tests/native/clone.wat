;; clone_test.c's module: 4 pages a template fills, and a loop that
;; updates every word it visits in place (in a clone, the first store to
;; each page copies it) and sums what it reads back.
(module
  (memory (export "mem") 4 4)
  (func (export "ld") (param i32) (result i32) (i32.load (local.get 0)))
  ;; word at a = a / 4 for a in [0, 4 pages) step 4 KiB - 4 (crosses pages)
  (func (export "fill") (local $a i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $a) (i32.const 262140)))
      (i32.store (local.get $a) (i32.shr_u (local.get $a) (i32.const 2)))
      (local.set $a (i32.add (local.get $a) (i32.const 4092)))
      (br $l))))
  ;; the same words: += k, then the sum of the words read back
  (func (export "bump") (param $k i32) (result i32) (local $a i32) (local $s i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $a) (i32.const 262140)))
      (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (local.get $k)))
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $a))))
      (local.set $a (i32.add (local.get $a) (i32.const 4092)))
      (br $l)))
    (local.get $s)))

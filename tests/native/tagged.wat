;; The tagged memory paths of the native tier against the interpreter's
;; (tests/native/run.sh, after cage-place; -W mem-safety on flat, paged and
;; paged-tables memory): segment.set_tag gives granules a known tag (that
;; of tagsrc), so trap messages are the same in every run. The segment
;; [65504, 65568) crosses the edge of pages 0 and 1.
(module
  (import "ward:cage" "segment.set_tag" (func $set (param i32 i32 i32)))
  (memory 2 4)
  (func $seg (param $t i32) (result i32)
    (call $set (i32.const 65504) (i32.shl (local.get $t) (i32.const 28)) (i32.const 64))
    (i32.or (i32.const 65504) (i32.shl (local.get $t) (i32.const 28))))
  ;; every 8 bytes of the segment stored and summed through its pointer,
  ;; with accesses across granules and across the page edge
  (func (export "edge") (param $t i32) (result i64) (local $p i32) (local $i i32) (local $s i64)
    (local.set $p (call $seg (local.get $t)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (i32.const 57)))
      (i64.store (i32.add (local.get $p) (local.get $i)) (i64.extend_i32_u (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 7)))
      (br $l)))
    (local.set $i (i32.const 0))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (i32.const 61)))
      (local.set $s (i64.add (local.get $s)
        (i64.load32_u (i32.add (local.get $p) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 3)))
      (br $l)))
    (local.get $s))
  ;; a load of `n` bytes (1, 4 or 8) at segment + off through a pointer
  ;; with tag u: a mismatch traps with both tags and the address
  (func (export "load") (param $t i32) (param $u i32) (param $off i32) (param $n i32) (result i64)
    (local $p i32)
    (drop (call $seg (local.get $t)))
    (local.set $p (i32.add (i32.or (i32.const 65504) (i32.shl (local.get $u) (i32.const 28)))
                           (local.get $off)))
    (if (result i64) (i32.eq (local.get $n) (i32.const 1))
      (then (i64.load8_u (local.get $p)))
      (else (if (result i64) (i32.eq (local.get $n) (i32.const 4))
        (then (i64.load32_u (local.get $p)))
        (else (i64.load (local.get $p)))))))
  ;; the same for a store of 8 bytes
  (func (export "store") (param $t i32) (param $u i32) (param $off i32)
    (drop (call $seg (local.get $t)))
    (i64.store (i32.add (i32.or (i32.const 65504) (i32.shl (local.get $u) (i32.const 28)))
                        (local.get $off)) (i64.const -1)))
  ;; grows, then uses the new page through a tagged pointer
  (func (export "grown") (param $t i32) (result i32) (local $p i32)
    (drop (call $seg (local.get $t)))
    (drop (memory.grow (i32.const 1)))
    (call $set (i32.const 131056) (i32.shl (local.get $t) (i32.const 28)) (i32.const 32))
    (local.set $p (i32.or (i32.const 131056) (i32.shl (local.get $t) (i32.const 28))))
    (i32.store offset=12 (local.get $p) (i32.const 77))
    (i32.load offset=12 (local.get $p))))

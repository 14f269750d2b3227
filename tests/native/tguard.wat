;; tests/native/tguard.wat - tagged flat 32-bit memories without tags, whose
;; accesses native code leaves to the guard pages (docs/native.md, "Guard
;; pages"; run with -W mem-safety, after cage-place): every width at and
;; past the end (v128 too), addresses that carry a tag (a tag mismatch while the
;; address without it is in bounds, out of bounds otherwise, straddles
;; across the end either way), offsets near 2^32, after memory.grow, a
;; 256 MiB memory 1 (the largest tagged 32-bit memory, where an address
;; with tag 1 is just past its end), and the changes that turn the guarded
;; form off and on: a tag set by a Cage instruction in the function, in a
;; callee, in a loop, and a tag cleared again. tests/native/run.sh compares
;; both tiers.
(module
  (import "ward:cage" "segment.set_tag" (func $set (param i32 i32 i32)))
  (import "ward:cage" "segment.free" (func $free (param i32 i32)))
  (memory $m 1 3)
  (memory $big 4096 4096)
  (table funcref (elem $inner))

  (func (export "l8u") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "l8s") (param i32) (result i64) (i64.load8_s (local.get 0)))
  (func (export "l16u") (param i32) (result i32) (i32.load16_u (local.get 0)))
  (func (export "l16s") (param i32) (result i32) (i32.load16_s (local.get 0)))
  (func (export "l32") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "l32s") (param i32) (result i64) (i64.load32_s (local.get 0)))
  (func (export "l64") (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "lf32") (param i32) (result f32) (f32.load (local.get 0)))
  (func (export "lf64") (param i32) (result f64) (f64.load (local.get 0)))
  (func (export "s8") (param i32) (i32.store8 (local.get 0) (i32.const -1)))
  (func (export "s16") (param i32) (i32.store16 (local.get 0) (i32.const -1)))
  (func (export "s32") (param i32) (i32.store (local.get 0) (i32.const -1)))
  (func (export "s64") (param i32) (i64.store (local.get 0) (i64.const -1)))
  (func (export "sf32") (param i32) (f32.store (local.get 0) (f32.const 2.5)))
  (func (export "sf64") (param i32) (f64.store (local.get 0) (f64.const 1.5)))
  ;; Addresses LLVM folds into a scaled index (disp(base,index,4)), which
  ;; the fault handler decodes as it does any other addressing: past the
  ;; end for the top indexes, and with a tag in the offset.
  (func (export "sc4") (param i32) (result i32)
    (i32.load offset=65024 (i32.shl (i32.and (local.get 0) (i32.const 0xff)) (i32.const 2))))
  (func (export "ss4") (param i32)
    (i32.store offset=65024 (i32.shl (i32.and (local.get 0) (i32.const 0xff)) (i32.const 2))
      (i32.const -1)))
  (func (export "sct") (param i32) (result i64)
    (i64.load offset=268435456 (i32.shl (i32.and (local.get 0) (i32.const 0xff)) (i32.const 3))))
  ;; Stores then reads back: the value written, or the trap.
  (func (export "vl") (param i32) (result i64) (i64x2.extract_lane 1 (v128.load (local.get 0))))
  (func (export "vl8") (param i32) (result i64) (i64x2.extract_lane 0 (v128.load8x8_u (local.get 0))))
  (func (export "vs") (param i32) (v128.store (local.get 0) (v128.const i64x2 -1 -1)))
  (func (export "rw") (param i32) (result i64)
    (i64.store (local.get 0) (i64.const 0x1122334455667788))
    (i64.load (local.get 0)))
  ;; Offsets: one that carries the address into the tag bits, and ones near
  ;; 2^32 (base + address + offset at the top of the reservation).
  (func (export "offt") (param i32) (result i32) (i32.load offset=268435456 (local.get 0)))
  (func (export "off8") (param i32) (result i32) (i32.load8_u offset=4294967295 (local.get 0)))
  (func (export "off64") (param i32) (result i64) (i64.load offset=4294967288 (local.get 0)))
  (func (export "offs") (param i32) (i64.store offset=4294967295 (local.get 0) (i64.const 7)))
  ;; After memory.grow the new page is accessible, the one after it not.
  (func (export "grow") (param i32) (result i32)
    (drop (memory.grow (i32.const 1)))
    (i32.store (local.get 0) (i32.const 9))
    (i32.load (local.get 0)))
  ;; A fault two calls deep and through the table: the backtrace.
  (func $inner (param i32) (result i32) (i32.load offset=16 (local.get 0)))
  (func $mid (param i32) (result i32) (i32.add (call $inner (local.get 0)) (i32.const 1)))
  (func (export "nested") (param i32) (result i32) (call $mid (local.get 0)))
  (func (export "ind") (param i32) (result i32)
    (call_indirect (param i32) (result i32) (local.get 0) (i32.const 0)))
  ;; Memory 1: 4096 pages, 2^28 bytes. An address with tag 1 and nothing
  ;; else is 0 without its tag (a mismatch); one that straddles its end
  ;; from below is out of bounds.
  (func (export "b32") (param i32) (result i32) (i32.load $big (local.get 0)))
  (func (export "b64") (param i32) (result i64) (i64.load $big (local.get 0)))
  (func (export "bs16") (param i32) (i32.store16 $big (local.get 0) (i32.const 5)))

  ;; Tags: the 32 bytes at 64 get tag 3 (segment.set_tag with a pointer
  ;; of tag 3 as tagsrc; the bytes are zeroed). $tag3 does it in a callee.
  (func $tag3 (call $set (i32.const 64) (i32.const 0x30000000) (i32.const 32)))
  ;; A load at addr before and after the tag is set in this function.
  (func (export "tag_here") (param i32) (result i64) (local $s i64)
    (i32.store (i32.const 64) (i32.const 11))
    (local.set $s (i64.extend_i32_u (i32.load (local.get 0))))
    (call $set (i32.const 64) (i32.const 0x30000000) (i32.const 32))
    (i64.add (local.get $s) (i64.extend_i32_u (i32.load (local.get 0)))))
  ;; The same, the tag set by a callee.
  (func (export "tag_callee") (param i32) (result i64) (local $s i64)
    (local.set $s (i64.extend_i32_u (i32.load (local.get 0))))
    (call $tag3)
    (i64.add (local.get $s) (i64.extend_i32_u (i32.load (local.get 0)))))
  ;; A loop that stores at addr + 4i for i < n; the tag is set at i = 3.
  (func (export "tag_loop") (param i32 i32) (result i32) (local $i i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get 1)))
      (if (i32.eq (local.get $i) (i32.const 3)) (then (call $tag3)))
      (i32.store (i32.add (local.get 0) (i32.shl (local.get $i) (i32.const 2))) (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $i))
  ;; Tags set and freed again (tag 0 everywhere, but the memory has had
  ;; tags): then an access at addr.
  (func (export "tag_freed") (param i32) (result i32)
    (call $tag3)
    (call $free (i32.const 0x30000040) (i32.const 32))
    (i32.load (local.get 0)))
)

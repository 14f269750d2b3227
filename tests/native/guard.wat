;; tests/native/guard.wat - accesses of flat 32-bit memories, which native
;; code leaves to the guard pages of the memory's reservation (docs/native.md,
;; "Guard pages"): every width at and past the end, offsets near 2^32, after
;; memory.grow, nested calls and call_indirect (backtraces), a zero-page
;; memory as memory 1 (the layout-M path), a dropped load, and a loop that
;; stores until it faults. tests/native/run.sh compares both tiers.
(module
  (memory $m 1 3)
  (memory $z 0 0)
  (table funcref (elem $inner))
  (global $g (mut i32) (i32.const 0))

  (func (export "l8u") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "l8s") (param i32) (result i32) (i32.load8_s (local.get 0)))
  (func (export "l16u") (param i32) (result i32) (i32.load16_u (local.get 0)))
  (func (export "l16s") (param i32) (result i32) (i32.load16_s (local.get 0)))
  (func (export "l32") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "l64") (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "l64_8s") (param i32) (result i64) (i64.load8_s (local.get 0)))
  (func (export "l64_16s") (param i32) (result i64) (i64.load16_s (local.get 0)))
  (func (export "l64_32s") (param i32) (result i64) (i64.load32_s (local.get 0)))
  (func (export "l64_32u") (param i32) (result i64) (i64.load32_u (local.get 0)))
  (func (export "lf32") (param i32) (result f32) (f32.load (local.get 0)))
  (func (export "lf64") (param i32) (result f64) (f64.load (local.get 0)))
  (func (export "s8") (param i32) (i32.store8 (local.get 0) (i32.const -1)))
  (func (export "s16") (param i32) (i32.store16 (local.get 0) (i32.const -1)))
  (func (export "s32") (param i32) (i32.store (local.get 0) (i32.const -1)))
  (func (export "s64") (param i32) (i64.store (local.get 0) (i64.const -1)))
  (func (export "s64_32") (param i32) (i64.store32 (local.get 0) (i64.const -1)))
  (func (export "sf64") (param i32) (f64.store (local.get 0) (f64.const 1.5)))
  ;; Stores then reads back: the value written at addr, or its trap.
  (func (export "rw") (param i32) (result i64)
    (i64.store (local.get 0) (i64.const 0x1122334455667788))
    (i64.load (local.get 0)))
  ;; Offsets near 2^32: base + address + offset reaches the top of the
  ;; 8 GiB reservation.
  (func (export "off8") (param i32) (result i32) (i32.load8_u offset=4294967295 (local.get 0)))
  (func (export "off64") (param i32) (result i64) (i64.load offset=4294967288 (local.get 0)))
  (func (export "offs") (param i32) (i64.store offset=4294967295 (local.get 0) (i64.const 7)))
  ;; After memory.grow the new page is accessible, the one after it not.
  (func (export "grow") (param i32) (result i32)
    (drop (memory.grow (i32.const 1)))
    (i32.store (local.get 0) (i32.const 9))
    (i32.load (local.get 0)))
  ;; A fault two calls deep: the backtrace names all three functions.
  (func $inner (param i32) (result i32) (i32.load offset=16 (local.get 0)))
  (func $mid (param i32) (result i32) (i32.add (call $inner (local.get 0)) (i32.const 1)))
  (func (export "nested") (param i32) (result i32) (call $mid (local.get 0)))
  (func (export "ind") (param i32) (result i32)
    (call_indirect (param i32) (result i32) (local.get 0) (i32.const 0)))
  ;; Memory 1 has no pages: every access traps.
  (func (export "z_l") (param i32) (result i32) (i32.load $z (local.get 0)))
  (func (export "z_s") (param i32) (i32.store $z (local.get 0) (i32.const 1)))
  (func (export "z_size") (result i32) (memory.size $z))
  ;; A load whose value is dropped traps all the same.
  ;; v128 (guarded too): a plain load and store, the narrower loads the
  ;; SIMD code builds vectors from (extend, splat, zero, lane).
  (func (export "vl") (param i32) (result i64) (i64x2.extract_lane 1 (v128.load (local.get 0))))
  (func (export "vl8x8") (param i32) (result i64)
    (i64x2.extract_lane 0 (v128.load8x8_u (local.get 0))))
  (func (export "vsplat") (param i32) (result i32)
    (i32x4.extract_lane 3 (v128.load32_splat offset=4 (local.get 0))))
  (func (export "vzero") (param i32) (result i64) (i64x2.extract_lane 0 (v128.load64_zero (local.get 0))))
  (func (export "vlane") (param i32) (result i32)
    (i8x16.extract_lane_u 5 (v128.load8_lane 5 (local.get 0) (v128.const i64x2 0 0))))
  (func (export "vs") (param i32) (result i64)
    (v128.store (local.get 0) (v128.const i64x2 0x0102030405060708 -1))
    (i64.load (local.get 0)))
  (func (export "drop") (param i32) (drop (i32.load (local.get 0))))
  ;; Stores 4 bytes at a time from addr, counting in a global, until one
  ;; faults; the global is read after the trap by "count".
  (func (export "fill") (param i32)
    (loop $l
      (i32.store (local.get 0) (local.get 0))
      (global.set $g (i32.add (global.get $g) (i32.const 1)))
      (local.set 0 (i32.add (local.get 0) (i32.const 4)))
      (br $l)))
  (func (export "count") (result i32) (global.get $g))
)

;; The native tier's v128 instructions against the interpreter's
;; (tests/native/run.sh runs each case in both tiers and every memory mode
;; and compares the output byte for byte). Operands come from parameters,
;; so that LLVM cannot fold the operations at compile time: the edges of
;; each operation (NaN, -0, saturation, out-of-range lanes and counts,
;; memory bounds) run in the generated vector code.
(module
  (memory 1)
  (data (i32.const 0) "\00\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\80\81\ff\7f")

  ;; f32x4 min, max, pmin, pmax of splat(a) and splat(b), lane by lane:
  ;; NaN (a quiet NaN), -0 below +0, pmin/pmax's b < a rules.
  (func (export "fminmax") (param f32 f32) (result v128)
    (local $a v128) (local $b v128)
    (local.set $a (f32x4.replace_lane 1 (f32x4.splat (local.get 0)) (local.get 1)))
    (local.set $b (f32x4.replace_lane 2 (f32x4.splat (local.get 1)) (local.get 0)))
    (v128.or
      (v128.and (f32x4.min (local.get $a) (local.get $b)) (v128.const i32x4 -1 0 -1 0))
      (v128.and (f32x4.pmax (local.get $a) (local.get $b)) (v128.const i32x4 0 -1 0 -1))))
  (func (export "fmax") (param f32 f32) (result v128)
    (f32x4.max (f32x4.splat (local.get 0)) (f32x4.replace_lane 3 (f32x4.splat (local.get 1)) (local.get 0))))
  (func (export "pmin64") (param f64 f64) (result v128)
    (f64x2.pmin (f64x2.splat (local.get 0)) (f64x2.replace_lane 1 (f64x2.splat (local.get 1)) (local.get 0))))
  (func (export "fmin64") (param f64 f64) (result v128)
    (f64x2.min (f64x2.splat (local.get 0)) (f64x2.replace_lane 1 (f64x2.splat (local.get 1)) (local.get 0))))

  ;; Arithmetic on a signalling NaN (given as bits) must give a quiet NaN:
  ;; x * 1.0, x + -0.0 and x - 0.0 may not be folded to x.
  (func (export "snan") (param i32) (result v128)
    (local $x v128)
    (local.set $x (f32x4.splat (f32.reinterpret_i32 (local.get 0))))
    (f32x4.replace_lane 2
      (f32x4.replace_lane 1 (f32x4.mul (local.get $x) (v128.const f32x4 1 1 1 1))
        (f32x4.extract_lane 0 (f32x4.add (local.get $x) (v128.const f32x4 -0 -0 -0 -0))))
      (f32x4.extract_lane 0 (f32x4.sub (local.get $x) (v128.const f32x4 0 0 0 0)))))
  (func (export "snan64") (param i64) (result v128)
    (f64x2.div (f64x2.splat (f64.reinterpret_i64 (local.get 0))) (v128.const f64x2 1 1)))
  (func (export "abs_neg") (param i32) (result v128)
    (local $x v128)
    (local.set $x (i32x4.splat (local.get 0)))
    (v128.or (v128.and (f32x4.abs (local.get $x)) (v128.const i64x2 -1 0))
             (v128.and (f64x2.neg (local.get $x)) (v128.const i64x2 0 -1))))

  ;; Saturating integer arithmetic and narrowing.
  (func (export "sat8") (param i32 i32) (result v128)
    (local $a v128) (local $b v128)
    (local.set $a (i8x16.splat (local.get 0)))
    (local.set $b (i8x16.splat (local.get 1)))
    (i64x2.replace_lane 1
      (v128.or (v128.and (i8x16.add_sat_s (local.get $a) (local.get $b)) (v128.const i32x4 -1 0 0 0))
               (v128.and (i8x16.add_sat_u (local.get $a) (local.get $b)) (v128.const i32x4 0 -1 0 0)))
      (i64x2.extract_lane 0
        (v128.or (v128.and (i8x16.sub_sat_s (local.get $a) (local.get $b)) (v128.const i32x4 -1 0 0 0))
                 (v128.and (i8x16.sub_sat_u (local.get $a) (local.get $b)) (v128.const i32x4 0 -1 0 0))))))
  (func (export "sat16") (param i32 i32) (result v128)
    (local $a v128) (local $b v128)
    (local.set $a (i16x8.splat (local.get 0)))
    (local.set $b (i16x8.replace_lane 7 (i16x8.splat (local.get 1)) (local.get 0)))
    (v128.or (v128.and (i16x8.add_sat_s (local.get $a) (local.get $b)) (v128.const i64x2 -1 0))
             (v128.and (i16x8.sub_sat_u (local.get $a) (local.get $b)) (v128.const i64x2 0 -1))))
  (func (export "q15") (param i32 i32) (result v128)
    (i16x8.q15mulr_sat_s (i16x8.splat (local.get 0)) (i16x8.replace_lane 1 (i16x8.splat (local.get 1)) (i32.const 1))))
  (func (export "narrow") (param i32 i32) (result v128)
    (local $a v128)
    (local.set $a (i32x4.replace_lane 1 (i32x4.splat (local.get 0)) (local.get 1)))
    (v128.or (v128.and (i8x16.narrow_i16x8_s (local.get $a) (local.get $a)) (v128.const i64x2 -1 0))
             (v128.and (i16x8.narrow_i32x4_u (local.get $a) (local.get $a)) (v128.const i64x2 0 -1))))
  (func (export "narrow8u") (param i32) (result v128)
    (i8x16.narrow_i16x8_u (i16x8.splat (local.get 0)) (i16x8.replace_lane 0 (i16x8.splat (i32.const 255)) (local.get 0))))
  (func (export "dot") (param i32 i32) (result v128)
    (i32x4.dot_i16x8_s (i16x8.splat (local.get 0)) (i16x8.splat (local.get 1))))
  (func (export "extmul") (param i32 i32) (result v128)
    (v128.xor (i64x2.extmul_high_i32x4_s (i32x4.splat (local.get 0)) (i32x4.splat (local.get 1)))
              (i32x4.extmul_low_i16x8_u (i16x8.splat (local.get 0)) (i16x8.splat (local.get 1)))))
  (func (export "avgr_pop") (param i32 i32) (result v128)
    (v128.or (v128.and (i8x16.avgr_u (i8x16.splat (local.get 0)) (i8x16.splat (local.get 1))) (v128.const i64x2 -1 0))
             (v128.and (i8x16.popcnt (i8x16.splat (local.get 0))) (v128.const i64x2 0 -1))))
  (func (export "pairwise") (param i32) (result v128)
    (v128.xor (i16x8.extadd_pairwise_i8x16_s (i8x16.splat (local.get 0)))
              (i32x4.extadd_pairwise_i16x8_u (i16x8.splat (local.get 0)))))
  (func (export "absneg") (param i32) (result v128)
    (v128.or (v128.and (i8x16.abs (i8x16.splat (local.get 0))) (v128.const i64x2 -1 0))
             (v128.and (i64x2.abs (i64x2.splat (i64.extend_i32_s (local.get 0)))) (v128.const i64x2 0 -1))))

  ;; Shifts: the count modulo the lane width.
  (func (export "shifts") (param i32 i32) (result v128)
    (local $a v128)
    (local.set $a (i32x4.splat (local.get 0)))
    (i32x4.replace_lane 3
      (i32x4.replace_lane 2
        (i32x4.replace_lane 1 (i32x4.shl (local.get $a) (local.get 1))
          (i32x4.extract_lane 0 (i8x16.shr_s (local.get $a) (local.get 1))))
        (i32x4.extract_lane 0 (i16x8.shr_u (local.get $a) (local.get 1))))
      (i32.wrap_i64 (i64x2.extract_lane 0 (i64x2.shr_s (i64x2.splat (i64.extend_i32_s (local.get 0))) (local.get 1))))))

  ;; Shuffles and swizzle: run-time indexes of 16 and above give 0.
  (func (export "swizzle") (param i32 i32) (result v128)
    (i8x16.swizzle (v128.load (i32.const 0))
      (i8x16.replace_lane 15 (i8x16.replace_lane 0 (v128.const i8x16 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0) (local.get 0)) (local.get 1))))
  (func (export "shuffle") (param i32) (result v128)
    (i8x16.shuffle 31 0 16 15 1 17 30 2 3 29 18 14 4 19 28 5
      (v128.load (i32.const 0)) (i8x16.splat (local.get 0))))

  ;; Lane extract (sign and zero extension), bitmask, all_true, any_true.
  (func (export "lanes") (param i32) (result i64)
    (local $a v128)
    (local.set $a (i8x16.replace_lane 5 (v128.load (i32.const 4)) (local.get 0)))
    (i64.add
      (i64.extend_i32_u (i8x16.extract_lane_s 12 (local.get $a)))
      (i64.shl (i64.extend_i32_u (i16x8.extract_lane_u 6 (local.get $a))) (i64.const 32))))
  (func (export "masks") (param i32) (result i32)
    (local $a v128)
    (local.set $a (i32x4.replace_lane 2 (v128.load (i32.const 4)) (local.get 0)))
    (i32.add
      (i32.add (i8x16.bitmask (local.get $a)) (i32.shl (i32x4.bitmask (local.get $a)) (i32.const 16)))
      (i32.add (i32.shl (i16x8.all_true (local.get $a)) (i32.const 20))
        (i32.add (i32.shl (i64x2.all_true (local.get $a)) (i32.const 21))
                 (i32.shl (v128.any_true (i32x4.splat (local.get 0))) (i32.const 22))))))

  ;; Conversions: saturating truncation (NaN gives 0), rounding, demote.
  (func (export "trunc_sat") (param f32 f64) (result v128)
    (v128.xor (i32x4.trunc_sat_f32x4_s (f32x4.replace_lane 0 (f32x4.splat (local.get 0)) (f32.const -1.5)))
              (i32x4.trunc_sat_f64x2_u_zero (f64x2.splat (local.get 1)))))
  (func (export "trunc_sat_u") (param f32 f64) (result v128)
    (v128.xor (i32x4.trunc_sat_f32x4_u (f32x4.splat (local.get 0)))
              (i32x4.trunc_sat_f64x2_s_zero (f64x2.splat (local.get 1)))))
  (func (export "convert") (param i32) (result v128)
    (v128.xor (f32x4.convert_i32x4_u (i32x4.splat (local.get 0)))
              (f64x2.convert_low_i32x4_u (i32x4.splat (local.get 0)))))
  (func (export "demote") (param f64) (result v128)
    (f32x4.demote_f64x2_zero (f64x2.splat (local.get 0))))
  (func (export "promote") (param f32) (result v128)
    (f64x2.promote_low_f32x4 (f32x4.splat (local.get 0))))
  (func (export "rounding") (param f32) (result v128)
    (local $a v128)
    (local.set $a (f32x4.splat (local.get 0)))
    (f32x4.replace_lane 3
      (f32x4.replace_lane 2
        (f32x4.replace_lane 1 (f32x4.nearest (local.get $a))
          (f32x4.extract_lane 0 (f32x4.ceil (local.get $a))))
        (f32x4.extract_lane 0 (f32x4.floor (local.get $a))))
      (f32x4.extract_lane 0 (f32x4.trunc (local.get $a)))))

  ;; Memory: the loads and lane accesses at the end of the memory trap in
  ;; every memory mode (flat: the span check; paged and tagged: their paths).
  (func (export "load_zero") (param i32) (result v128) (v128.load32_zero (local.get 0)))
  (func (export "load_splat") (param i32) (result v128) (v128.load16_splat offset=2 (local.get 0)))
  (func (export "load_ext") (param i32) (result v128) (v128.load8x8_s (local.get 0)))
  (func (export "load_lane") (param i32) (result v128)
    (v128.load64_lane 1 (local.get 0) (v128.load (i32.const 0))))
  (func (export "store_lane") (param i32) (result i64)
    (v128.store16_lane 3 (local.get 0) (v128.load (i32.const 0)))
    (i64.load (i32.const 65528)))
)

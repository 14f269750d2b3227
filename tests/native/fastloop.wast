;; tests/native/fastloop.wast: inner loops that get a fast copy in native
;; code (docs/native.md, "Fast loops"): their results, their traps at the
;; iteration and access the interpreter traps at with memory as it leaves it
;; (the stores before the trap done, none after), and NaNs that stay
;; arithmetic where LLVM would fold an operation with a constant. Run by
;; tests/native/run.sh through the spec runner, in both tiers and every
;; memory mode, at -O2.

(module
  (memory (export "mem") 1)

  ;; y[j] += a * x[j] for j in [0, n): the plain fast loop (i32 index)
  (func $axpy (param $x i32) (param $y i32) (param $n i32) (param $a f64)
    (local $j i32)
    (loop $l
      (f64.store (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 3)))
        (f64.add
          (f64.load (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 3))))
          (f64.mul (local.get $a)
            (f64.load (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 3)))))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $l (i32.lt_s (local.get $j) (local.get $n)))))

  ;; the same unrolled by two over a byte offset, `ne` at the back edge (as
  ;; clang writes it): two accesses of each array an iteration
  (func $axpy2 (param $x i32) (param $y i32) (param $n i32) (param $a f64)
    (local $j i32) (local $p i32) (local $q i32)
    (loop $l
      (local.set $p (i32.add (local.get $y) (local.get $j)))
      (local.set $q (i32.add (local.get $x) (local.get $j)))
      (f64.store (local.get $p)
        (f64.add (f64.load (local.get $p)) (f64.mul (local.get $a) (f64.load (local.get $q)))))
      (f64.store offset=8 (local.get $p)
        (f64.add (f64.load offset=8 (local.get $p))
                 (f64.mul (local.get $a) (f64.load offset=8 (local.get $q)))))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br_if $l (i32.ne (local.get $j) (local.get $n)))))

  ;; y[j] = x[j] op c, c a constant, a local set to it before the loop, or
  ;; a float made from integers (j - j): LLVM folds x * 1.0, x - 0.0,
  ;; -0.0 - x and x / 1.0 with a constant operand, passing a signalling NaN
  ;; through where Wasm wants an arithmetic one
  (func $mul1 (param $x i32) (param $y i32) (param $n i32)
    (local $j i32)
    (loop $l
      (f64.store (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 3)))
        (f64.mul (f64.load (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 3))))
                 (f64.const 1)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $j) (local.get $n)))))
  (func $sub0local (param $x i32) (param $y i32) (param $n i32)
    (local $j i32) (local $c f64)
    (local.set $c (f64.const 0))
    (loop $l
      (f64.store (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 3)))
        (f64.sub (f64.load (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 3))))
                 (local.get $c)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $j) (local.get $n)))))
  (func $negsub (param $x i32) (param $y i32) (param $n i32)
    (local $j i32)
    (loop $l
      (f32.store (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2)))
        (f32.sub (f32.const -0)
                 (f32.load (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $j) (local.get $n)))))
  (func $div1conv (param $x i32) (param $y i32) (param $n i32)
    (local $j i32)
    (loop $l
      (f64.store (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 3)))
        (f64.div (f64.load (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 3))))
                 (f64.convert_i32_s (i32.add (i32.sub (local.get $j) (local.get $j)) (i32.const 1)))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $j) (local.get $n)))))

  ;; x + (j << 3) with j from 0x1ffffff0: the i32 address wraps to small
  ;; addresses after 16 iterations (in bounds; its shadow is not)
  (func $wrap (param $x i32) (param $n i32) (result f64)
    (local $j i32) (local $k i32)
    (local.set $j (i32.const 0x1ffffff0))
    (loop $l
      (f64.store (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 3)))
        (f64.add (f64.load (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 3))))
                 (f64.const 2.5)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $k) (local.get $n))))
    (f64.load (i32.add (local.get $x) (i32.const 0x80))))

  ;; Exported through a call: a body the host calls directly is inlined into
  ;; its entry (strictfp), where LLVM makes a fast copy's plain float
  ;; operations constrained again; called from another body it is not.
  (func (export "axpy") (param i32) (param i32) (param i32) (param f64) (call $axpy (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "axpy2") (param i32) (param i32) (param i32) (param f64) (call $axpy2 (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "mul1") (param i32) (param i32) (param i32) (call $mul1 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "sub0local") (param i32) (param i32) (param i32) (call $sub0local (local.get 0) (local.get 1) (local.get 2)))
  (func (export "negsub") (param i32) (param i32) (param i32) (call $negsub (local.get 0) (local.get 1) (local.get 2)))
  (func (export "div1conv") (param i32) (param i32) (param i32) (call $div1conv (local.get 0) (local.get 1) (local.get 2)))
  (func (export "wrap") (param i32) (param i32) (result f64) (call $wrap (local.get 0) (local.get 1)))
  (func (export "ld") (param $a i32) (result f64) (f64.load (local.get $a)))
  (func (export "ldf") (param $a i32) (result f32) (f32.load (local.get $a)))
  (func (export "ldi") (param $a i32) (result i64) (i64.load (local.get $a)))
  (func (export "st") (param $a i32) (param $v f64) (f64.store (local.get $a) (local.get $v)))
  (func (export "sti") (param $a i32) (param $v i64) (i64.store (local.get $a) (local.get $v)))
  (func (export "stf") (param $a i32) (param $v i32) (i32.store (local.get $a) (local.get $v)))
  ;; x[j] = j + 1, y[j] = 10 * (j + 1) for j in [0, n)
  (func (export "init") (param $x i32) (param $y i32) (param $n i32)
    (local $j i32)
    (loop $l
      (f64.store (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 3)))
        (f64.convert_i32_s (i32.add (local.get $j) (i32.const 1))))
      (f64.store (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 3)))
        (f64.convert_i32_s (i32.mul (i32.add (local.get $j) (i32.const 1)) (i32.const 10))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $l (i32.lt_s (local.get $j) (local.get $n)))))
)

;; results: 1000 elements (vector and remainder iterations)
(invoke "init" (i32.const 0) (i32.const 16384) (i32.const 1000))
(invoke "axpy" (i32.const 0) (i32.const 16384) (i32.const 1000) (f64.const 2))
(assert_return (invoke "ld" (i32.const 16384)) (f64.const 12))
(assert_return (invoke "ld" (i32.const 16392)) (f64.const 24))
(assert_return (invoke "ld" (i32.const 24368)) (f64.const 11988))
(assert_return (invoke "ld" (i32.const 24376)) (f64.const 12000))
(assert_return (invoke "ld" (i32.const 24384)) (f64.const 0))
(invoke "axpy2" (i32.const 0) (i32.const 16384) (i32.const 8000) (f64.const -1))
(assert_return (invoke "ld" (i32.const 16384)) (f64.const 11))
(assert_return (invoke "ld" (i32.const 24376)) (f64.const 11000))
(assert_return (invoke "ld" (i32.const 24384)) (f64.const 0))

;; a trap in the middle: y runs off the end of memory at its 11th element;
;; the 10 before are stored, nothing after
(invoke "init" (i32.const 0) (i32.const 32768) (i32.const 20))
(invoke "st" (i32.const 65448) (f64.const 100))
(invoke "st" (i32.const 65528) (f64.const 100))
(assert_trap (invoke "axpy" (i32.const 0) (i32.const 65456) (i32.const 20) (f64.const 1))
  "out of bounds memory access")
(assert_return (invoke "ld" (i32.const 65448)) (f64.const 100))
(assert_return (invoke "ld" (i32.const 65456)) (f64.const 1))
(assert_return (invoke "ld" (i32.const 65528)) (f64.const 110))
;; x runs off the end: y stored up to the trap (y[10] keeps its 110)
(invoke "init" (i32.const 65456) (i32.const 32768) (i32.const 10))
(assert_trap (invoke "axpy" (i32.const 65456) (i32.const 32768) (i32.const 20) (f64.const 1))
  "out of bounds memory access")
(assert_return (invoke "ld" (i32.const 32768)) (f64.const 11))
(assert_return (invoke "ld" (i32.const 32840)) (f64.const 110))
(assert_return (invoke "ld" (i32.const 32848)) (f64.const 110))
;; unrolled by two: the trap between an iteration's two halves, the first
;; stored
(invoke "init" (i32.const 0) (i32.const 40960) (i32.const 20))
(invoke "st" (i32.const 65520) (f64.const 7))
(invoke "st" (i32.const 65528) (f64.const 5))
(assert_trap (invoke "axpy2" (i32.const 0) (i32.const 65448) (i32.const 160) (f64.const 1))
  "out of bounds memory access")
(assert_return (invoke "ld" (i32.const 65520)) (f64.const 17))
(assert_return (invoke "ld" (i32.const 65528)) (f64.const 16))
;; `ne` never met: the loop goes on past n (ordinary code) to the trap
(assert_trap (invoke "axpy2" (i32.const 0) (i32.const 32768) (i32.const 8) (f64.const 1))
  "out of bounds memory access")

;; NaNs: signalling in, arithmetic out
(invoke "sti" (i32.const 0) (i64.const 0x7ff0000000000001))
(invoke "sti" (i32.const 8) (i64.const 0xfff4000000000000))
(invoke "st" (i32.const 16) (f64.const -0))
(invoke "st" (i32.const 24) (f64.const 3.5))
(invoke "mul1" (i32.const 0) (i32.const 1024) (i32.const 4))
(assert_return (invoke "ld" (i32.const 1024)) (f64.const nan:arithmetic))
(assert_return (invoke "ld" (i32.const 1032)) (f64.const nan:arithmetic))
(assert_return (invoke "ld" (i32.const 1040)) (f64.const -0))
(assert_return (invoke "ld" (i32.const 1048)) (f64.const 3.5))
(invoke "sub0local" (i32.const 0) (i32.const 2048) (i32.const 4))
(assert_return (invoke "ld" (i32.const 2048)) (f64.const nan:arithmetic))
(assert_return (invoke "ld" (i32.const 2056)) (f64.const nan:arithmetic))
(assert_return (invoke "ld" (i32.const 2064)) (f64.const -0))
(invoke "div1conv" (i32.const 0) (i32.const 3072) (i32.const 4))
(assert_return (invoke "ld" (i32.const 3072)) (f64.const nan:arithmetic))
(assert_return (invoke "ld" (i32.const 3088)) (f64.const -0))
(invoke "stf" (i32.const 4096) (i32.const 0x7f800001))
(invoke "stf" (i32.const 4100) (i32.const 0x3f800000))
(invoke "negsub" (i32.const 4096) (i32.const 5120) (i32.const 2))
(assert_return (invoke "ldf" (i32.const 5120)) (f32.const nan:arithmetic))
(assert_return (invoke "ldf" (i32.const 5124)) (f32.const -1))

;; the wrapping address
(invoke "st" (i32.const 0x180) (f64.const 1))
(assert_return (invoke "wrap" (i32.const 0x100) (i32.const 40)) (f64.const 3.5))

;; tests/native/stack.wat - the value stack's size as a limit in both tiers
;; (tests/native/run.sh): recursions whose frames are large (150 i64
;; locals: 1200 bytes, so a call is also charged bulk fuel), directly and
;; through the table, end at the same depth under -W max-wasm-stack in
;; both tiers, with the same backtrace (shorter than 32 frames, so it
;; shows the depth). Native code does not use the value stack; it checks
;; calls against its size as the interpreter does.
(module
  (type $ii (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $wide $wide_ind)
  (func $wide (type $ii) (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (call $wide (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
  (func $wide_ind (type $ii) (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (call_indirect (type $ii) (i32.sub (local.get 0) (i32.const 1)) (i32.const 1))
                     (i32.const 1)))))
  ;; Small frames calling a large one: the check is the callee's frame at
  ;; the caller's argument slots.
  (func $narrow (type $ii)
    (if (result i32) (i32.eqz (local.get 0))
      (then (call $wide (i32.const 1000)))
      (else (call $narrow (i32.sub (local.get 0) (i32.const 1))))))
  (func (export "wide") (param i32) (result i32) (call $wide (local.get 0)))
  (func (export "wide_ind") (param i32) (result i32) (call_indirect (type $ii) (local.get 0) (i32.const 0)))
  (func (export "wide_ind2") (param i32) (result i32) (call_indirect (type $ii) (local.get 0) (i32.const 1)))
  (func (export "narrow") (param i32) (result i32) (call $narrow (local.get 0)))
)

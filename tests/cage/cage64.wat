;; cage64.wat - the segment instructions and accesses on a tagged memory64
;; (tag in bits 56-59; the segment operands are i64).
(module
  (import "ward:cage" "segment.new" (func $new (param i64 i64) (result i64)))
  (import "ward:cage" "segment.set_tag" (func $set (param i64 i64 i64)))
  (import "ward:cage" "segment.free" (func $free (param i64 i64)))
  (memory (export "mem") i64 2)
  (func (export "new") (param i64 i64) (result i64) local.get 0 local.get 1 call $new)
  (func (export "set") (param i64 i64 i64) local.get 0 local.get 1 local.get 2 call $set)
  (func (export "free") (param i64 i64) local.get 0 local.get 1 call $free)
  (func (export "ld8") (param i64) (result i64) local.get 0 i64.load8_u)
  (func (export "ld64") (param i64) (result i64) local.get 0 i64.load)
  (func (export "ldv") (param i64) (result i64) local.get 0 v128.load i64x2.extract_lane 0)
  (func (export "st8") (param i64 i64) local.get 0 local.get 1 i64.store8)
  (func (export "st64") (param i64 i64) local.get 0 local.get 1 i64.store)
  (func (export "fill") (param i64 i32 i64) local.get 0 local.get 1 local.get 2 memory.fill)
)

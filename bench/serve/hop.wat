;; One hop of a chain (bench/serve.sh): a ward:io function that copies its
;; input part 0 to its output area and commits it.
(module
  (import "ward:io" "input_ptr" (func $in_ptr (param i32) (result i32)))
  (import "ward:io" "input_len" (func $in_len (param i32) (result i32)))
  (import "ward:io" "output_ptr" (func $out_ptr (result i32)))
  (import "ward:io" "output_commit" (func $commit (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $n i32)
    (local.set $n (call $in_len (i32.const 0)))
    (if (i32.gt_s (local.get $n) (i32.const 0))
      (then
        (memory.copy (call $out_ptr) (call $in_ptr (i32.const 0)) (local.get $n))
        (drop (call $commit (local.get $n)))))))
